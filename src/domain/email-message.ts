/** A person in an address header. */
export interface EmailParticipant {
  /** Lower-cased address. */
  email: string;
  /** Display name; empty when the header gave none. */
  name: string;
}

/** Metadata of an attachment; Rapport never stores attachment content. */
export interface EmailAttachmentMeta {
  name: string | undefined;
  contentType: string;
  size: number;
  /** Hex sha256 of the decoded content. */
  sha256: string;
}

/** Where a message came from, for its metadata and for logs. */
export interface EmailOrigin {
  /** The mailbox address (IMAP) or the importing file. */
  mailbox: string;
  folder?: string;
  uid?: number;
  file?: string;
}

/**
 * One parsed email, independent of how it arrived (IMAP, mbox, .eml). Built by the IMAP connector's
 * parser; consumed by the log-email service.
 */
export interface InboundEmail {
  /** Message-ID without angle brackets; undefined when the header is missing. */
  messageId: string | undefined;
  /** The first id In-Reply-To names, without angle brackets. */
  inReplyTo: string | undefined;
  /** Every id In-Reply-To names ("... of <a@x> <b@x>", as exmh writes it), when it names more than one. */
  inReplyToIds?: string[];
  /** References, oldest first, without angle brackets. */
  references: string[];
  subject: string;
  from: EmailParticipant | undefined;
  to: EmailParticipant[];
  cc: EmailParticipant[];
  /** The Date header, else the server's INTERNALDATE, else the time of parsing. */
  sentAt: Date;
  /** Header values by lower-case name (first occurrence), decoded as text. */
  headers: Record<string, string>;
  /** Top-level MIME type such as `multipart/report`, with its `report-type` when present. */
  contentType: string;
  /** Full body text: text/plain, else text converted from HTML. Empty when the body was not stored. */
  text: string;
  attachments: EmailAttachmentMeta[];
  /** Set when the body was not stored (too large, unreadable): says why, in words. */
  bodyNote: string | undefined;
  /** What the parser changed or could not read, in words (a clamped date, HTML too deep to convert, a hashed id). */
  notes?: string[];
  /** Size of the raw message in bytes. */
  sizeBytes: number;
  origin: EmailOrigin;
}
