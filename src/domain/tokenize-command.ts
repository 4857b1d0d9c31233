/** One word of a command line, with where it came from so callers can slice the original text. */
export interface CommandToken {
  value: string;
  /** Whether the word was written in quotes ("Acme Ltd", 'Acme', “Acme”). */
  quoted: boolean;
  /** Offsets of the token (including its quotes) in the input. */
  start: number;
  end: number;
}

const CLOSING: Record<string, string> = {
  '"': '"',
  "'": "'",
  '“': '”',
  '”': '”',
  '„': '“',
  '‘': '’',
  '’': '’',
  '«': '»',
  '‹': '›',
  '「': '」',
  '『': '』',
  '＂': '＂',
  '＇': '＇',
  '〝': '〞',
};

/**
 * Corner brackets (「」『』) are quotes and nothing else: they need no space around them, so
 * `log 华为「客户说价格太高」` is a name and a quoted note, as Chinese and Japanese are written.
 */
const BRACKET_CLOSES = new Set(['」', '』']);
const BRACKET_OPENS = /[「『]/;

/**
 * Splits a command line into words. Double, single and typographic quotes group words ("Acme Ltd"),
 * as do full-width quotes (＂…＂, “…”, ‘…’) and corner brackets (「…」, 『…』); a quote that is not
 * closed, or an apostrophe inside a word (O'Brien), is an ordinary character. Whitespace includes the
 * ideographic space (U+3000).
 */
export function tokenizeCommand(input: string): CommandToken[] {
  const tokens: CommandToken[] = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i])) i++;
    if (i >= input.length) break;
    const start = i;
    const close = CLOSING[input[i]];
    if (close) {
      // A quoted token must end at a matching quote followed by whitespace or the end of the input.
      let j = i + 1;
      let end = -1;
      while (j < input.length) {
        const at = input.indexOf(close, j);
        if (at === -1) break;
        if (at + 1 >= input.length || /\s/.test(input[at + 1]) || BRACKET_CLOSES.has(close)) {
          end = at;
          break;
        }
        j = at + 1;
      }
      if (end !== -1) {
        tokens.push({ value: input.slice(i + 1, end), quoted: true, start, end: end + 1 });
        i = end + 1;
        continue;
      }
    }
    i++;
    // An unquoted word ends at whitespace, or where a corner bracket opens a quote that closes.
    while (i < input.length && !/\s/.test(input[i]) && !(BRACKET_OPENS.test(input[i]) && closes(input, i))) i++;
    tokens.push({ value: input.slice(start, i), quoted: false, start, end: i });
  }
  return tokens;
}

function closes(input: string, at: number): boolean {
  return input.indexOf(CLOSING[input[at]], at + 1) !== -1;
}

/** Quotes a value for a command line when it contains spaces or quotes, so a button's command reparses to the same words. */
export function quoteArgument(value: string): string {
  if (value !== '' && !/[\s"'“”‘’«»「」『』＂＇〝〞]/.test(value)) return value;
  return value.includes('"') ? `“${value.replace(/[“”]/g, '')}”` : `"${value}"`;
}
