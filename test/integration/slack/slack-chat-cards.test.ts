import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../../../app/start-process.ts';
import { loggerInto, startTestProcess, type TestProcess } from '../../helpers/test-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { eventCallbackBody, postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import { SlackRecorder, type RecordedMessage } from '../../helpers/slack-recorder.ts';

const SECRET = 'test-signing-secret-0123456789';
const TEAM = 'T1';
const TEAM_CHANNEL = 'CTEAM';

const blocksText = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []);

// Issue 20, "Chat cards": what a rep sees in Slack, through Bolt's HTTP receiver with signed requests and
// the recording Web API. Each test makes its own customer, so any order works.
describe('Slack chat cards (issue 20)', () => {
  const slack = new SlackRecorder();
  const logLines: string[] = [];
  let test: TestProcess | undefined;
  let proc: RunningProcess;
  let seq = 0;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    test = await startTestProcess(
      'pglite',
      {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/${TEAM_CHANNEL}`,
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: apiUrl,
        LOG_LEVEL: 'info',
      },
      { name: 'slack-cards', logger: loggerInto(logLines, 'info') },
    );
    proc = test.proc;
  });
  afterAll(async () => {
    await test?.dispose();
    await slack.stop();
  });

  const post = (body: string, type = 'application/json') => postSignedToSlackEvents(proc.url, SECRET, body, type);

  /** A /crm command as Slack posts it, and its answer on the response_url. */
  async function crm(text: string, user = 'U1'): Promise<string> {
    const triggerId = `cards-${++seq}`;
    const res = await post(
      slashCommandBody({
        teamId: TEAM,
        channelId: 'CSALES',
        userId: user,
        text,
        triggerId,
        responseUrl: slack.responseUrl(`command-${triggerId}`),
      }),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    const answer = await eventually(
      `the answer to "${text}"`,
      async () => slack.callsTo(`respond/command-${triggerId}`)[0],
      60_000,
    );
    return JSON.stringify(answer.body);
  }

  /** A follow-up made due in a moment, whose reminder then fires. */
  async function remindSoon(customer: string, assignee?: string): Promise<{ number: number; id: string }> {
    await crm(`log "${customer}" "Met at the fair" --new`);
    const answer = await crm(`remind "${customer}" tomorrow 9am send the deck`);
    const number = Number(/#(\d+)/.exec(answer)?.[1]);
    if (assignee) expect(await crm(`assign ${number} <@${assignee}>`)).toMatch(/assigned to/);
    const db = proc.runtime.db.prisma;
    const f = await db.followUp.findUniqueOrThrow({ where: { number } });
    await db.followUp.update({ where: { id: f.id }, data: { dueAt: new Date(Date.now() + 300) } });
    await proc.runtime.hooks.followUpChanged(f.id);
    return { number, id: f.id };
  }

  const cardOf = (number: number, pattern: RegExp) => (m: RecordedMessage) =>
    blocksText(m).includes(`#${number} `) && pattern.test(blocksText(m));

  it('app_rate_limited is acknowledged with 200 and logged, not left to time out', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60;
    const res = await post(
      JSON.stringify({
        token: 'legacy',
        type: 'app_rate_limited',
        team_id: TEAM,
        minute_rate_limited: minute,
        api_app_id: 'A1',
      }),
    );
    expect(res.status).toBe(200);
    await eventually('the rate-limit notice in the log', async () =>
      logLines.some((l) => /app_rate_limited|rate limit/i.test(l) && l.includes(String(minute))),
    );
  });
});
