import type { ErrorCode } from '../errors.ts';

/**
 * Platform-neutral replies. Commands return these; each connector renders them (Block Kit,
 * Adaptive Card, HTML in the console). Keep them plain data: they are stored and queued as JSON.
 */
export interface Reply {
  /** Plain-text summary; also the notification / fallback text. Always set. */
  text: string;
  /** Optional heading. */
  title?: string;
  /** Facts shown as label: value pairs. */
  fields?: ReplyField[];
  /** Lists of items, each with its own text, fields and buttons (follow-ups, records, matches). */
  sections?: ReplySection[];
  /** Buttons for the reply as a whole. */
  buttons?: ReplyButton[];
  /** `ephemeral`: only the person who asked sees it (where the platform allows); `channel`: everyone. Default ephemeral. */
  visibility?: 'ephemeral' | 'channel';
  /** How the reply is styled; `error` replies explain what to do next. */
  tone?: 'info' | 'success' | 'warning' | 'error';
  /** Free-form context line, e.g. "Updated by Jo at 10:42". */
  footer?: string;
  /**
   * On `error` replies: why it failed. HTTP surfaces map it to a status (400 for a bad request, 503 when
   * a dependency is down, 500 for a bug); chat platforms show the sentence either way.
   */
  errorCode?: ErrorCode;
  /**
   * People the reply addresses. `text` names each as `@<name>`; a connector that can notify people
   * turns that into its platform's mention (Slack `<@U…>`, a Teams mention entity) for the id it knows.
   */
  mentions?: ReplyMention[];
  /**
   * Pictures shown with the reply where the platform shows them (the weekly insights charts): Slack
   * uploads them to the channel, Teams attaches them inline, the console shows them. A platform that
   * cannot show one shows `text` and the rest as usual.
   */
  images?: ReplyImage[];
  /**
   * The customers (company ids) whose data the reply names or quotes: the one looked up, logged to or
   * linked, those of the follow-ups it lists, the candidates of a pick list. A connector that posts the
   * reply where others read it (a channel, a thread, a group chat) records them with the post
   * (rememberDirectPost), so that erasing any one of them takes the whole post back. Absent or empty:
   * it names no customer. Set by executeCommand from what the handler named (HandlerContext.about).
   */
  about?: string[];
}

/** A picture of a reply: PNG bytes (base64, so the reply stays plain JSON) and a text alternative. */
export interface ReplyImage {
  title: string;
  /** What the picture shows, for screen readers and where it does not load. */
  altText: string;
  /** `top-needs.png`. */
  filename: string;
  pngBase64: string;
}

/** A person a reply mentions: the name shown as `@name` in the text and their platform ids (`slack:T1/U2`, `teams:<aad id>`). */
export interface ReplyMention {
  name: string;
  platformUserIds: string[];
}

export interface ReplyField {
  label: string;
  value: string;
  /**
   * The value is this moment (ISO 8601), shown as `value` in the rep's timezone; connectors that can
   * show each viewer their own time (Slack's date token, Teams' DATE/TIME functions) use it instead.
   */
  at?: string;
}

export interface ReplySection {
  title?: string;
  text?: string;
  fields?: ReplyField[];
  buttons?: ReplyButton[];
}

/**
 * A button runs a command of the shared grammar as the person who clicks it (`command`),
 * so a click behaves exactly like typing that command. `choices` turns it into a menu
 * (e.g. Snooze → 1 h / tomorrow 9:00 / next week), each choice with its own command.
 */
export interface ReplyButton {
  label: string;
  command: string;
  style?: 'primary' | 'danger';
  /** Ask "are you sure?" with this text before running. */
  confirm?: string;
  choices?: Array<{ label: string; command: string }>;
  /**
   * The button needs free text (custom snooze time, new due date, reassign to whom): the platform
   * shows an input and appends what was typed to `command`.
   */
  input?: { placeholder: string };
}
