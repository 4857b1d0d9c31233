import type { Reply, ReplyButton, ReplyField, ReplyMention } from '../../src/commands/reply-model.ts';

/** The `verb` of every Action.Execute Rapport renders; the invoke handler ignores other verbs. */
export const RAPPORT_VERB = 'rapport';

/**
 * What a Rapport button carries back in `value.action.data` (Action.Execute) or `value` (Action.Submit):
 * the command to run as the clicker, and for buttons that need free text the id of the input whose
 * value is appended to it (Teams merges the card's input values into the same object).
 */
export interface RapportActionData {
  rapport: string;
  /** Id of the Input.Text whose value is appended to `rapport`. */
  rapportInput?: string;
  /** Id of the Input.ChoiceSet whose value is the whole command (`rapport` is then empty). */
  rapportChoice?: string;
  [inputId: string]: unknown;
}

/**
 * The id of the card element that carries a post's delivery key (see {@link renderAdaptiveCard}); Graph
 * lists a bot's card as the JSON it was sent, so the key finds the message again (findPosted).
 */
export const DELIVERY_ELEMENT_PREFIX = 'rapport-delivery:';

/** A JSON Adaptive Card (schema 1.5, the version Teams renders on desktop and mobile). */
export type AdaptiveCardJson = Record<string, unknown> & { type: 'AdaptiveCard'; version: string; body: unknown[] };

type Element = Record<string, unknown>;

/** Actions a row may hold (the Adaptive Card host default; Teams shows no more either). */
const MAX_ACTIONS = 5;
/** More choices than this become a dropdown (Input.ChoiceSet) instead of a row of buttons. */
const MAX_CHOICE_BUTTONS = MAX_ACTIONS;

const TONE_COLOR: Record<NonNullable<Reply['tone']>, string> = {
  info: 'Default',
  success: 'Good',
  warning: 'Warning',
  error: 'Attention',
};

/**
 * Renders a reply model as an Adaptive Card 1.5: title, text, a FactSet for fields, a Container per
 * section (its own facts and buttons), the footer as subtle text. Every button becomes an
 * Action.Execute with `{ rapport: command }`; `choices` become an Action.ShowCard with one button per
 * choice (a dropdown and a submit button when there are many); `input` becomes an Action.ShowCard with
 * an Input.Text whose value is appended to the command; `confirm` asks in an Action.ShowCard first.
 * Text from users and customers is made inert for Teams markdown (no surprise links, lists or bold).
 * A `deliveryKey` (a pipeline post) becomes the id of the card's first element.
 */
export function renderAdaptiveCard(reply: Reply, opts: { deliveryKey?: string } = {}): AdaptiveCardJson {
  const ids = { next: 0 };
  const body: Element[] = [];
  if (reply.title) {
    body.push({
      type: 'TextBlock',
      text: inertMarkdown(reply.title),
      size: 'Large',
      weight: 'Bolder',
      wrap: true,
      color: TONE_COLOR[reply.tone ?? 'info'],
    });
  }
  const mentions = teamsMentions(reply.mentions);
  body.push({
    type: 'TextBlock',
    text: mentions.reduce((t, m) => t.split(m.inert).join(m.entity.text), inertMarkdown(reply.text)),
    wrap: true,
    ...(reply.title ? {} : { color: TONE_COLOR[reply.tone ?? 'info'] }),
  });
  body.push(...fieldBlocks(reply.fields));
  for (const section of reply.sections ?? []) {
    const items: Element[] = [];
    if (section.title)
      items.push({ type: 'TextBlock', text: inertMarkdown(section.title), weight: 'Bolder', wrap: true });
    if (section.text)
      items.push({ type: 'TextBlock', text: inertMarkdown(section.text), wrap: true, spacing: 'Small' });
    items.push(...fieldBlocks(section.fields));
    if (section.buttons?.length) items.push({ type: 'ActionSet', actions: actionRow(section.buttons, ids) });
    // An empty Container is invalid; a section with nothing to show is skipped.
    if (items.length) body.push({ type: 'Container', separator: true, spacing: 'Medium', items });
  }
  if (reply.footer)
    body.push({
      type: 'TextBlock',
      text: inertMarkdown(reply.footer),
      isSubtle: true,
      size: 'Small',
      wrap: true,
      spacing: 'Medium',
    });
  // The delivery key as the first element's id (a standard property every host keeps, shown nowhere).
  if (opts.deliveryKey) body[0] = { ...body[0], id: `${DELIVERY_ELEMENT_PREFIX}${opts.deliveryKey}` };
  const card: AdaptiveCardJson = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
  };
  if (reply.buttons?.length) card.actions = actionRow(reply.buttons, ids);
  // Teams uses the fallback text in notifications and for clients that cannot render the card.
  card.fallbackText = reply.text;
  // Mentioned people are notified: each `<at>name</at>` in the text has its entity (Entra object id).
  const used = mentions.filter((m) => (body[reply.title ? 1 : 0] as { text: string }).text.includes(m.entity.text));
  if (used.length) card.msteams = { entities: used.map((m) => m.entity) };
  return card;
}

/** Mentions of people with a Teams id (`teams:<Entra object id>`): the inert `@name` in the text and its entity. */
function teamsMentions(
  mentions: ReplyMention[] | undefined,
): Array<{ inert: string; entity: { type: 'mention'; text: string; mentioned: { id: string; name: string } } }> {
  return (mentions ?? []).flatMap((m) => {
    const id = m.platformUserIds.find((p) => p.startsWith('teams:'))?.slice('teams:'.length);
    if (!id) return [];
    const name = m.name.replace(/[<>]/g, '');
    return [
      {
        inert: inertMarkdown(`@${m.name}`),
        entity: { type: 'mention', text: `<at>${name}</at>`, mentioned: { id, name } },
      },
    ];
  });
}

/**
 * Facts in a FactSet; a time (a field with `at`) in a TextBlock of its own with the card's DATE/TIME
 * functions, which Teams shows in each viewer's own timezone and locale
 * (https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features), with what follows the
 * time ("(overdue)") kept.
 */
function fieldBlocks(fields: ReplyField[] | undefined): Element[] {
  const plain = (fields ?? []).filter((f) => !timeOf(f));
  const timed = (fields ?? []).filter((f) => timeOf(f));
  return [
    ...(plain.length ? [factSet(plain)] : []),
    ...timed.map((f) => {
      const at = timeOf(f)!;
      const suffix = /\s\([^)]*\)$/.exec(f.value)?.[0] ?? '';
      return {
        type: 'TextBlock',
        text: `${inertMarkdown(f.label)}: {{DATE(${at}, SHORT)}} {{TIME(${at})}}${inertMarkdown(suffix)}`,
        wrap: true,
        spacing: 'Small',
      };
    }),
  ];
}

/** A field's time in the strict RFC 3339 form DATE()/TIME() accept (no milliseconds), or undefined. */
function timeOf(f: ReplyField): string | undefined {
  const ms = f.at ? Date.parse(f.at) : Number.NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The command a clicked Rapport button asks for, with the typed text appended; undefined when `data` is not ours. */
export function commandFromActionData(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Partial<RapportActionData>;
  if (typeof d.rapport !== 'string') return undefined;
  if (typeof d.rapportChoice === 'string') {
    const chosen = d[d.rapportChoice];
    return typeof chosen === 'string' && chosen.trim() !== '' ? chosen : undefined;
  }
  if (d.rapport.trim() === '') return undefined;
  if (typeof d.rapportInput !== 'string') return d.rapport;
  const typed = d[d.rapportInput];
  return typeof typed === 'string' && typed.trim() !== '' ? `${d.rapport} ${typed.trim()}` : d.rapport;
}

/** Buttons beyond what a row holds go behind a "More" ShowCard (which may nest again). */
function actionRow(buttons: ReplyButton[], ids: { next: number }): Element[] {
  if (buttons.length <= MAX_ACTIONS) return buttons.map((b) => renderButton(b, ids));
  const shown = buttons.slice(0, MAX_ACTIONS - 1).map((b) => renderButton(b, ids));
  return [...shown, showCard('More…', [], actionRow(buttons.slice(MAX_ACTIONS - 1), ids))];
}

function factSet(fields: ReplyField[]): Element {
  return {
    type: 'FactSet',
    facts: fields.map((f) => ({ title: inertMarkdown(f.label), value: inertMarkdown(f.value) })),
  };
}

function execute(title: string, data: RapportActionData, style?: ReplyButton['style']): Element {
  const action: Element = { type: 'Action.Execute', title, verb: RAPPORT_VERB, data };
  if (style === 'primary') action.style = 'positive';
  if (style === 'danger') action.style = 'destructive';
  return action;
}

function showCard(title: string, body: Element[], actions: Element[]): Element {
  return { type: 'Action.ShowCard', title, card: { type: 'AdaptiveCard', body, actions } };
}

function renderButton(button: ReplyButton, ids: { next: number }): Element {
  const id = () => `rapport-input-${++ids.next}`;
  if (button.choices?.length) {
    if (button.choices.length <= MAX_CHOICE_BUTTONS) {
      return showCard(
        button.label,
        [],
        button.choices.map((c) => execute(c.label, { rapport: c.command })),
      );
    }
    // A dropdown whose value is the chosen command; the submit button runs it.
    const inputId = id();
    const choiceSet = {
      type: 'Input.ChoiceSet',
      id: inputId,
      label: button.label,
      style: 'compact',
      isRequired: true,
      errorMessage: 'Pick one.',
      value: button.choices[0].command,
      choices: button.choices.map((c) => ({ title: c.label, value: c.command })),
    };
    return showCard(button.label, [choiceSet], [execute('OK', { rapport: '', rapportChoice: inputId }, button.style)]);
  }
  if (button.input) {
    const inputId = id();
    const input = {
      type: 'Input.Text',
      id: inputId,
      label: button.label,
      placeholder: button.input.placeholder,
      isRequired: true,
      errorMessage: 'Type something first.',
    };
    return showCard(
      button.label,
      [input],
      [execute('OK', { rapport: button.command, rapportInput: inputId }, button.style)],
    );
  }
  if (button.confirm) {
    return showCard(
      button.label,
      [{ type: 'TextBlock', text: inertMarkdown(button.confirm), wrap: true }],
      [execute(`Yes, ${button.label.toLowerCase()}`, { rapport: button.command }, button.style ?? 'danger')],
    );
  }
  return execute(button.label, { rapport: button.command }, button.style);
}

/**
 * Makes text show literally under Teams' markdown: emphasis, links, code and line-start markers
 * (headings, quotes, lists) are backslash-escaped; single line breaks become paragraph breaks, which
 * is how a TextBlock shows a new line. Nothing is HTML-escaped: cards are not HTML.
 */
export function inertMarkdown(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) =>
      line
        .replace(/([\\`*_[\]~<])/g, '\\$1')
        .replace(/^(\s*)([#>+-])(?=\s|$)/, '$1\\$2')
        .replace(/^(\s*\d+)\.(?=\s|$)/, '$1\\.'),
    )
    .join('\n\n');
}
