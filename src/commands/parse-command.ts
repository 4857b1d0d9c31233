import type { ChannelKind } from '../db/generated/enums.ts';
import { RapportError } from '../errors.ts';
import { tokenizeCommand, type CommandToken } from '../domain/tokenize-command.ts';
import { hasCjk } from '../domain/normalize-company-name.ts';

/**
 * A customer written without quotes may be several words, and where the name ends is only known once
 * it is looked up: `splits` lists the readings, longest name first ("acme corp", "called jo") then
 * ("acme", "corp called jo"). A quoted name has exactly one reading.
 */
export interface CustomerPhrase {
  splits: Array<{ customer: string; rest: string }>;
  quoted: boolean;
}

/** Which follow-ups `followups` lists: yours (all, due today/tomorrow/this week/next week), overdue ones, everyone's. */
export type FollowUpScope = 'mine' | 'today' | 'tomorrow' | 'this-week' | 'next-week' | 'overdue' | 'all';

const SCOPES: Record<string, FollowUpScope> = {
  mine: 'mine',
  today: 'today',
  tomorrow: 'tomorrow',
  week: 'this-week',
  'this week': 'this-week',
  'next week': 'next-week',
  overdue: 'overdue',
  all: 'all',
  // Reps who write Chinese: followups 明天, followups 下周 (simplified and traditional).
  我的: 'mine',
  今天: 'today',
  明天: 'tomorrow',
  本周: 'this-week',
  这周: 'this-week',
  本週: 'this-week',
  這週: 'this-week',
  下周: 'next-week',
  下週: 'next-week',
  逾期: 'overdue',
  全部: 'all',
  // German, Spanish, French, Dutch, Portuguese, Russian and Japanese: followups morgen, followups 来週.
  heute: 'today',
  morgen: 'tomorrow',
  'diese woche': 'this-week',
  'nächste woche': 'next-week',
  überfällig: 'overdue',
  hoy: 'today',
  mañana: 'tomorrow',
  'esta semana': 'this-week',
  'próxima semana': 'next-week',
  'la próxima semana': 'next-week',
  'la semana que viene': 'next-week',
  "aujourd'hui": 'today',
  demain: 'tomorrow',
  'cette semaine': 'this-week',
  'semaine prochaine': 'next-week',
  'la semaine prochaine': 'next-week',
  'en retard': 'overdue',
  vandaag: 'today',
  'deze week': 'this-week',
  'volgende week': 'next-week',
  hoje: 'today',
  amanhã: 'tomorrow',
  сегодня: 'today',
  завтра: 'tomorrow',
  'на этой неделе': 'this-week',
  'на следующей неделе': 'next-week',
  просроченные: 'overdue',
  今日: 'today',
  明日: 'tomorrow',
  今週: 'this-week',
  来週: 'next-week',
};

/** A parsed chat command. */
export type Command =
  | { kind: 'log'; customer: CustomerPhrase; via?: ChannelKind; at?: string; followUp?: string; createNew: boolean }
  | { kind: 'lookup'; query: string }
  | { kind: 'followups'; scope: FollowUpScope; page?: number }
  | { kind: 'followups'; scope: 'customer'; customer: string; page?: number }
  /** `remind <customer> <when> <what>`, or a sentence: `remind me to call acme tomorrow` (`sentence`: "call acme tomorrow"). */
  | { kind: 'remind'; customer: CustomerPhrase; sentence?: undefined }
  | { kind: 'remind'; customer?: undefined; sentence: string }
  /** One or several follow-ups at once: `done 18 19`. */
  | { kind: 'done' | 'dismiss' | 'accept'; numbers: number[] }
  | { kind: 'snooze'; number: number; when: string }
  | { kind: 'due'; number: number; when: string }
  | { kind: 'assign'; number: number; rep: string }
  | { kind: 'label'; recordId: string; label: string }
  | { kind: 'review'; keep?: string }
  | { kind: 'link'; customer: string }
  /** `notify <customer> here` / `link <customer> --team`: this channel becomes the customer's team channel. */
  | { kind: 'notify'; customer: string }
  | { kind: 'unlink' }
  | { kind: 'forget'; customer: string; confirmToken?: string }
  /** `timezone [<IANA name>]`: shows or sets the rep's own timezone (the console has no profile to read it from). */
  | { kind: 'timezone'; zone?: string }
  /** `tombstone remove <name, email or domain>`: lets an erased customer who came back be recorded again (admins). */
  | { kind: 'tombstone'; remove: string }
  | { kind: 'export'; customer: string; format: 'json' | 'csv' }
  /** `insights [customer] [--since 30d]`: the top figures (needs, at-risk customers, response times) as a card. */
  | { kind: 'insights'; customer?: string; since?: string }
  /** `senders [page <n>]`: people who wrote to a support inbox and are nobody's customer yet. */
  | { kind: 'senders'; page?: number }
  /** `make customer <domain or email> [--name <name>]`: those senders become a customer. */
  | { kind: 'make-customer'; key: string; name?: string }
  | { kind: 'help'; topic?: string }
  | { kind: 'unknown'; word: string };

/** Command words and their aliases. */
export const COMMAND_WORDS: Record<string, Command['kind']> = {
  log: 'log',
  lookup: 'lookup',
  find: 'lookup',
  followups: 'followups',
  'follow-ups': 'followups',
  remind: 'remind',
  done: 'done',
  snooze: 'snooze',
  due: 'due',
  assign: 'assign',
  dismiss: 'dismiss',
  accept: 'accept',
  label: 'label',
  review: 'review',
  link: 'link',
  notify: 'notify',
  unlink: 'unlink',
  forget: 'forget',
  export: 'export',
  help: 'help',
  timezone: 'timezone',
  tz: 'timezone',
  tombstone: 'tombstone',
  insights: 'insights',
  senders: 'senders',
  make: 'make-customer',
  'make-customer': 'make-customer',
};

const VIA: Record<string, ChannelKind> = {
  call: 'call',
  phone: 'call',
  meeting: 'meeting',
  email: 'email',
  mail: 'email',
  chat: 'console',
  note: 'note',
};

/** Most words of an unquoted customer name tried when splitting it from the text that follows. */
const MAX_NAME_WORDS = 4;

/**
 * Parses one command line (without the "/crm" or @mention prefix; a leading "/crm" is ignored).
 * @throws RapportError invalid_input with the command's usage when arguments are missing or malformed.
 */
export function parseCommand(input: string): Command {
  const line = input.trim().replace(/^\/crm\b\s*/i, '');
  const tokens = tokenizeCommand(line);
  if (tokens.length === 0) return { kind: 'help' };
  const word = tokens[0].value.toLowerCase();
  const kind = tokens[0].quoted ? undefined : COMMAND_WORDS[word];
  const args = tokens.slice(1);
  const restText = (from: CommandToken[]) => textOf(line, from);
  switch (kind) {
    case undefined:
      return { kind: 'unknown', word: tokens[0].value };
    case 'help':
      return { kind: 'help', topic: args[0]?.value.toLowerCase() };
    case 'lookup':
      if (args.length === 0) throw usage('lookup');
      return { kind: 'lookup', query: restText(args) };
    case 'log': {
      const { positional, flags } = splitFlags(line, args, ['via', 'at', 'follow-up', 'new'], {
        via: 'word',
        new: 'none',
      });
      const via = flags.get('via');
      if (via !== undefined && !VIA[via.toLowerCase()]) {
        throw new RapportError(
          'invalid_input',
          `--via must be one of call, meeting, email, chat, note (got "${via}").`,
        );
      }
      if (flags.get('at') === '' || flags.get('follow-up') === '')
        throw new RapportError('invalid_input', '--at and --follow-up need a time, e.g. --follow-up "friday 10am".');
      const customer = customerPhrase(line, positional, 1);
      if (customer.splits.every((s) => s.rest === '')) throw usage('log');
      return {
        kind: 'log',
        customer,
        via: via === undefined ? undefined : VIA[via.toLowerCase()],
        at: flags.get('at'),
        followUp: flags.get('follow-up'),
        createNew: flags.has('new'),
      };
    }
    case 'followups': {
      // "followups all page 2" / "followups acme --page 2": the next 25.
      const { words, page } = trailingPage(args, 'followups');
      const paged = page === undefined || page === 1 ? {} : { page };
      if (words.length === 0) return { kind: 'followups', scope: 'mine', ...paged };
      const scope = words.every((w) => !w.quoted)
        ? SCOPES[words.map((w) => w.value.toLowerCase()).join(' ')]
        : undefined;
      if (scope) return { kind: 'followups', scope, ...paged };
      return { kind: 'followups', scope: 'customer', customer: restText(words), ...paged };
    }
    case 'remind': {
      // "remind me to call acme tomorrow": the customer and the date are somewhere in the sentence.
      if (args.length >= 2 && !args[0].quoted && args[0].value.toLowerCase() === 'me') {
        const from = !args[1].quoted && /^(?:to|about|that)$/i.test(args[1].value) ? 2 : 1;
        if (args.length - from < 2) throw usage('remind');
        return { kind: 'remind', sentence: restText(args.slice(from)) };
      }
      // Chinese needs no space between the date and the text: `remind 华为 下周二发报价`.
      const unspaced = args.length === 2 && !args[1].quoted && hasCjk(args[1].value);
      if (args.length < 3 && !unspaced) throw usage('remind');
      return { kind: 'remind', customer: customerPhrase(line, args, 2) };
    }
    case 'done':
    case 'dismiss':
    case 'accept': {
      // "done 18 19", "done 18, 19", "done #18 #19"
      const numbers = args.flatMap((a) => a.value.split(',')).filter((v) => v.trim() !== '');
      if (numbers.length === 0) throw usage(kind);
      return { kind, numbers: [...new Set(numbers.map((v) => followUpNumber(v.trim(), kind)))] };
    }
    case 'snooze':
      if (args.length < 2) throw usage('snooze');
      return { kind: 'snooze', number: followUpNumber(args[0].value, 'snooze'), when: restText(args.slice(1)) };
    case 'due':
      if (args.length < 2) throw usage('due');
      return { kind: 'due', number: followUpNumber(args[0].value, 'due'), when: restText(args.slice(1)) };
    case 'assign':
      // Slack's escaped mention may carry a display name with spaces: "<@U0REP2|Bob Smith>".
      if (args.length < 2) throw usage('assign');
      return { kind: 'assign', number: followUpNumber(args[0].value, 'assign'), rep: restText(args.slice(1)) };
    case 'label':
      if (args.length < 2) throw usage('label');
      return { kind: 'label', recordId: args[0].value, label: restText(args.slice(1)) };
    case 'review':
      if (args.length === 0) return { kind: 'review' };
      if (args.length === 2 && args[0].value.toLowerCase() === 'keep') return { kind: 'review', keep: args[1].value };
      throw usage('review');
    case 'link': {
      const { positional, flags } = splitFlags(line, args, ['team']);
      if (positional.length === 0) throw usage('link');
      const customer = textOf(line, positional);
      return flags.has('team') ? { kind: 'notify', customer } : { kind: 'link', customer };
    }
    case 'notify': {
      // "here" is optional and last: `notify acme here`, `notify "Acme Corp" here`, `notify acme`.
      const last = args[args.length - 1];
      const named = last && !last.quoted && last.value.toLowerCase() === 'here' ? args.slice(0, -1) : args;
      if (named.length === 0) throw usage('notify');
      return { kind: 'notify', customer: textOf(line, named) };
    }
    case 'unlink':
      return { kind: 'unlink' };
    case 'tombstone':
      if (args.length < 2 || args[0].quoted || args[0].value.toLowerCase() !== 'remove') throw usage('tombstone');
      return { kind: 'tombstone', remove: restText(args.slice(1)) };
    case 'timezone':
      if (args.length > 1) throw usage('timezone');
      return { kind: 'timezone', zone: args[0]?.value };
    case 'forget': {
      const { positional, flags } = splitFlags(line, args, ['confirm'], { confirm: 'word' });
      if (positional.length === 0) throw usage('forget');
      return { kind: 'forget', customer: textOf(line, positional), confirmToken: flags.get('confirm') };
    }
    case 'export': {
      if (args.length === 0) throw usage('export');
      const last = args[args.length - 1].value.toLowerCase();
      const hasFormat = args.length > 1 && !args[args.length - 1].quoted && (last === 'json' || last === 'csv');
      const nameTokens = hasFormat ? args.slice(0, -1) : args;
      return { kind: 'export', customer: restText(nameTokens), format: hasFormat ? (last as 'json' | 'csv') : 'json' };
    }
    case 'insights': {
      const { positional, flags } = splitFlags(line, args, ['since'], { since: 'word' });
      if (flags.get('since') === '') throw usage('insights');
      return {
        kind: 'insights',
        customer: positional.length > 0 ? textOf(line, positional) : undefined,
        since: flags.get('since'),
      };
    }
    case 'senders': {
      const { words, page } = trailingPage(args, 'senders');
      if (words.length > 0) throw usage('senders');
      return page === undefined || page === 1 ? { kind: 'senders' } : { kind: 'senders', page };
    }
    case 'make-customer': {
      // `make customer acme.com`, or the one-word `make-customer acme.com`.
      const rest = word === 'make' ? args.slice(1) : args;
      if (word === 'make' && (args.length === 0 || args[0].quoted || args[0].value.toLowerCase() !== 'customer'))
        throw usage('make-customer');
      const { positional, flags } = splitFlags(line, rest, ['name']);
      if (positional.length !== 1 || flags.get('name') === '') throw usage('make-customer');
      const name = flags.get('name');
      return { kind: 'make-customer', key: domainOrAddress(positional[0].value), ...(name ? { name } : {}) };
    }
    default:
      return { kind: 'unknown', word: tokens[0].value };
  }
}

/** A trailing `page <n>` (or `--page <n>`): the words before it and the page. */
function trailingPage(
  words: CommandToken[],
  kind: keyof typeof USAGE,
): { words: CommandToken[]; page: number | undefined } {
  const n = words.length;
  if (n < 2 || words[n - 1].quoted || !/^(?:page|--page)$/i.test(words[n - 2].value)) return { words, page: undefined };
  const page = Number(words[n - 1].value);
  if (!Number.isInteger(page) || page < 1)
    throw new RapportError('invalid_input', `"${words[n - 1].value}" is not a page number. Usage: ${USAGE[kind]}`);
  return { words: words.slice(0, -2), page };
}

/** A domain or address however it was typed: `mailto:jo@x.com` -> `jo@x.com`, `https://acme.com/` -> `acme.com`. */
function domainOrAddress(value: string): string {
  const v = value.trim().replace(/^mailto:/i, '');
  if (!/^https?:\/\//i.test(v)) return v;
  try {
    return new URL(v).hostname;
  } catch {
    return v;
  }
}

/** One-line usage of each command, shown in errors and help. */
export const USAGE: Record<Exclude<Command['kind'], 'unknown'>, string> = {
  log: 'log <customer> <what happened> [--via call|meeting|email|chat|note] [--at <when>] [--follow-up <when>]',
  lookup: 'lookup <customer, contact, email or domain>   (alias: find)',
  followups: 'followups [mine|today|tomorrow|this week|next week|overdue|all|<customer>] [page <n>]',
  remind: 'remind <customer> <when> <what>   or   remind me to <what, naming the customer> <when>',
  done: 'done <follow-up #> [more #s]',
  snooze: 'snooze <follow-up #> <when>',
  due: 'due <follow-up #> <when>',
  assign: 'assign <follow-up #> <@rep>',
  dismiss: 'dismiss <follow-up #> [more #s]',
  accept: 'accept <follow-up #> [more #s]',
  label: 'label <record id> <label>',
  review: 'review',
  link: "link <customer> [--team]   (in the customer's channel: log it; --team: same as notify)",
  notify: "notify <customer> here   (in a team channel: the customer's suggestions, reminders and digest go here)",
  unlink: 'unlink',
  forget: 'forget <customer>',
  export: 'export <customer> [json|csv]',
  timezone: 'timezone [<IANA name, e.g. Europe/Berlin>]',
  tombstone: 'tombstone remove <erased company name, email or domain>   (admins)',
  insights: 'insights [customer] [--since 30d]',
  senders: "senders [page <n>]   (who wrote to the support inbox and is nobody's customer yet)",
  'make-customer': 'make customer <domain or email> [--name <company name>]',
  help: 'help [command]',
};

function usage(kind: keyof typeof USAGE): RapportError {
  return new RapportError('invalid_input', `Usage: ${USAGE[kind]}`, { command: kind });
}

function followUpNumber(text: string, kind: keyof typeof USAGE): number {
  const n = Number(text.replace(/^#/, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new RapportError('invalid_input', `"${text}" is not a follow-up number. Usage: ${USAGE[kind]}`);
  return n;
}

/**
 * The original text covered by tokens; a single quoted token gives its content without quotes. Tokens
 * need not be adjacent (options may sit between them): a gap holding other words becomes one space.
 */
function textOf(line: string, tokens: CommandToken[]): string {
  if (tokens.length === 0) return '';
  if (tokens.length === 1 && tokens[0].quoted) return tokens[0].value;
  let out = line.slice(tokens[0].start, tokens[0].end);
  for (let i = 1; i < tokens.length; i++) {
    const gap = line.slice(tokens[i - 1].end, tokens[i].start);
    out += (/^\s*$/.test(gap) ? gap : ' ') + line.slice(tokens[i].start, tokens[i].end);
  }
  return out.trim();
}

/** How many words an option takes: none (`--new`), one (`--via call`), or a phrase up to the next option. */
type FlagArity = 'none' | 'word' | 'phrase';

/**
 * Separates `--name value` options from the positional words, wherever the options are
 * (`log acme --via call "Called Jo"` as well as `log acme "Called Jo" --via call`). A phrase option
 * (`--at`) takes one quoted word, or every word up to the next option.
 */
function splitFlags(
  line: string,
  tokens: CommandToken[],
  known: string[],
  arity: Partial<Record<string, FlagArity>> = {},
): { positional: CommandToken[]; flags: Map<string, string> } {
  const flags = new Map<string, string>();
  const isFlag = (t: CommandToken) => !t.quoted && /^--[a-z]/i.test(t.value);
  const positional: CommandToken[] = [];
  let i = 0;
  while (i < tokens.length) {
    if (!isFlag(tokens[i])) {
      positional.push(tokens[i++]);
      continue;
    }
    const name = tokens[i].value
      .slice(2)
      .toLowerCase()
      .replace(/^followup$/, 'follow-up');
    if (!known.includes(name)) {
      throw new RapportError(
        'invalid_input',
        `Unknown option "${tokens[i].value}". Options here: ${known.map((k) => `--${k}`).join(', ')}.`,
      );
    }
    const kind = arity[name] ?? 'phrase';
    let j = i + 1;
    if (kind === 'word') j = j < tokens.length && !isFlag(tokens[j]) ? j + 1 : j;
    else if (kind === 'phrase') {
      if (j < tokens.length && tokens[j].quoted) j++;
      else while (j < tokens.length && !isFlag(tokens[j])) j++;
    }
    flags.set(name, textOf(line, tokens.slice(i + 1, j)));
    i = j;
  }
  return { positional, flags };
}

/** Readings of "<customer> <rest>": a quoted first word is the name; else 1..4 words, longest first. */
function customerPhrase(line: string, tokens: CommandToken[], minRestWords: number): CustomerPhrase {
  if (tokens.length === 0) return { splits: [], quoted: false };
  if (tokens[0].quoted)
    return { quoted: true, splits: [{ customer: tokens[0].value, rest: textOf(line, tokens.slice(1)) }] };
  const splits: CustomerPhrase['splits'] = [];
  const maxWords = Math.max(1, Math.min(MAX_NAME_WORDS, tokens.length - Math.max(minRestWords, 1)));
  for (let n = maxWords; n >= 1; n--) {
    if (tokens.slice(0, n).some((t) => t.quoted)) continue;
    splits.push({ customer: textOf(line, tokens.slice(0, n)), rest: textOf(line, tokens.slice(n)) });
  }
  return { quoted: false, splits };
}
