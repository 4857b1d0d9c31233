import type { Logger } from '../../src/logger.ts';
import { SlackRecorder } from './slack-recorder.ts';
import { startTestProcess, type TestProcess } from './test-process.ts';

/** The signing secret of the bot startSlackTestBot starts: sign requests to it with this. */
export const SLACK_TEST_SECRET = 'test-signing-secret-0123456789';

export interface SlackTestBot {
  slack: SlackRecorder;
  test: TestProcess;
  /** The 'Acme' company's id, when `acme` asked for one. */
  acmeId?: string;
  /** Disposes the process, then stops the recorder. */
  dispose(): Promise<void>;
}

/**
 * A Slack bot to test against: a started SlackRecorder as Slack's Web API (`beforeStart` sets what it
 * answers before the bot's first call), then a real Rapport (startTestProcess) with Slack over HTTP,
 * signed with SLACK_TEST_SECRET, bot token 'xoxb-test-token', and `env` on top; with `acme`, an 'Acme'
 * company (normalized 'acme', `domains` if given) in its database. If any step fails, what was started
 * is stopped before the error is thrown.
 */
export async function startSlackTestBot(opts: {
  database?: Parameters<typeof startTestProcess>[0];
  env?: Record<string, string>;
  name: string;
  logger?: Logger;
  beforeStart?: (slack: SlackRecorder) => void;
  acme?: boolean | { domains: string[] };
}): Promise<SlackTestBot> {
  const slack = new SlackRecorder();
  const apiUrl = await slack.start();
  let test: TestProcess | undefined;
  const dispose = async () => {
    await test?.dispose();
    await slack.stop();
  };
  try {
    opts.beforeStart?.(slack);
    test = await startTestProcess(
      opts.database ?? 'pglite',
      {
        SLACK_SIGNING_SECRET: SLACK_TEST_SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: apiUrl,
        ...opts.env,
      },
      { name: opts.name, logger: opts.logger },
    );
    const acme = opts.acme
      ? await test.proc.runtime.db.prisma.company.create({
          data: { name: 'Acme', normalizedName: 'acme', ...(opts.acme === true ? {} : { domains: opts.acme.domains }) },
        })
      : undefined;
    return { slack, test, acmeId: acme?.id, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
