import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { startTeamsProcess, TEST_BOT, TEST_TENANT, type TeamsProcess } from '../../helpers/teams-process.ts';
import { TeamsRecorder } from '../../helpers/teams-recorder.ts';

const CHANNEL = '19:reference-author@thread.tacv2';
const conversation = { id: CHANNEL, conversationType: 'channel', isGroup: true, tenantId: TEST_TENANT };
const channelData = {
  tenant: { id: TEST_TENANT },
  team: { id: '19:team-ours@thread.tacv2' },
  channel: { id: CHANNEL },
};
const dee = { id: '29:dee-author', name: 'Dee Lastspoke', aadObjectId: 'aad-dee-author' };
const ann = { id: '29:ann-rep', name: 'Ann Rep', aadObjectId: 'aad-ann-rep' };

/**
 * Rapport keeps a ConversationReference per Teams conversation, to post there later. As botbuilder
 * builds it (getConversationReference), it names the activity's author in `user`: a channel's row
 * pointed at whoever last spoke there, by name and Entra id, and outlived their erasure. Proactive
 * posts do not need it: the row keeps where to post, and a reminder still arrives.
 */
describe('Teams: a stored conversation reference names nobody who spoke there', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess | undefined;

  beforeAll(async () => {
    await recorder.start();
    recorder.setMembers(
      CHANNEL,
      [dee, ann].map((m) => ({ ...m, tenantId: TEST_TENANT, userRole: 'user' })),
    );
    rapport = await startTeamsProcess('pglite', recorder, { RAPPORT_DEFAULT_CHANNEL: `teams:${CHANNEL}` });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  const command = (text: string) =>
    rapport!.send(
      rapport!.activity(conversation, {
        type: 'message',
        from: dee,
        text: `<at>Rapport</at> ${text}`,
        entities: [{ type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT }],
        channelData,
      }),
    );

  it('after a message from a person the stored reference holds no trace of them, and a reminder still reaches the channel', async () => {
    // The first Rapport hears of the channel is Dee's message: the reference is stored from it.
    expect((await command('log "Refco" "Asked for the renewal quote" --new')).status).toBe(200);
    expect((await command('remind refco in 1 minute send Refco the renewal quote')).status).toBe(200);
    const db = rapport!.proc.runtime.db.prisma;
    const link = await db.channelLink.findUniqueOrThrow({
      where: { platform_channelRef: { platform: 'teams', channelRef: CHANNEL } },
    });
    expect(link.conversationRef).toMatchObject({ serviceUrl: recorder.url, conversation: { id: CHANNEL } });
    expect(link.conversationRef).not.toHaveProperty('user');
    expect(JSON.stringify(link.conversationRef)).not.toMatch(/dee|Lastspoke/i);

    // The reminder, due now, is posted proactively to the channel from the stored reference.
    const f = await db.followUp.findFirstOrThrow({ where: { title: { contains: 'renewal quote' } } });
    await db.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 500) } });
    await rapport!.proc.runtime.hooks.followUpChanged(f.id);
    const reminder = await eventually(
      'the reminder in the channel',
      async () =>
        recorder
          .cards()
          .find(
            (c) =>
              c.method === 'POST' &&
              c.conversationId === CHANNEL &&
              !c.activityId &&
              /Reminder/.test(JSON.stringify(c.card)) &&
              /renewal quote/.test(JSON.stringify(c.card)),
          ),
      60_000,
    );
    expect(reminder.conversationId).toBe(CHANNEL);
    // Storing again (Dee speaks once more, Ann runs a command) still names nobody.
    expect((await command('lookup refco')).status).toBe(200);
    const again = await db.channelLink.findUniqueOrThrow({
      where: { platform_channelRef: { platform: 'teams', channelRef: CHANNEL } },
    });
    expect(JSON.stringify(again.conversationRef)).not.toMatch(/dee|Lastspoke|ann-rep|Ann Rep/i);
  }, 120_000);
});
