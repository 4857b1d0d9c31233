import { parseLeadingWhen, parseWhen, WHEN_EXAMPLES } from '../../domain/parse-when.ts';
import { tokenizeCommand } from '../../domain/tokenize-command.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { RapportError } from '../../errors.ts';
import { createFollowUp } from '../../services/follow-ups.service.ts';
import { confidentMatch, lookupCustomer } from '../../services/lookup-customer.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';
import { followUpSection } from '../follow-up-view.ts';

type RemindCommand = Extract<Command, { kind: 'remind' }>;
interface Reading {
  customer: string;
  at: Date;
  title: string;
}

/** Most words of a customer name looked for inside a `remind me to …` sentence. */
const MAX_NAME_WORDS = 4;

/**
 * `remind <customer> <when> <text>` (when and text may each be quoted: `remind acme "tomorrow 9am"
 * "send the quote"`), or `remind me to call acme tomorrow`: a manual follow-up assigned to the rep.
 */
export async function handleRemind(cmd: RemindCommand, h: HandlerContext): Promise<Reply> {
  if (cmd.sentence !== undefined) return remindFromSentence(cmd.sentence, h);
  const readings: Reading[] = [];
  let dateError: unknown;
  let untitled: { customer: string; when: string } | undefined;
  for (const split of cmd.customer.splits) {
    try {
      const when = whenAndWhat(split.rest, h);
      if (when?.title) readings.push({ customer: split.customer, at: when.at, title: when.title });
      // The longest date wins: "globex" + "tomorrow 9am", not "globex tomorrow" + "9am".
      else if (when && when.matched.length > (untitled?.when.length ?? 0))
        untitled = { customer: split.customer, when: when.matched };
    } catch (err) {
      dateError ??= err;
    }
  }
  if (readings.length === 0) {
    if (dateError) throw dateError;
    // `remind globex tomorrow 9am`: the date was read, the thing to do is missing.
    if (untitled) {
      throw new RapportError(
        'invalid_input',
        `What should I remind you about? Put it after the date, e.g. remind ${q(untitled.customer)} ${untitled.when} send the quote.`,
      );
    }
    throw new RapportError(
      'invalid_input',
      `I could not find when to remind you. Usage: remind <customer> <when> <what>, with when like ${WHEN_EXAMPLES}. Quote multi-word names: remind "Acme Ltd" friday send the quote.`,
    );
  }
  for (const reading of readings) {
    const match = confidentMatch(await lookupCustomer(h.deps.db, reading.customer, { exactOnly: true }), {
      requireExact: true,
    });
    if (match) return create(h, match.companyId, match.companyName, reading);
  }
  const reading = readings[readings.length - 1];
  const rest = cmd.customer.splits.find((s) => s.customer === reading.customer)!.rest;
  const match = await resolveCustomer(h, reading.customer, {
    requireExact: true,
    commandFor: (name) => `remind ${q(name)} ${rest}`,
  });
  return create(h, match.companyId, match.companyName, reading);
}

/** The date at the start of `rest` and the words after it; a quoted date or title is read without its quotes. */
function whenAndWhat(rest: string, h: HandlerContext): { at: Date; title: string; matched: string } | undefined {
  const tokens = tokenizeCommand(rest);
  if (tokens[0]?.quoted) {
    const at = parseWhen(tokens[0].value, h.ctx.now, h.timeZone, { hours: h.deps.businessHours });
    return { at, title: unquote(rest.slice(tokens[0].end)), matched: rest.slice(0, tokens[0].end).trim() };
  }
  const when = parseLeadingWhen(rest, h.ctx.now, h.timeZone, { hours: h.deps.businessHours });
  return when && { at: when.at, title: unquote(when.rest), matched: when.matched };
}

function unquote(text: string): string {
  const tokens = tokenizeCommand(text.trim());
  return tokens.length === 1 && tokens[0].quoted ? tokens[0].value : text.trim();
}

/**
 * `remind me to call acme tomorrow`: the date is at the start or the end of the sentence, the customer
 * is the longest run of words that names exactly one customer; the title is the sentence without the date.
 */
async function remindFromSentence(sentence: string, h: HandlerContext): Promise<Reply> {
  const tokens = tokenizeCommand(sentence);
  let found: { at: Date; what: string } | undefined;
  let dateError: unknown;
  const attempt = (fn: () => { at: Date; what: string } | undefined) => {
    try {
      return fn();
    } catch (err) {
      dateError ??= err;
      return undefined;
    }
  };
  found = attempt(() => {
    const lead = parseLeadingWhen(sentence, h.ctx.now, h.timeZone, { hours: h.deps.businessHours });
    return lead?.rest ? { at: lead.at, what: lead.rest.replace(/^to\s+/i, '') } : undefined;
  });
  for (let i = 1; !found && i < tokens.length; i++) {
    found = attempt(() => {
      const tail = parseLeadingWhen(sentence.slice(tokens[i].start), h.ctx.now, h.timeZone, {
        hours: h.deps.businessHours,
      });
      return tail && tail.rest === '' ? { at: tail.at, what: sentence.slice(0, tokens[i].start).trim() } : undefined;
    });
  }
  if (!found) {
    if (dateError) throw dateError;
    throw new RapportError(
      'invalid_input',
      `I could not find when to remind you in "${sentence}". Put the date at the start or the end, e.g. remind me to call acme tomorrow 9am.`,
    );
  }
  const what = found.what;
  const words = tokenizeCommand(what);
  for (let n = Math.min(MAX_NAME_WORDS, words.length); n >= 1; n--) {
    for (let i = 0; i + n <= words.length; i++) {
      const name = words
        .slice(i, i + n)
        .map((w) => w.value)
        .join(' ');
      if (name.replace(/[^\p{L}\p{N}]/gu, '').length < 2) continue;
      const match = confidentMatch(await lookupCustomer(h.deps.db, name, { exactOnly: true }), {
        requireExact: true,
      });
      if (match) return create(h, match.companyId, match.companyName, { customer: name, at: found.at, title: what });
    }
  }
  throw new RapportError(
    'invalid_input',
    `I could not tell which customer "${what}" is about. Name it first: remind <customer> <when> <what>, e.g. remind acme tomorrow ${what}.`,
  );
}

async function create(h: HandlerContext, companyId: string, companyName: string, reading: Reading): Promise<Reply> {
  const followUp = await createFollowUp(
    h.deps.db,
    {
      companyId,
      title: reading.title,
      dueAt: reading.at,
      assigneeRepId: h.rep.id,
      actor: h.audit,
      fallbackRemindTarget: h.ctx.channel?.target,
      // Same key shape as `log`: a retried Slack/Teams/console request returns the first follow-up.
      requestKey: h.ctx.requestKey ? `${h.ctx.actor.platform}:command:${h.ctx.requestKey}` : undefined,
    },
    h.deps.hooks,
  );
  h.about.add(companyId);
  const when = formatInZone(followUp.dueAt, h.timeZone, h.ctx.now);
  return {
    tone: 'success',
    title: followUp.created ? `Follow-up #${followUp.number} set` : `Follow-up #${followUp.number} already set`,
    text: followUp.created
      ? `I'll remind you about ${companyName} on ${when}: ${followUp.title}`
      : `This request already set follow-up #${followUp.number} (${when}: ${followUp.title}); nothing new was written.`,
    sections: [followUpSection(followUp, h.timeZone, h.ctx.now)],
  };
}
