import { findTeamChannelOf } from '../../db/team-channel.repository.ts';
import { RapportError } from '../../errors.ts';
import { adminRefusal } from '../../domain/roles.ts';
import { setTeamChannel } from '../../services/team-channels.service.ts';
import type { Command } from '../parse-command.ts';
import type { HandlerContext } from '../command-deps.ts';
import type { Reply } from '../reply-model.ts';
import { q, resolveCustomer } from '../resolve-customer.ts';

/**
 * `notify <customer> here` (or `link <customer> --team`): this channel becomes the customer's team
 * channel. Refused unless the connector says only the company reads it: a card quotes the customer
 * and says what the team thinks about them. Moving a team channel someone else chose needs an admin.
 */
export async function handleNotify(cmd: Extract<Command, { kind: 'notify' }>, h: HandlerContext): Promise<Reply> {
  const channel = h.ctx.channel;
  if (!channel)
    throw new RapportError(
      'invalid_input',
      '"notify" makes the channel you type it in a team channel; run it in that channel, not in a direct message.',
    );
  const match = await resolveCustomer(h, cmd.customer, {
    requireExact: true,
    commandFor: (name) => `notify ${q(name)} here`,
  });
  const audience = (await h.deps.audience?.(channel.target).catch(() => 'unknown' as const)) ?? 'unknown';
  if (audience !== 'internal')
    throw new RapportError(
      'forbidden',
      audience === 'external'
        ? `This channel has people from outside the company (a shared channel or guests), so ${match.companyName}'s suggestions and reminders cannot go here. Run "notify ${match.companyName} here" in an internal channel.`
        : `Rapport could not check who is in this channel, so ${match.companyName}'s suggestions and reminders will not go here. Try again in a minute, or use an internal channel.`,
    );
  const current = await findTeamChannelOf(h.deps.db.prisma, match.companyId);
  if (current?.createdBy && current.createdBy !== h.rep.id && h.role !== 'admin')
    throw new RapportError(
      'forbidden',
      adminRefusal(`move ${match.companyName}'s team channel, which someone else chose`),
    );
  const { previousTarget } = await setTeamChannel(h.deps.db.prisma, channel, match.companyId, h.audit);
  const moved = previousTarget && previousTarget !== channel.target;
  return {
    tone: 'success',
    visibility: 'channel',
    text: `This is now ${match.companyName}'s team channel: its suggestions, reminders, escalations and digest are posted here${moved ? ' (instead of the channel chosen before)' : ''}. "unlink" here stops it.`,
  };
}
