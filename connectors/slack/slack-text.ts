/**
 * Slack message text (mrkdwn with its angle-bracket escapes) as plain words for the classifier:
 * `<https://x|the quote>` -> `the quote`, `<https://x>` -> `https://x`, `<@U1|jo>` / `<@U1>` -> `@jo` / `@U1`,
 * `<#C1|sales>` -> `#sales`, `<!here>` -> `@here`, `<!subteam^S1|@team>` -> `@team`, `<!date^…|Feb 18>` -> `Feb 18`, and `&lt;`, `&gt;`,
 * `&amp;` unescaped (last, so an escaped `&lt;@U1&gt;` written by a person stays literal text).
 * The stored message keeps the original text; this is its cleanText (what cards quote). Message events
 * carry `<@U1>` without a name: `names` (user id → display name, see {@link mentionedUserIds}) names them.
 */
export function slackTextToPlain(text: string, names: ReadonlyMap<string, string> = new Map()): string {
  return toWords(text, {
    mention: (id, label) => `@${label ?? names.get(id) ?? id}`,
    link: (target, label) => label ?? target.replace(/^mailto:/, ''),
  });
}

/**
 * Slash-command text as the person typed it, for the shared command grammar. With `should_escape`
 * (manifest.json) Slack sends typed addresses and domains as links (`jo@acme.com` ->
 * `<mailto:jo@acme.com|jo@acme.com>`, `acme.com` -> `<http://acme.com|acme.com>`), channels as
 * `<#C1|sales>`, and `&`, `<`, `>` as `&amp;`, `&lt;`, `&gt;`. Links, channels and broadcasts become
 * their words as in {@link slackTextToPlain}, except that a link whose text is not its address keeps
 * both (`the quote (https://acme.com/q)`: nothing the rep wrote is lost); user mentions stay `<@U1|jo>`
 * (`assign` finds the rep by that id); the entities are unescaped last.
 */
export function slackCommandText(text: string): string {
  return toWords(text, {
    mention: (id, label) => `<@${id}${label === undefined ? '' : `|${label}`}>`,
    link: (target, label) => {
      const address = target.replace(/^mailto:/, '');
      if (label === undefined || label === address || label === address.replace(/^https?:\/\//, ''))
        return label ?? address;
      return `${label} (${address})`;
    },
  });
}

interface TokenWords {
  mention: (id: string, label: string | undefined) => string;
  link: (target: string, label: string | undefined) => string;
}

function toWords(text: string, { mention, link }: TokenWords): string {
  return text
    .replace(/<([^<>]*)>/g, (_all, inner: string) => {
      const [target, label] = splitLabel(inner);
      if (target.startsWith('@')) return mention(target.slice(1), label);
      if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
      if (target.startsWith('!date^')) return label ?? '';
      if (target.startsWith('!')) {
        if (label) return label.startsWith('@') ? label : `@${label}`;
        const word = target.slice(1).split('^')[0];
        return `@${word}`;
      }
      return link(target, label);
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

function splitLabel(inner: string): [string, string | undefined] {
  const bar = inner.indexOf('|');
  return bar < 0 ? [inner, undefined] : [inner.slice(0, bar), inner.slice(bar + 1) || undefined];
}

/** The user ids `<@U…>` mentions name without a label (message events never carry one), in order, once each. */
export function mentionedUserIds(text: string): string[] {
  const ids = [...text.matchAll(/<@([UW][A-Z0-9]+)>/g)].map((m) => m[1]);
  return [...new Set(ids)];
}
