/**
 * Lines that start the quoted part of a reply. Everything from the first match on is the quote.
 * Covers English, German, French, Spanish, Dutch and Nordic "On ... wrote:" forms, Outlook's
 * separator and header block, and Gmail's line-wrapped attribution.
 */
const QUOTE_START: RegExp[] = [
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|opprinnelig melding|ursprungligt meddelande)\s*-{2,}\s*$/i,
  /^_{10,}\s*$/, // Outlook for Mac / web: a line of underscores before the "From:" block
  /^(on|am|le|el|op|den|på)\s.{0,300}\s(wrote|schrieb|a écrit|escribió|schreef|skrev)\s*:\s*$/i,
  /^(from|von|de|van|från|fra)\s*:\s.+$/i, // only counted when a Sent/Date/To line follows, see isHeaderBlock
  /^-{5,}\s*forwarded message\s*-{5,}$/i,
  /^(am|le|el|op|den)\s.{0,200}\s(schrieb|a écrit|escribió|schreef|skrev)\s.{0,200}:\s*$/i, // German & co. put the name after the verb
  /^begin forwarded message:\s*$/i,
];

/** Signature openers: the "-- " delimiter and the usual mobile footers. */
const SIGNATURE_START: RegExp[] = [
  /^--\s?$/,
  /^sent from my (iphone|ipad|android|mobile|samsung|galaxy|blackberry|phone|device)/i,
  /^sent from (outlook|mail|yahoo mail|gmail) for (ios|android|iphone|ipad)/i,
  /^get outlook for (ios|android)/i,
  /^(von meinem|gesendet von meinem) (iphone|ipad|smartphone|handy|android)/i,
  /^envoyé de mon (iphone|ipad|smartphone)/i,
  /^enviado desde mi (iphone|ipad|smartphone|android)/i,
  /^sent via (the )?(samsung|blackberry|superhuman)/i,
];

function isHeaderBlock(trimmed: string[], i: number): boolean {
  // "From: Jo <jo@x>" alone can be body text; Outlook's block has Sent/Date/To/Subject right after.
  for (let j = i + 1; j < Math.min(trimmed.length, i + 5); j++) {
    if (
      /^(sent|date|gesendet|datum|envoyé|enviado|verzonden|skickat|sendt|to|an|à|para|aan|till|til|subject|betreff|objet|asunto|onderwerp|ämne|emne)\s*:/i.test(
        trimmed[j],
      )
    )
      return true;
  }
  return false;
}

/**
 * The new part of a reply: the text above the quoted message and signature. Removes "On ... wrote:"
 * blocks (also when Gmail wrapped the attribution onto two lines), "-----Original Message-----",
 * Outlook's "From: ... Sent: ..." header block, lines quoted with ">", the "-- " signature delimiter
 * and common mobile signatures. Returns the whole text when stripping would leave nothing (a pure
 * forward, or a message that is only a quote), so a rep never sees an empty message.
 */
export function stripQuotedReply(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const trimmed = lines.map((l) => l.trim());
  // The last line that is neither blank nor quoted: a ">" line after it starts the trailing quote.
  // Found once, so a long mail of inline quotes costs one pass (checking the rest at every ">" line
  // took 8 s of this thread for 20,000 of them).
  let lastOwn = -1;
  for (let i = trimmed.length - 1; i >= 0 && lastOwn < 0; i--)
    if (trimmed[i] !== '' && !trimmed[i].startsWith('>')) lastOwn = i;
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = trimmed[i];
    const isFrom = /^(from|von|de|van|från|fra)\s*:/i.test(line);
    if (
      QUOTE_START.some((re, k) => (k === 3 ? isFrom && isHeaderBlock(trimmed, i) : re.test(line))) ||
      // Gmail wraps long attributions: "On Tue, 3 Mar 2025 at 10:00, Jo Doe <jo@x.com>" / "wrote:"
      (/^(on|am|le|el|op)\s/i.test(line) && i + 1 < lines.length && QUOTE_START[2].test(`${line} ${trimmed[i + 1]}`)) ||
      SIGNATURE_START.some((re) => re.test(line))
    ) {
      end = i;
      break;
    }
    // A run of ">" lines that reaches the end (or only blank/quoted lines after) is the quote.
    if (line.startsWith('>') && i > lastOwn) {
      end = i;
      break;
    }
  }
  const kept = lines
    .slice(0, end)
    .filter((_, i) => !trimmed[i].startsWith('>')) // inline quotes between answers ("> question" / answer)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return kept === '' ? text.trim() : kept;
}
