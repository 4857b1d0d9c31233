import { upsertCorrection } from '../../../src/db/correction.repository.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSeedExamples } from '../../../src/classifier/default-model.ts';
import { reconcileSchedules } from '../../../jobs/reconcile-schedules.job.ts';
import { eventually, startPipelineHarness, type PipelineHarness } from '../../helpers/pipeline-harness.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const recordId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

describe.each(TEST_DATABASE_KINDS)('scheduled retrain on %s', (kind) => {
  let h: PipelineHarness | undefined;
  afterEach(async () => {
    await h?.dispose();
    h = undefined;
  });

  it('refuses harmful corrections once, posts one notice naming them, and retries only after a new correction', async () => {
    // A cron every 2 seconds stands in for the per-minute cron that produced 7 refused models in 9 minutes.
    h = await startPipelineHarness(kind, { settings: { retrainCron: '*/2 * * * * *' } });
    const prisma = h.test.db.prisma;
    await h.deps.classifier.get(); // builds and activates the default model
    const churn = loadSeedExamples()
      .filter((e) => e.label === 'churn')
      .slice(0, 45);
    const t0 = Date.now() - 3_600_000;
    // Each correction belongs to a logged conversation (LabeledExample.recordId is a foreign key).
    await prisma.communicationRecord.createMany({
      data: churn.map((_, i) => ({
        id: recordId(i),
        channelKind: 'note' as const,
        sourceKey: `retrain-gate:${kind}:${i}`,
        startedAt: new Date(t0),
        lastMessageAt: new Date(t0),
      })),
    });
    await prisma.labeledExample.createMany({
      data: churn.map((e, i) => ({
        text: e.text,
        label: 'feedback',
        source: 'correction',
        recordId: recordId(i),
        createdAt: new Date(t0 + i * 1000),
        updatedAt: new Date(t0 + ((i * 7919) % churn.length) * 1000),
      })),
    });
    const retrained = () => prisma.model.findMany({ where: { version: { startsWith: 'crm-2' } } });
    const notices = () => prisma.delivery.count({ where: { key: { startsWith: 'notice-retrain-' } } });
    await reconcileSchedules(h.deps);

    const [refused] = await eventually(
      'the first retrain',
      async () => (await retrained()).length > 0 && retrained(),
      // Retraining with leave-one-out influence takes over a minute on a loaded 2-core machine.
      150_000,
    );
    expect(refused.active).toBe(false);
    expect(await h.deps.classifier.store.activeVersion()).toMatch(/^crm-default-/);
    await eventually('its notice', async () => (await notices()) === 1, 30_000);
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { action: 'model.retrain' } });
    const details = audit.details as { text: string; buttons: { command: string }[] };
    expect(details.text).toMatch(/Kept crm-default-\w+: the new one is not better beyond noise/);
    // Up to 3 named with their full record ids, each offered as the label command that reviews it.
    const named = [...details.text.matchAll(/record ([0-9a-f-]{36}) as feedback/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.length).toBeLessThanOrEqual(3);
    expect(details.text).toMatch(
      /Corrections that lowered the held-out score \(leave-one-out\): record [0-9a-f-]{36} as feedback/,
    );
    expect(details.text).toMatch(/the model before said churn: label [0-9a-f-]{36} churn/);
    const relabel = details.buttons.filter((b) => b.command.startsWith('label '));
    expect(relabel.length).toBeGreaterThan(0);
    for (const b of relabel) expect(named.map((id) => `label ${id} churn`)).toContain(b.command);
    expect(details.buttons.at(-1)).toEqual({ label: 'Review them', command: 'review' });

    // Several ticks later: nothing new was corrected, so nothing was retrained or posted again.
    await new Promise((r) => setTimeout(r, 7_000));
    expect(await retrained()).toHaveLength(1);
    expect(await notices()).toBe(1);

    // Re-correcting one record (the statement a correction stores) moves its timestamp: the next tick
    // retrains once more.
    expect(
      await upsertCorrection(prisma, {
        recordId: recordId(3),
        label: 'churn',
        text: churn[3].text,
        createdBy: null,
        textTakenAt: new Date(),
      }),
    ).toBe(true);
    await eventually('a second attempt', async () => (await retrained()).length === 2, 150_000);
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await retrained()).toHaveLength(2);
  }, 400_000);
});
