import { isTimeZone } from '../../domain/parse-when.ts';
import { formatInZone } from '../../domain/zoned-time.ts';
import { RapportError } from '../../errors.ts';
import { setRepTimezone } from '../../services/reps.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';

/**
 * `timezone [<IANA name>]`: shows or sets the rep's timezone. Slack and Teams read it from the
 * person's profile at every command; the console and `rapport exec` have none, so this is where
 * their users set it.
 */
export async function handleTimezone(cmd: Extract<Command, { kind: 'timezone' }>, h: HandlerContext): Promise<Reply> {
  const profileNote =
    h.ctx.actor.timezoneIsDefault === true
      ? ''
      : ` (${h.ctx.actor.platform === 'console' ? 'this console' : h.ctx.actor.platform} sends your profile's timezone with every command, so set it there)`;
  if (!cmd.zone) {
    return {
      tone: 'info',
      text: `Your timezone is ${h.timeZone}: it is ${formatInZone(h.ctx.now, h.timeZone, h.ctx.now)} there. Change it with "timezone Europe/Berlin"${profileNote}.`,
    };
  }
  const zone = canonicalZone(cmd.zone);
  if (!zone) {
    throw new RapportError(
      'invalid_input',
      `"${cmd.zone}" is not a timezone I know. Use an IANA name such as Europe/Berlin, America/New_York or Asia/Tokyo.`,
    );
  }
  await setRepTimezone(h.deps.db.prisma, h.rep.id, zone);
  return {
    tone: 'success',
    text: `Your timezone is now ${zone}: "tomorrow 9am" means 9:00 there, and dates are shown in it. It is ${formatInZone(h.ctx.now, zone, h.ctx.now)} there now.${profileNote ? ` Note${profileNote.replace(/^ \(/, ': ').replace(/\)$/, '')}.` : ''}`,
  };
}

/** The IANA spelling of a zone typed in any case ("europe/berlin" -> "Europe/Berlin"), or undefined. */
function canonicalZone(typed: string): string | undefined {
  if (!isTimeZone(typed)) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: typed }).resolvedOptions().timeZone;
}
