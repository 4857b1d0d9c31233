import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/commands/command-context.ts';
import { executeCommand } from '../../../src/commands/execute-command.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

describe.each(TEST_DATABASE_KINDS)('customers who write Chinese or German, on %s', (kind) => {
  let h: PipelineHarness;
  beforeEach(async () => {
    h = await startPipelineHarness(kind, { settings: { timezone: 'Asia/Shanghai' } });
    // The default model is built here, not inside the 15 s a test waits for its suggestion (under a
    // shared machine's load the first build took longer than that).
    await h.deps.classifier.get();
  });
  afterEach(async () => {
    await h.dispose();
  });

  const ctx = (): CommandContext => ({
    actor: { platform: 'console', platformUserId: 'li', displayName: 'li', timezone: 'Asia/Shanghai' },
    channel: { platform: 'console', channelRef: 'team', target: 'console:team' },
    now: new Date(),
    requestKey: `test:${Math.random()}`,
  });
  const run = (text: string) => executeCommand(text, ctx(), { db: h.test.db, hooks: h.hooks });

  /** Logs one message and waits for its suggestion; returns the stored message, classification and follow-up. */
  async function logAndWait(customer: string, text: string) {
    expect((await run(`log ${customer} "${text}" --new`)).tone).toBe('success');
    const followUp = await eventually(
      'the suggested follow-up',
      async () => (await h.test.db.prisma.followUp.findFirst({ include: { classification: true } })) ?? undefined,
    );
    const message = await h.test.db.prisma.message.findFirstOrThrow();
    const card = await eventually('the suggestion in the team channel', async () =>
      h.console.feed().find((e) => e.reply.title?.startsWith('Suggested follow-up for')),
    );
    return { followUp, message, card };
  }

  it('a Chinese churn warning is labelled churn, stored as Chinese, and gets a call-back suggestion', async () => {
    const { followUp, message, card } = await logAndWait('华为', '价格太高可能会流失');
    expect(followUp.classification?.label).toBe('churn');
    expect(message.language).toBe('zh');
    expect(followUp.title).toBe('Call to understand why they want to leave');
    expect(followUp.priority).toBe('high');
    expect(followUp.reason).toContain('written in Chinese (zh)');
    expect(JSON.stringify(card.reply)).toContain('Chinese (zh)');
    // The customer card and the timeline show the language too.
    const lookup = await run('lookup 华为');
    expect(lookup.sections?.[0].title).toContain('churn · Chinese (zh)');
  });

  it('a German cancellation is labelled churn, stored as German, and gets a call-back suggestion', async () => {
    const { followUp, message } = await logAndWait('Müller GmbH', 'Wir werden unseren Vertrag zum Monatsende kündigen');
    expect(followUp.classification?.label).toBe('churn');
    expect(message.language).toBe('de');
    expect(followUp.title).toBe('Call to understand why they want to leave');
    // No German sentiment model: unknown, not a confident 0.
    expect(followUp.classification?.sentiment).toBeNull();
  });

  it('a Chinese meeting request is due at the time it names, read in Asia/Shanghai', async () => {
    const { followUp, message } = await logAndWait('阿里巴巴', '下周二下午3点开个会，聊一下二期的需求');
    expect(followUp.classification?.label).toBe('scheduling');
    expect(message.language).toBe('zh');
    expect(followUp.title).toBe('Confirm the meeting');
    const local = followUp.dueAt.toLocaleString('sv-SE', { timeZone: 'Asia/Shanghai', hour12: false });
    expect(local.slice(11, 16)).toBe('15:00');
    const weekday = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Shanghai', weekday: 'long' }).format(
      followUp.dueAt,
    );
    expect(weekday).toBe('Tuesday');
    const days = (followUp.dueAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(0);
    expect(days).toBeLessThan(14);
  });
});
