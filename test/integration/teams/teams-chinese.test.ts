import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { chatSourceKey } from '../../../src/services/log-chat-message.service.ts';
import { nextWeekTuesdayAt9 } from '../../helpers/chinese-calendar.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const CUSTOMER_CHANNEL = '19:huawei-shared@thread.tacv2'; // linked to 华为技术有限公司
const TEAM_CHANNEL = '19:sales-team@thread.tacv2'; // RAPPORT_DEFAULT_CHANNEL: where suggestion cards go
const tenant = { id: 'tenant-1' };
const mei = { id: '29:mei', name: '李梅', aadObjectId: 'aad-mei' };
const wang = { id: '29:wang', name: '王经理', aadObjectId: 'aad-wang' };
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };

// Issue 18, end to end in Teams: a customer who writes Chinese in a linked channel and a rep in
// Shanghai who types Chinese commands, through botbuilder's CloudAdapter and the real pipeline, with
// the Bot Connector as the local recorder.
describe.each(TEST_DATABASE_KINDS)('Teams in Chinese, end to end on %s', (kind) => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;
  const inChannel = (channel: string, root?: string) => ({
    id: root ? `${channel};messageid=${root}` : channel,
    conversationType: 'channel',
    isGroup: true,
    tenantId: tenant.id,
  });
  const command = (text: string, id: string) =>
    rapport.send(
      rapport.activity(inChannel(TEAM_CHANNEL), {
        type: 'message',
        id,
        from: mei,
        text: `<at>Rapport</at> ${text}`,
        entities: [mention],
        localTimezone: 'Asia/Shanghai',
        channelData: { tenant, channel: { id: TEAM_CHANNEL } },
      }),
    );

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess(kind, recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      RAPPORT_DEFAULT_CHANNEL: `teams:${TEAM_CHANNEL}`,
    });
    await db().company.create({
      data: {
        name: '华为技术有限公司',
        normalizedName: normalizeCompanyName('华为技术有限公司'),
        domains: ['huawei.com'],
      },
    });
    const ours = { id: mei.id, name: mei.name, aadObjectId: mei.aadObjectId, email: 'mei@ours.example' };
    recorder.setMembers(TEAM_CHANNEL, [{ ...ours, tenantId: tenant.id, userRole: 'user' }]);
    recorder.setMembers(CUSTOMER_CHANNEL, [
      { ...ours, tenantId: tenant.id, userRole: 'user' },
      {
        id: wang.id,
        name: wang.name,
        aadObjectId: wang.aadObjectId,
        email: 'wang@huawei.com',
        tenantId: 'tenant-huawei',
        userRole: 'user',
      },
    ]);
    // The bot is added to the team channel (so it can post cards there) and the customer channel is linked.
    const added = await rapport.send(
      rapport.activity(inChannel(TEAM_CHANNEL), { type: 'conversationUpdate', membersAdded: [TEST_BOT] }),
    );
    expect(added.status).toBe(200);
    const linked = await rapport.send(
      rapport.activity(inChannel(CUSTOMER_CHANNEL, '1700000000000'), {
        type: 'message',
        id: '1700000000000',
        from: mei,
        text: '<at>Rapport</at> link 华为',
        entities: [mention],
        channelData: { tenant, channel: { id: CUSTOMER_CHANNEL } },
      }),
    );
    expect(linked.status).toBe(200);
    await eventually('the customer channel linked', () =>
      db().channelLink.findFirst({ where: { channelRef: { startsWith: CUSTOMER_CHANNEL }, companyId: { not: null } } }),
    );
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it('a Chinese churn warning in the customer channel is labelled churn, stored as zh, and a call-back card is posted to the team', async () => {
    const root = '1700000000100';
    const cardsBefore = recorder.cards().length; // the remind test's answer also names 华为 in the team channel
    const res = await rapport.send(
      rapport.activity(inChannel(CUSTOMER_CHANNEL, root), {
        type: 'message',
        id: root,
        from: wang,
        text: '<p>价格太高了，如果下个月还不降价，我们就<b>不续约</b>了。</p>',
        textFormat: 'xml',
        channelData: { tenant, channel: { id: CUSTOMER_CHANNEL } },
      }),
    );
    expect(res.status).toBe(200);
    const record = await eventually('the message logged', () =>
      db().communicationRecord.findUnique({
        where: { sourceKey: chatSourceKey('teams', CUSTOMER_CHANNEL, root) },
        include: { messages: true, company: true },
      }),
    );
    expect(record.company?.name).toBe('华为技术有限公司');
    expect(record.messages[0]).toMatchObject({
      direction: 'inbound',
      text: '价格太高了，如果下个月还不降价，我们就不续约了。',
    });
    const followUp = await eventually('the suggested follow-up', () =>
      db().followUp.findFirst({ where: { recordId: record.id }, include: { classification: true } }),
    );
    expect(followUp.classification?.label).toBe('churn');
    expect(followUp.title).toBe('Call to understand why they want to leave');
    expect((await db().message.findUniqueOrThrow({ where: { id: record.messages[0].id } })).language).toBe('zh');
    const card = await eventually('the suggestion card in the team channel', async () =>
      recorder
        .cards()
        .slice(cardsBefore)
        .find((c) => c.conversationId === TEAM_CHANNEL && JSON.stringify(c.card).includes('华为技术有限公司')),
    );
    expect(adaptiveCardProblems(card.card)).toEqual([]);
    expect(JSON.stringify(card.card)).toContain('Chinese (zh)');
  });

  it('remind 华为 下周二 发报价 is due Tuesday next week at 9:00 in the rep’s Shanghai timezone', async () => {
    const id = '1700000000200';
    expect((await command('remind 华为 下周二 发报价', id)).status).toBe(200);
    const followUp = await db().followUp.findFirstOrThrow({ where: { title: '发报价', source: 'manual' } });
    expect(followUp.dueAt.toISOString()).toBe(nextWeekTuesdayAt9(new Date()).toISOString());
    const answer = await eventually('the answer card', async () =>
      recorder.cards().find((c) => c.activityId === id || JSON.stringify(c.card).includes('发报价')),
    );
    expect(adaptiveCardProblems(answer.card)).toEqual([]);
    expect(JSON.stringify(answer.card)).toContain('华为技术有限公司');
  });
});
