import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/db/open-database.ts';
import { freePort, spawnRapport, waitForHttp } from '../../helpers/spawn-rapport.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { postSignedToSlackEvents, slashCommandBody } from '../../helpers/slack-requests.ts';
import { createScratchPostgres } from '../../helpers/test-database.ts';

const SECRET = 'test-signing-secret-0123456789';

describe('acknowledged /crm commands waiting their turn when the bot is stopped (real process, PostgreSQL)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('SIGTERM right after the acks: every acknowledged command is written and answered before the process exits 0', async () => {
    const slack = new SlackRecorder();
    const apiUrl = await slack.start();
    const scratch = await createScratchPostgres();
    const dataDir = mkdtempSync(join(tmpdir(), 'rapport-detached-'));
    dirs.push(dataDir);
    const seeding = await openDatabase({ databaseUrl: scratch.url, dataDir });
    await seeding.prisma.company.create({ data: { name: 'Acme', normalizedName: 'acme' } });
    await seeding.close();
    const port = await freePort();
    const bot = spawnRapport(['start'], {
      RAPPORT_DATA_DIR: dataDir,
      DATABASE_URL: scratch.url,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      RAPPORT_SHUTDOWN_TIMEOUT_MS: '60000',
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/readyz`, 120_000, bot);
      // Slack's Web API and response_url answer slowly: acknowledged commands pile up behind the 32 slots.
      slack.latencyMs = 400;
      const n = 120;
      const acks = await Promise.all(
        Array.from({ length: n }, async (_, i) => {
          const body = slashCommandBody({
            teamId: 'T1',
            channelId: 'CSALES',
            userId: `U${i % 4}`,
            text: `log acme "drain call ${i}"`,
            triggerId: `drain-${i}`,
            responseUrl: slack.responseUrl(`drain-${i}`),
          });
          const res = await postSignedToSlackEvents(base, SECRET, body, 'application/x-www-form-urlencoded');
          return { status: res.status, text: await res.text() };
        }),
      );
      expect(acks.every((a) => a.status === 200 && !a.text.includes('busy'))).toBe(true);
      const answeredAtStop = slack.calls.filter((c) => c.method.startsWith('respond/drain-')).length;
      bot.child.kill('SIGTERM');
      expect(await bot.exited).toBe(0);
      // The stop came while most were still waiting (else this test proves nothing about the drain).
      expect(answeredAtStop).toBeLessThan(n / 2);
      const answered = new Set(slack.calls.filter((c) => c.method.startsWith('respond/drain-')).map((c) => c.method));
      expect(answered.size).toBe(n);
      const db = await openDatabase({ databaseUrl: scratch.url, dataDir });
      try {
        const written = await db.prisma.communicationRecord.count({
          where: { sourceKey: { startsWith: 'slack:command:slack:T1:drain-' } },
        });
        expect(written).toBe(n);
      } finally {
        await db.close();
      }
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
      await slack.stop();
      await scratch.drop();
    }
  }, 180_000);
});
