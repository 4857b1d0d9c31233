import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.ts';
import { logCommunication, type LogCommunicationResult } from '../../src/services/log-communication.service.ts';
import type { PipelineHooks } from '../../src/services/pipeline-hooks.ts';

/** The console user the tests log notes as (findOrCreateRep makes the rep). */
export const CONSOLE_JO = { platform: 'console', platformUserId: 'jo', displayName: 'Jo', timezone: 'UTC' } as const;

/**
 * A note `rep` logs on `companyId` as the console does (logCommunication with `hooks`: the real queue's,
 * or none), occurring now, under `sourceKey` (default a fresh `test:<uuid>`).
 */
export function logConsoleNote(
  db: Database,
  hooks: PipelineHooks,
  note: { companyId: string; rep: { id: string; name: string }; text: string; sourceKey?: string },
): Promise<LogCommunicationResult> {
  return logCommunication(
    db,
    {
      companyId: note.companyId,
      text: note.text,
      occurredAt: new Date(),
      sourceKey: note.sourceKey ?? `test:${randomUUID()}`,
      repId: note.rep.id,
      repName: note.rep.name,
      actor: { repId: note.rep.id, platform: 'console' },
    },
    hooks,
  );
}
