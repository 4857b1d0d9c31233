import { closestWords } from '../../domain/edit-distance.ts';
import { COMMAND_WORDS, USAGE, type Command } from '../parse-command.ts';
import type { Reply } from '../reply-model.ts';

const DETAILS: Partial<Record<keyof typeof USAGE, string[]>> = {
  log: [
    'Records a conversation with a customer. Quote names with spaces: log "Acme Ltd" "Called Jo, wants a quote".',
    'Unquoted works too: log acme Called Jo, wants a quote',
    'Options, before or after the text: --via call (default note), --at "yesterday 3pm" (when it happened: never in the future), --follow-up "friday 10am". An unknown customer asks before creating it (--new creates it).',
  ],
  lookup: [
    'Shows a customer card: contacts, last 5 conversations with their labels, open follow-ups.',
    'Search by company, contact name, email or domain; typos are fine: lookup acem, find jo@acme.com',
  ],
  followups: [
    'Lists follow-ups with Done / Snooze / Reassign / Dismiss buttons. Default: yours.',
    'followups today · followups tomorrow · followups this week · followups next week · followups overdue · followups all · followups acme',
    'Long lists show 25 at a time with the total: followups all page 2',
  ],
  remind: [
    'Sets a follow-up for you: remind acme friday 10am send the quote · remind acme "tomorrow 9am" "send the quote"',
    'Or as a sentence: remind me to call acme tomorrow',
    'Dates: "tomorrow 9am", "next Tuesday", "in 3 days", "in 35 seconds", "friday" (9:00 in your timezone), "eod" (17:00), "eow", "Q1", "end of Q2".',
    'Another timezone: "tomorrow 9am PST", "3pm CET", "tomorrow 09:00 Europe/Berlin". Set your own with "timezone".',
  ],
  snooze: ['snooze 12 tomorrow 9am · snooze 12 until friday · snooze 12 for 2 hours'],
  done: ['Marks follow-ups done: done 12 · done 12 13 14'],
  dismiss: ['dismiss 12 · dismiss 12 13'],
  due: [
    'Moves when a follow-up is due, keeping its state (the "Change due" button on suggestions): due 12 friday 14:00 · due 12 in 3 days',
  ],
  assign: [
    'assign 12 @jo · assign 12 jo@example.com. Colleagues who never used Rapport are fine: in Slack pick them with @, or give their email.',
  ],
  timezone: [
    "Shows or sets the timezone your dates are read and shown in: timezone Europe/Berlin. Slack and Teams send your profile's timezone; this is for the console and rapport exec.",
  ],
  tombstone: [
    'An erased customer came back and agreed to be recorded: tombstone remove "Acme Ltd" (or their email or domain). Console and rapport exec only.',
  ],
  link: [
    'Makes this channel the customer\'s channel: conversations here are logged to it. Its suggestions and reminders never go here (the customer may read along): they go to the customer\'s team channel (see notify). "unlink" undoes it.',
  ],
  notify: [
    'Makes this channel the team channel of a customer: its suggestions, reminders, escalations and digest go here. Refused in a channel with people from outside the company (Slack Connect, guests).',
    'Without one, they go to the default team channel (RAPPORT_DEFAULT_CHANNEL). "unlink" here stops it.',
  ],
  forget: [
    'Erases a customer for good (GDPR) after you confirm with a button. Hashed keys stay so it is never imported again. Admins only.',
  ],
  export: ['Everything stored about a customer, as JSON (default) or CSV: export acme csv'],
  insights: [
    'The top figures of the last 30 days: what customers ask about (topics, emerging ones flagged), who is at risk and why, how fast we answer. insights acme: the same for one customer.',
    'Another period: insights --since 7d · insights acme --since 3m. The card links to the console page with the charts and the records behind each figure.',
  ],
  label: [
    'Corrects (or confirms) the label of a record; used by the Correct and review buttons: label <record id> purchase',
    "Only the classifier's labels are accepted; an administrator adds new ones with `rapport model label add`.",
  ],
  senders: [
    "Who wrote to the support inbox and is nobody's customer yet (IMAP_CREATE_COMPANIES=answered keeps them out until someone answers), newest first, 10 at a time: senders page 2.",
    "Each has a Make customer button; the daily digest of the default channel lists the last day's.",
  ],
  'make-customer': [
    'Makes senders a customer: make customer acme.com takes everyone at that domain; make customer jo@gmail.com one free-mail address (the company is named after the person unless --name "Jo\'s Bakery").',
    'Their conversations move to the customer and their new mail gets follow-up suggestions.',
  ],
  review: [
    'Records the classifier is unsure about, and corrections the last retrain flagged: confirm or correct each with one click.',
  ],
};

/** `help [command]`: all commands, or one command with examples. */
export function helpReply(topic?: string): Reply {
  const kind = topic ? COMMAND_WORDS[topic.toLowerCase()] : undefined;
  if (topic && kind && kind !== 'unknown') {
    const key = kind as keyof typeof USAGE;
    return { tone: 'info', title: `help ${topic}`, text: [USAGE[key], ...(DETAILS[key] ?? [])].join('\n') };
  }
  const lines = Object.values(USAGE);
  return {
    tone: topic ? 'warning' : 'info',
    title: 'Rapport commands',
    text: `${topic ? `There is no command "${topic}".\n` : ''}${lines.join('\n')}\nType "help <command>" for examples.`,
    buttons: [
      { label: 'My follow-ups', command: 'followups' },
      { label: 'Help: log', command: 'help log' },
    ],
  };
}

/** An unknown command word: "did you mean" the nearest command(s), then the list. */
export function unknownCommandReply(cmd: Extract<Command, { kind: 'unknown' }>): Reply {
  const suggestions = closestWords(cmd.word.toLowerCase(), Object.keys(COMMAND_WORDS), 2).slice(0, 2);
  const help = helpReply();
  return {
    ...help,
    tone: 'warning',
    title: `I don't know "${cmd.word}"`,
    text: `${suggestions.length ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?\n\n` : ''}${help.text}`,
    buttons: suggestions.map((s) => ({ label: `help ${s}`, command: `help ${s}` })),
  };
}
