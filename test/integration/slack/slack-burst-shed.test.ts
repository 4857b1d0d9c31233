import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';

const SECRET = 'test-signing-secret-0123456789';

describe('a burst of /crm beyond the bounded queue (real Bolt, PostgreSQL, recording Web API)', () => {
  const slack = new SlackRecorder();
  let test: TestProcess | undefined;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    test = await startTestProcess(
      'postgres',
      {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: apiUrl,
        SLACK_MAX_QUEUED: '1',
      },
      { name: 'slack-shed' },
    );
    await test.proc.runtime.db.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme' } });
  }, 120_000);
  afterAll(async () => {
    await test?.dispose();
    await slack.stop();
  });

  it('answers every request: logged, or "busy, not saved" in the ack; nothing acknowledged is lost', async () => {
    const n = 200;
    // Slack's Web API is slow to answer (users.info of 200 different people): the work piles up.
    slack.latencyMs = 2_000;
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const body = slashCommandBody({
          teamId: 'T1',
          channelId: 'CSALES',
          userId: `U${i}`,
          text: `log acme "burst call ${i}"`,
          triggerId: `burst-${i}`,
          responseUrl: slack.responseUrl(`burst-${i}`),
        });
        const res = await postSignedToSlackEvents(test!.url, SECRET, body, 'application/x-www-form-urlencoded');
        return { i, status: res.status, body: await res.text() };
      }),
    );
    const shed = answers.filter((a) => a.body.includes('did not save this'));
    const queued = answers.filter((a) => !a.body.includes('did not save this'));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // How fast the acks come is the bench's to measure (npm run bench:slack), not a timed assertion.
    // 32 at work plus one waiting: a burst of 200 arriving together is partly turned away, politely.
    expect(shed.length).toBeGreaterThan(0);
    expect(JSON.parse(shed[0].body)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/very busy/),
    });

    const db = test!.proc.runtime.db;
    const written = async () =>
      db.prisma.communicationRecord.count({ where: { sourceKey: { startsWith: 'slack:command:slack:T1:burst-' } } });
    await eventually(
      'every queued log written',
      async () => ((await written()) === queued.length ? true : undefined),
      60_000,
    );
    const keys = (
      await db.prisma.communicationRecord.findMany({
        where: { sourceKey: { startsWith: 'slack:command:slack:T1:burst-' } },
        select: { sourceKey: true },
      })
    ).map((r) => Number(r.sourceKey.split('burst-')[1]));
    expect(keys.sort((a, b) => a - b)).toEqual(queued.map((a) => a.i).sort((a, b) => a - b));
  }, 120_000);
});
