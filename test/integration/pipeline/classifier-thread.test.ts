import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDefaultModel } from '../../../src/classifier/default-model.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import type { ModelArtifact } from '../../../src/classifier/model-artifact.ts';
import { inProcessReader, type ReadMessages, type ReadingContext } from '../../../src/classifier/read-message.ts';
import { loadHeldOutExamples, loadSeedExamples } from '../../../src/classifier/default-model.ts';
import type { LabeledExample } from '../../../src/classifier/labeled-example.ts';
import { retrainModel, type RetrainInput, type RetrainResult } from '../../../src/classifier/retrain.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/domain/business-hours.ts';
import { createLogger } from '../../../src/logger.ts';
import { ClassifierThread } from '../../../jobs/classifier-thread.ts';

// Role `all` reads messages for classification on a worker thread (RAPPORT_CLASSIFY_THREAD): the same
// readings as on the main thread, while the main thread keeps answering HTTP.
const TEXTS = [
  'Call with Acme: they asked for a quote for 40 seats by Friday, budget $12,000. Mail jo@acme.com.',
  'The export is broken again and nobody answers. If this is not fixed tomorrow we cancel.',
  '客户说下周三之前需要报价，预算大约五万元。',
  'Können Sie mir bis Montag ein Angebot schicken? Telefon +49 30 1234 5678.',
  '',
  'thanks!',
];
const logger = createLogger('silent');
const CTX: ReadingContext = {
  now: new Date('2026-12-02T10:00:00Z'),
  timezone: 'Europe/Berlin',
  businessHours: { ...DEFAULT_BUSINESS_HOURS, timeZone: 'Europe/Berlin' },
};
/** About a second of reading in one message: long enough that many HTTP round trips fit in it. */
const LONG_TEXT =
  'Call with Acme: they asked for a quote for 40 seats by Friday and a demo next Tuesday at 3pm. '.repeat(1000);

/** Up to `n` examples of each label: a retrain small enough for a test. */
const perLabel = (examples: LabeledExample[], n: number) => {
  const by = new Map<string, LabeledExample[]>();
  for (const e of examples)
    if ((by.get(e.label) ?? by.set(e.label, []).get(e.label)!).length < n) by.get(e.label)!.push(e);
  return [...by.values()].flat();
};

describe('the classifier on a worker thread', () => {
  let artifact: ModelArtifact;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    artifact = buildDefaultModel();
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads messages exactly as the main thread does (labels, scores, entities, dates, languages)', async () => {
    const reader = new ClassifierThread(async () => artifact, logger);
    try {
      const onThread = await reader.read(TEXTS, CTX);
      const here = await inProcessReader(async () => loadClassifier(artifact))(TEXTS, CTX);
      expect(onThread).toEqual(here);
      expect(onThread.map((r) => r.modelVersion)).toEqual(TEXTS.map(() => artifact.version));
      expect(onThread[0].analysis.mentionedDate).toBeInstanceOf(Date); // "by Friday" comes back as a date
    } finally {
      await reader.close();
    }
  }, 60_000);

  /** Sends GETs one after another while `reading` is pending; how many were answered before it settled. */
  async function answeredDuring(start: () => Promise<unknown>): Promise<number> {
    let settled = false;
    const reading = start().finally(() => (settled = true));
    let answered = 0;
    while (!settled) {
      await (await fetch(url)).text();
      if (!settled) answered++;
    }
    await reading;
    return answered;
  }

  it('a long classification does not hold up HTTP answers on the main thread', async () => {
    const reader = new ClassifierThread(async () => artifact, logger);
    try {
      await reader.read(['warm up'], CTX); // the thread is started and has the model
      expect(await answeredDuring(() => reader.read([LONG_TEXT], CTX))).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
    // On the main thread the same reading answers nobody until it is done: what the thread is for.
    const classifier = loadClassifier(artifact);
    const here: ReadMessages = inProcessReader(async () => classifier);
    expect(await answeredDuring(() => here([LONG_TEXT], CTX))).toBe(0);
  }, 60_000);

  it('a new model version reaches the thread, and a thread that dies fails its batch and is started again', async () => {
    let current = artifact;
    const reader = new ClassifierThread(async () => current, logger);
    try {
      expect((await reader.read(['hello'], CTX))[0].modelVersion).toBe(artifact.version);
      current = { ...artifact, version: `${artifact.version}-next` };
      expect((await reader.read(['hello'], CTX))[0].modelVersion).toBe(current.version);

      const pending = reader.read([LONG_TEXT], CTX);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await (reader as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await expect(pending).rejects.toThrow(/classifier thread exited/);
      expect((await reader.read(['hello again'], CTX))[0].modelVersion).toBe(current.version);
    } finally {
      await reader.close();
    }
  }, 60_000);

  it('builds the default model there, the same version as on the main thread', async () => {
    const reader = new ClassifierThread(async () => artifact, logger);
    try {
      const built = await reader.buildDefault();
      expect(built.version).toBe(artifact.version);
      expect(built.weights).toEqual(artifact.weights);
    } finally {
      await reader.close();
    }
  }, 120_000);

  it('retrains there to the same model as on the main thread', async () => {
    const seed = loadSeedExamples('en');
    const input: RetrainInput = {
      seedExamples: perLabel(seed, 30),
      heldOut: perLabel(loadHeldOutExamples('en'), 8),
      corrections: perLabel(seed.slice(500), 3).map((e, i) => ({
        ...e,
        recordId: `r${i}`,
        correctedAt: new Date(Date.UTC(2026, 0, 1 + i)),
        group: `g${i}`,
      })),
      options: { version: 'crm-thread-test' },
      resamples: 50,
    };
    const reader = new ClassifierThread(async () => artifact, logger);
    try {
      const onThread = await reader.retrain(input);
      // The same model, gate and split; only when it was made and how long that took may differ.
      const untimed = (r: RetrainResult) => ({
        ...r,
        artifact: {
          ...r.artifact,
          createdAt: '',
          trainingSummary: { ...r.artifact.trainingSummary, trainSeconds: 0 },
        },
      });
      expect(untimed(onThread)).toEqual(untimed(retrainModel(input)));
      expect(onThread.artifact.weights).toBeInstanceOf(Uint8Array);
      expect(onThread.trainedThrough).toBeInstanceOf(Date);
    } finally {
      await reader.close();
    }
  }, 120_000);
  it('holds the process up while it works, and lets it end once it idles, unclosed', async () => {
    // A process with nothing else alive (the embedded database has no sockets): the thread builds the
    // model and reads while nothing else holds the process, then the script ends without close().
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const script = `
      const root = process.argv[1];
      const { ClassifierThread } = await import(root + '/jobs/classifier-thread.ts');
      const { createLogger } = await import(root + '/src/logger.ts');
      const { DEFAULT_BUSINESS_HOURS } = await import(root + '/src/domain/business-hours.ts');
      let artifact;
      const thread = new ClassifierThread(async () => artifact, createLogger('silent'));
      artifact = await thread.buildDefault();
      const [reading] = await thread.read(['We want to cancel our subscription'], {
        now: new Date(), timezone: 'UTC', businessHours: DEFAULT_BUSINESS_HOURS,
      });
      console.log('read ' + reading.result.label);`;
    const started = Date.now();
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script, root],
        { timeout: 60_000 },
        (err, stdout) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout }),
      );
      child.stdin?.end();
    });
    // Exit code 13 would be the thread let go while it worked (an unsettled await); a kill by the
    // timeout, the idle thread holding the process up for good.
    expect(out).toEqual({ code: 0, stdout: 'read churn\n' });
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
