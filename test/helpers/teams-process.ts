import { randomUUID } from 'node:crypto';
import type { RunningProcess } from '../../app/start-process.ts';
import { startTestProcess } from './test-process.ts';
import type { TeamsRecorder } from './teams-recorder.ts';

/** The bot's account in test activities. */
export const TEST_BOT = { id: '28:rapport-bot', name: 'Rapport' };

export interface TeamsProcess {
  proc: RunningProcess;
  /** Its Redis key prefix (RAPPORT_QUEUE_PREFIX), to reach its queues. */
  prefix: string;
  /** POSTs a Bot Framework activity to /api/messages; the parsed JSON body of the answer (a text body as `{ text }`), if any. */
  send(activity: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> | undefined }>;
  /** An activity from Teams with sensible defaults (id, serviceUrl = the recorder, tenant, bot as recipient). */
  activity(
    conversation: Record<string, unknown> & { id: string },
    fields: Record<string, unknown>,
  ): Record<string, unknown>;
  dispose(): Promise<void>;
}

/**
 * A real Rapport process with Teams in Emulator mode (no app id, loopback only) on a database of the
 * given kind, its own Redis prefix and data dir; Teams' Bot Connector is the recorder.
 */
export async function startTeamsProcess(
  kind: 'pglite' | 'postgres',
  recorder: TeamsRecorder,
  env: Record<string, string> = {},
): Promise<TeamsProcess> {
  const test = await startTestProcess(kind, { TEAMS_ENABLED: 'true', ...env }, { name: 'teams' });
  const proc = test.proc;
  return {
    proc,
    prefix: test.prefix,
    async send(activity) {
      const res = await fetch(`${proc.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(activity),
      });
      const text = await res.text();
      // A 500 from the adapter carries the error's message as plain text.
      const json = res.headers.get('content-type')?.includes('json') || /^\s*[{[]/.test(text);
      return {
        status: res.status,
        body: !text ? undefined : json ? (JSON.parse(text) as Record<string, unknown>) : { text },
      };
    },
    activity(conversation, fields) {
      return {
        id: randomUUID(),
        channelId: 'msteams',
        serviceUrl: recorder.url,
        timestamp: new Date().toISOString(),
        conversation,
        recipient: TEST_BOT,
        channelData: { tenant: { id: 'tenant-1' } },
        ...fields,
      };
    },
    dispose: () => test.dispose(),
  };
}
