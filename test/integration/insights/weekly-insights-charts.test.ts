import { Job } from 'bullmq';
import { CloudAdapter, type ConversationReference } from 'botbuilder';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateHistory, writeHistory } from '../../../bench/insights-history.ts';
import { singleWorkspaceClients } from '../../../connectors/slack/slack-clients.ts';
import { SlackConnector } from '../../../connectors/slack/slack.connector.ts';
import { teamsAuthentication } from '../../../connectors/teams/teams-authentication.ts';
import { TeamsConnector } from '../../../connectors/teams/teams.connector.ts';
import { deliverMessage } from '../../../jobs/deliver-message.job.ts';
import type { DeliverMessageData } from '../../../jobs/job-data.ts';
import type { PipelineDeps } from '../../../jobs/pipeline-deps.ts';
import { QueueName } from '../../../jobs/queue-names.ts';
import { TargetRateLimiter } from '../../../jobs/target-rate-limiter.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { createLogger } from '../../../src/logger.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';

const TEAM = 'T1';
const DEFAULT = 'CTEAM';
const GUEST = 'CGUEST'; // a customer guest was invited
const TEAMS_CHANNEL = '19:managers@thread.tacv2';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const INSIGHTS = {
  businessHours: DEFAULT_BUSINESS_HOURS,
  responseTargetMinutes: 240,
  publicUrl: 'https://rapport.example',
};

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  const at = png.indexOf(PNG_SIGNATURE);
  return { width: png.readUInt32BE(at + 16), height: png.readUInt32BE(at + 20) };
}

// The weekly insights post with its chart pictures, through the real delivery job (last-step guard
// included) and the real Slack and Teams SDKs against the local recorders.
describe('weekly insights charts: Slack upload, Teams inline image, console picture', () => {
  const slack = new SlackRecorder();
  const teams = new TeamsRecorder();
  const references = new Map<string, Partial<ConversationReference>>();
  let h: PipelineHarness;
  let deps: PipelineDeps;
  let seq = 0;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    await teams.start();
    slack.channelMembers.set(DEFAULT, ['UBOT', 'UREP']);
    slack.channelMembers.set(GUEST, ['UBOT', 'UREP', 'UJO']);
    slack.users.set('UJO', { is_restricted: true, profile: { email: 'jo@customer.example' } });
    references.set(TEAMS_CHANNEL, {
      channelId: 'msteams',
      serviceUrl: teams.url,
      conversation: {
        id: TEAMS_CHANNEL,
        isGroup: true,
        conversationType: 'channel',
        name: 'managers',
        tenantId: 'tenant-1',
      },
      bot: { id: '28:rapport', name: 'Rapport' },
    });
    h = await startPipelineHarness('pglite', {
      workers: false,
      settings: { defaultTarget: `slack:${TEAM}/${DEFAULT}`, insights: INSIGHTS },
    });
    const logger = createLogger('silent');
    h.deps.registry.register(new SlackConnector(singleWorkspaceClients('xoxb-test', { apiUrl, logger }), logger));
    const adapter = new CloudAdapter(
      teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
    );
    h.deps.registry.register(
      new TeamsConnector(adapter, '', async (id) => references.get(id), { tenantId: 'tenant-1' }),
    );
    deps = { ...h.deps, limiter: new TargetRateLimiter(h.redis, `${h.prefix}:charts`, {}) };
    await writeHistory(
      h.test.db,
      generateHistory({
        seed: 17,
        customers: 8,
        churners: 2,
        strength: 'clear',
        now: new Date(),
        periodDays: 7,
        namePrefix: 'Chart',
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await h?.dispose();
    await slack.stop();
    await teams.stop();
  });
  beforeEach(() => {
    slack.messages.length = 0;
    slack.calls.length = 0;
    slack.files.clear();
    teams.reset();
  });

  const run = (target: string, d = deps) => {
    const data: DeliverMessageData = { key: `insights-test-${++seq}`, kind: 'insights', target };
    return deliverMessage(
      new Job(h.queues[QueueName.DeliverMessage], 'insights', data, { jobId: data.key }),
      undefined,
      d,
    );
  };

  it('Slack: the post, then both charts uploaded as PNGs and shared in the same channel (files:write upload flow)', async () => {
    expect(await run(`slack:${TEAM}/${DEFAULT}`)).toMatchObject({ status: 'sent' });
    const [post] = slack.messages.filter((m) => m.channel === DEFAULT);
    expect(post.text).toContain('Weekly insights');
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(2);
    const [complete] = slack.callsTo('files.completeUploadExternal');
    expect(complete.body.channel_id).toBe(DEFAULT);
    const shared = [...slack.files.values()];
    expect(shared.map((f) => [f.filename, f.channel])).toEqual([
      ['top-needs.png', DEFAULT],
      ['response-times.png', DEFAULT],
    ]);
    for (const f of shared) {
      expect(f.bytes.includes(PNG_SIGNATURE)).toBe(true);
      expect(pngSize(f.bytes)).toEqual({ width: 800, height: 400 });
      expect(f.altText).toMatch(/^(Top needs|Median response times)/);
    }
    expect(shared[0].title).toBe('Top needs · 7d');
  });

  it('Slack: a channel with a guest gets neither the post nor the pictures; both go to the default channel', async () => {
    expect(await run(`slack:${TEAM}/${GUEST}`)).toMatchObject({
      status: 'sent',
      redirectedTo: `slack:${TEAM}/${DEFAULT}`,
    });
    expect(slack.messages.filter((m) => m.channel === GUEST)).toHaveLength(0);
    expect([...slack.files.values()].map((f) => f.channel)).toEqual([DEFAULT, DEFAULT]);
  });

  it('Slack: the upload refused (files:write not granted yet) leaves the post out without pictures, delivered once', async () => {
    slack.failNext('files.getUploadURLExternal', { error: 'missing_scope' });
    const outcome = await run(`slack:${TEAM}/${DEFAULT}`);
    expect(outcome).toMatchObject({ status: 'sent' });
    expect(slack.messages.filter((m) => m.channel === DEFAULT)).toHaveLength(1);
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(0);
    const row = await h.test.db.prisma.delivery.findUniqueOrThrow({ where: { key: `insights-test-${seq}` } });
    expect(row.status).toBe('sent');
  });

  it('pictures that cannot be drawn (the chart font missing): the post still goes out, without them', async () => {
    const broken = {
      ...deps,
      settings: { ...deps.settings, insights: { ...INSIGHTS, chartFontFile: '/nonexistent/font.ttf' } },
    };
    expect(await run(`slack:${TEAM}/${DEFAULT}`, broken)).toMatchObject({ status: 'sent' });
    const [post] = slack.messages.filter((m) => m.channel === DEFAULT);
    expect(JSON.stringify(post.blocks)).toContain('At risk');
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);
  });

  it('Teams: the card plus each chart as an inline image/png attachment with a data URI', async () => {
    // Only our tenant's people in the channel (the last-step guard reads the roster).
    teams.setMembers(TEAMS_CHANNEL, [{ id: '29:ann', aadObjectId: 'ann', tenantId: 'tenant-1', userRole: 'user' }]);
    expect(await run(`teams:${TEAMS_CHANNEL}`)).toEqual({ status: 'sent', externalId: expect.any(String) });
    const [sent] = teams.cards();
    expect(adaptiveCardProblems(sent.card)).toEqual([]);
    const images = (sent.activity.attachments as Array<{ contentType: string; contentUrl?: string; name?: string }>)
      .filter((a) => a.contentType === 'image/png')
      .map((a) => ({
        name: a.name,
        png: Buffer.from(a.contentUrl!.replace(/^data:image\/png;base64,/, ''), 'base64'),
      }));
    expect(images.map((i) => i.name)).toEqual(['top-needs.png', 'response-times.png']);
    for (const i of images) expect(i.png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('console: the live channel entry carries the pictures (the page shows them as <img>)', async () => {
    expect(await run('console:team')).toMatchObject({ status: 'sent' });
    const entry = await eventually(
      'the weekly post in the live channel',
      async () => h.console.feed().find((e) => e.reply.title === 'Weekly insights · last 7 days'),
      30_000,
    );
    expect(entry?.reply.images?.map((i) => i.filename)).toEqual(['top-needs.png', 'response-times.png']);
    expect(Buffer.from(entry!.reply.images![0].pngBase64, 'base64').subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });
});
