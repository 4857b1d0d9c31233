import { randomUUID } from 'node:crypto';
import type { RunningProcess } from '../../app/start-process.ts';
import { startTestProcess } from './test-process.ts';
import type { RecordedCall, RecordedMember, TeamsRecorder } from './teams-recorder.ts';

/** The tenant startTeamsProcess configures as ours (MICROSOFT_APP_TENANT_ID) and its activities come from by default. */
export const TEST_TENANT = 'tenant-1';

/** The bot's account in test activities. */
export const TEST_BOT = { id: '28:rapport-bot', name: 'Rapport' };

export interface TeamsProcess {
  proc: RunningProcess;
  /** Its Redis key prefix (RAPPORT_QUEUE_PREFIX), to reach its queues. */
  prefix: string;
  /** POSTs a Bot Framework activity to /api/messages; the parsed JSON body of the answer (a text body as `{ text }`), if any. */
  send(activity: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> | undefined }>;
  /** An activity from Teams with sensible defaults (id, serviceUrl = the recorder, the conversation's tenant else TEST_TENANT, bot as recipient). */
  activity(
    conversation: Record<string, unknown> & { id: string },
    fields: Record<string, unknown>,
  ): Record<string, unknown>;
  /**
   * A team channel of its own (name plus a random part): `members` its roster in the recorder, and the
   * bot added to it (`conversationUpdate`), so its reference is stored. `team`: the team it is in (null:
   * none in its channelData).
   */
  addedToChannel(
    name: string,
    tenant: { id: string },
    members: RecordedMember[],
    team?: string | null,
  ): Promise<TeamsTestChannel>;
  /** A new top-level message from `from` in channel `c` (its own reply chain), as Teams sends it. */
  say(
    c: TeamsTestChannel,
    from: TeamsTestUser,
    text: string,
    extra?: Record<string, unknown>,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined; id: string }>;
  /** A click on a card button (Action.Execute, running `command`), as Teams sends it from the card's conversation. */
  click(
    conversation: Record<string, unknown> & { id: string },
    from: TeamsTestUser,
    card: RecordedCall,
    command: string,
    channelData?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> | undefined }>;
  dispose(): Promise<void>;
}

/** A Teams channel the bot was added to in a test. */
export interface TeamsTestChannel {
  id: string;
  conversation: { id: string; conversationType: 'channel'; isGroup: true; tenantId: string };
  channelData: { tenant: { id: string }; team?: { id: string }; channel: { id: string } };
}

/** Who sends an activity (a Teams channel account). */
export interface TeamsTestUser {
  id: string;
  name: string;
  aadObjectId?: string;
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
  // Our tenant is configured, never taken from an activity: TEST_TENANT unless the test names its own.
  const test = await startTestProcess(
    kind,
    { TEAMS_ENABLED: 'true', MICROSOFT_APP_TENANT_ID: TEST_TENANT, ...env },
    { name: 'teams' },
  );
  const proc = test.proc;
  const self: TeamsProcess = {
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
        // As Teams sends it: the conversation's tenant in channelData too.
        channelData: {
          tenant: { id: typeof conversation.tenantId === 'string' ? conversation.tenantId : TEST_TENANT },
        },
        ...fields,
      };
    },
    async addedToChannel(name, tenant, members, team = '19:team-ours@thread.tacv2') {
      const id = `19:${name}-${randomUUID().slice(0, 8)}@thread.tacv2`;
      recorder.setMembers(id, members);
      const c: TeamsTestChannel = {
        id,
        conversation: { id, conversationType: 'channel', isGroup: true, tenantId: tenant.id },
        channelData: { tenant, channel: { id }, ...(team ? { team: { id: team } } : {}) },
      };
      const added = await self.send(
        self.activity(c.conversation, {
          type: 'conversationUpdate',
          membersAdded: [TEST_BOT],
          channelData: c.channelData,
        }),
      );
      if (added.status !== 200) throw new Error(`adding the bot to ${id} answered ${added.status}`);
      return c;
    },
    async say(c, from, text, extra = {}) {
      const id = String(Date.now() * 1000 + Math.floor(Math.random() * 1000));
      const res = await self.send(
        self.activity(
          { ...c.conversation, id: `${c.id};messageid=${id}` },
          { type: 'message', id, from, text, channelData: c.channelData, ...extra },
        ),
      );
      return { ...res, id };
    },
    click(conversation, from, card, command, channelData) {
      return self.send(
        self.activity(conversation, {
          type: 'invoke',
          name: 'adaptiveCard/action',
          from,
          replyToId: card.answeredId,
          ...(channelData ? { channelData } : {}),
          value: { action: { type: 'Action.Execute', verb: 'rapport', data: { rapport: command } } },
        }),
      );
    },
    dispose: () => test.dispose(),
  };
  return self;
}
