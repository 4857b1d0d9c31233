import type { Database } from '../../src/db/database.ts';
import { createCustomer } from '../../src/services/create-customer.service.ts';
import { createFollowUp } from '../../src/services/follow-ups.service.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';
import { findOrCreateRep } from '../../src/services/reps.service.ts';

/**
 * A new customer `customer` and an open follow-up "Call <customer> back" due at `dueAt`, assigned to the
 * console rep Sam, its reminder for `target` (default the console's team channel), through the real
 * services and `hooks` (so its reminder job is scheduled as a command would). Answers the follow-up and
 * the audit actor for later changes.
 */
export async function openFollowUp(
  db: Database,
  hooks: PipelineHooks,
  customer: string,
  dueAt: Date,
  target = 'console:team',
) {
  const actor = { platform: 'console' as const, platformUserId: 'sam', displayName: 'Sam', timezone: 'UTC' };
  const rep = await findOrCreateRep(db.prisma, actor);
  const audit = { repId: rep.id, platform: 'console' };
  const company = await createCustomer(db.prisma, customer, audit);
  const followUp = await createFollowUp(
    db,
    {
      companyId: company.id,
      title: `Call ${customer} back`,
      dueAt,
      assigneeRepId: rep.id,
      actor: audit,
      fallbackRemindTarget: target,
    },
    hooks,
  );
  return { followUp, audit };
}
