import type {
  ActionsBlock,
  ActionsBlockElement,
  Button,
  ConfirmationDialog,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  ModalView,
  SectionBlock,
  StaticSelect,
} from '@slack/types';
import type { Reply, ReplyButton, ReplyField, ReplyMention } from '../../src/commands/reply-model.ts';

/** Every Rapport control's action_id starts with this; the listener matches on it. */
export const ACTION_PREFIX = 'rapport:';
/** Suffix of the action_id of a button that needs free text first (it opens {@link renderInputModal}). */
export const INPUT_SUFFIX = ':input';
/** callback_id of the free-text modal. */
export const INPUT_VIEW_ID = 'rapport:input';
export const INPUT_BLOCK_ID = 'input';
export const INPUT_ACTION_ID = 'value';

/** Block Kit limits (https://docs.slack.dev/reference/block-kit): exceeding any one makes Slack reject the whole message. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  fieldsPerSection: 10,
  elementsPerActions: 25,
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 150,
  optionsPerSelect: 100,
  placeholderText: 150,
  contextText: 3000,
  confirmText: 300,
  /** Fallback `text` of a message; Slack truncates long ones, we keep it readable. */
  messageText: 4000,
} as const;

export interface SlackMessage {
  /** Notification and accessibility fallback. */
  text: string;
  blocks: KnownBlock[];
}

const TONE_PREFIX: Record<NonNullable<Reply['tone']>, string> = {
  info: '',
  success: ':white_check_mark: ',
  warning: ':warning: ',
  error: ':x: ',
};

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** mrkdwn text object: escaped first, then cut (so an escape sequence never pushes it over the limit). */
const mrkdwn = (text: string, max: number) => ({ type: 'mrkdwn' as const, text: truncate(escapeMrkdwn(text), max) });
const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: truncate(text, max) || ' ',
  emoji: true,
});

/**
 * Renders a reply model as a Block Kit message: header (title), a section with the text, fields in
 * sections of at most 10, one section (+ actions) per reply section, buttons in actions blocks of at
 * most 25, and the footer as a context line. Every control gets action_id `rapport:<n>` (unique in
 * the message) and carries its command as value, so a click runs exactly what a rep could type.
 * A reply too long for 50 blocks is cut with a closing line saying how much was left out.
 * `@name` of a person the reply mentions becomes `<@U…>` (Slack notifies them) when they have a Slack
 * id in `opts.teamId`'s workspace (any Slack id when no workspace is given); times (fields with `at`)
 * become Slack date tokens, which every viewer sees in their own timezone.
 */
export function renderBlocks(reply: Reply, opts: { teamId?: string } = {}): SlackMessage {
  const mention = mentionReplacer(reply.mentions, opts.teamId);
  const blocks: KnownBlock[] = [];
  const counter = { next: 0 };
  if (reply.title)
    blocks.push({ type: 'header', text: plain(reply.title, SLACK_LIMITS.headerText) } satisfies HeaderBlock);
  blocks.push({
    type: 'section',
    text: {
      type: 'mrkdwn',
      text: truncate(
        mention(escapeMrkdwn(`${TONE_PREFIX[reply.tone ?? 'info']}${reply.text}`)),
        SLACK_LIMITS.sectionText,
      ),
    },
  } satisfies SectionBlock);
  blocks.push(...fieldSections(reply.fields));
  blocks.push(...actionsBlocks(reply.buttons, counter));
  for (const section of reply.sections ?? []) {
    const text = [
      section.title ? `*${escapeMrkdwn(section.title)}*` : '',
      section.text ? escapeMrkdwn(section.text) : '',
    ]
      .filter(Boolean)
      .join('\n');
    const fields = fieldSections(section.fields);
    if (text) {
      const first: SectionBlock = {
        type: 'section',
        text: { type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) },
      };
      // The first batch of fields shares the section with the title.
      if (fields[0]?.fields) first.fields = fields.shift()!.fields;
      blocks.push(first);
    }
    blocks.push(...fields);
    blocks.push(...actionsBlocks(section.buttons, counter));
  }
  if (reply.footer)
    blocks.push({ type: 'context', elements: [mrkdwn(reply.footer, SLACK_LIMITS.contextText)] } satisfies ContextBlock);
  return { text: truncate(mention(reply.text), SLACK_LIMITS.messageText), blocks: capBlocks(blocks) };
}

/** Replaces `@name` of each mentioned person who has a Slack id (in `teamId`'s workspace) with `<@U…>`. */
function mentionReplacer(mentions: ReplyMention[] | undefined, teamId: string | undefined): (text: string) => string {
  const pairs = (mentions ?? []).flatMap((m) => {
    const ids = m.platformUserIds
      .map((id) => /^slack:([^/]+)\/([UW][A-Z0-9]+)$/.exec(id))
      .filter((x): x is RegExpExecArray => x !== null);
    const id = (ids.find((x) => teamId === undefined || x[1] === teamId) ?? (teamId ? undefined : ids[0]))?.[2];
    return id ? [{ plain: `@${m.name}`, escaped: `@${escapeMrkdwn(m.name)}`, token: `<@${id}>` }] : [];
  });
  if (pairs.length === 0) return (text) => text;
  return (text) => pairs.reduce((t, p) => t.split(p.escaped).join(p.token).split(p.plain).join(p.token), text);
}

/**
 * A field's value: a time as Slack's date token (`<!date^unix^{date_short_pretty} {time}|fallback>`,
 * https://docs.slack.dev/messaging/formatting-message-text#date-formatting), shown in each viewer's
 * own timezone, with the rep-timezone text as the fallback; anything else escaped.
 */
function fieldValue(f: ReplyField): string {
  const ms = f.at ? Date.parse(f.at) : Number.NaN;
  if (Number.isNaN(ms)) return escapeMrkdwn(f.value);
  // A note after the time ("(overdue)") stays outside the token, so it shows either way.
  const suffix = /\s\([^)]*\)$/.exec(f.value)?.[0] ?? '';
  const fallback = escapeMrkdwn(f.value.slice(0, f.value.length - suffix.length)).replace(/[|]/g, '/');
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>${escapeMrkdwn(suffix)}`;
}

function fieldSections(fields: ReplyField[] | undefined): SectionBlock[] {
  const out: SectionBlock[] = [];
  const list = fields ?? [];
  for (let i = 0; i < list.length; i += SLACK_LIMITS.fieldsPerSection) {
    out.push({
      type: 'section',
      fields: list.slice(i, i + SLACK_LIMITS.fieldsPerSection).map((f) => ({
        type: 'mrkdwn',
        text: truncate(`*${escapeMrkdwn(f.label)}*\n${fieldValue(f)}`, SLACK_LIMITS.fieldText),
      })),
    });
  }
  return out;
}

function actionsBlocks(buttons: ReplyButton[] | undefined, counter: { next: number }): ActionsBlock[] {
  const elements = (buttons ?? [])
    .map((b) => renderControl(b, counter.next++))
    .filter((e): e is ActionsBlockElement => e !== undefined);
  const out: ActionsBlock[] = [];
  for (let i = 0; i < elements.length; i += SLACK_LIMITS.elementsPerActions)
    out.push({ type: 'actions', elements: elements.slice(i, i + SLACK_LIMITS.elementsPerActions) });
  return out;
}

/**
 * A button, or a select menu for a button with choices. A command that does not fit Slack's value
 * limits is left out rather than cut: a truncated command would run something else.
 */
function renderControl(b: ReplyButton, index: number): ActionsBlockElement | undefined {
  const confirm = b.confirm ? confirmDialog(b) : undefined;
  if (b.choices?.length) {
    const options = b.choices
      .filter((c) => c.command.length <= SLACK_LIMITS.optionValue)
      .slice(0, SLACK_LIMITS.optionsPerSelect)
      .map((c) => ({ text: plain(c.label, SLACK_LIMITS.optionText), value: c.command }));
    if (options.length === 0) return undefined;
    const select: StaticSelect = {
      type: 'static_select',
      action_id: `${ACTION_PREFIX}${index}`,
      placeholder: plain(b.label, SLACK_LIMITS.placeholderText),
      options,
    };
    if (confirm) select.confirm = confirm;
    return select;
  }
  if (b.command.length > SLACK_LIMITS.buttonValue) return undefined;
  const button: Button = {
    type: 'button',
    action_id: `${ACTION_PREFIX}${index}${b.input ? INPUT_SUFFIX : ''}`,
    // "…" says "more to type"; a label that already ends with one ("Snooze until…") keeps just the one.
    text: plain(b.input && !b.label.endsWith('…') ? `${b.label}…` : b.label, SLACK_LIMITS.buttonText),
    value: b.command,
  };
  if (b.style) button.style = b.style;
  // Screen readers say what to type; the click handler reads it back as the modal's placeholder.
  if (b.input) button.accessibility_label = truncate(`${b.label}: ${b.input.placeholder}`, SLACK_LIMITS.buttonText);
  // A button that asks for text confirms in its modal instead.
  if (confirm && !b.input) button.confirm = confirm;
  return button;
}

function confirmDialog(b: ReplyButton): ConfirmationDialog {
  return {
    title: plain('Are you sure?', 100),
    text: plain(b.confirm!, SLACK_LIMITS.confirmText),
    confirm: plain(truncate(b.label, 30), 30),
    deny: plain('Cancel', 30),
    ...(b.style === 'danger' ? { style: 'danger' as const } : {}),
  };
}

function capBlocks(blocks: KnownBlock[]): KnownBlock[] {
  if (blocks.length <= SLACK_LIMITS.blocksPerMessage) return blocks;
  const kept = blocks.slice(0, SLACK_LIMITS.blocksPerMessage - 1);
  const note: ContextBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `…${blocks.length - kept.length} more parts not shown. Narrow the command (e.g. a customer name) to see them.`,
      },
    ],
  };
  return [...kept, note];
}

/** What the free-text modal carries between the click and the submission (private_metadata, max 3000 chars). */
export interface InputModalState {
  command: string;
  teamId: string;
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
}

/**
 * The small modal a button with `input` opens: one line of text, appended to the button's command on
 * submit ("due 12" + "friday 14:00").
 */
export function renderInputModal(opts: { title: string; placeholder: string; state: InputModalState }): ModalView {
  return {
    type: 'modal',
    callback_id: INPUT_VIEW_ID,
    title: plain(opts.title, 24),
    submit: plain('Save', 24),
    close: plain('Cancel', 24),
    private_metadata: JSON.stringify(opts.state),
    blocks: [
      {
        type: 'input',
        block_id: INPUT_BLOCK_ID,
        label: plain(opts.title, 2000),
        element: {
          type: 'plain_text_input',
          action_id: INPUT_ACTION_ID,
          placeholder: plain(opts.placeholder, SLACK_LIMITS.placeholderText),
          max_length: 500,
        },
      },
    ],
  };
}
