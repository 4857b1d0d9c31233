import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Counter, type Registry } from 'prom-client';
import type { ModelArtifact } from '../src/classifier/model-artifact.ts';
import type { MessageReading, ReadingContext } from '../src/classifier/read-message.ts';
import type { RetrainInput, RetrainResult } from '../src/classifier/retrain.ts';
import type { Logger } from '../src/logger.ts';
import type { ClassifierRequest, ClassifierResponse } from './classifier-thread.entry.ts';

/** The thread's entry: the compiled .js next to this file in dist/, the .ts source under tsx. */
const THREAD_URL = new URL(
  import.meta.url.endsWith('.ts') ? './classifier-thread.entry.ts' : './classifier-thread.entry.js',
  import.meta.url,
);

type Pending = { settle(res: ClassifierResponse): void; fail(err: Error): void };
/** A request without its id. */
type Request = ClassifierRequest extends infer R ? (R extends ClassifierRequest ? Omit<R, 'id'> : never) : never;

/**
 * The classifier's CPU work on one worker thread, so that in a `RAPPORT_ROLE=all` process the main
 * thread stays free for HTTP acks and connectors while a burst of logs is classified or the model is
 * retrained (RAPPORT_CLASSIFY_THREAD): reading messages (language, entities, sentiment, label: the
 * CPU-bound half of classification) and retraining. The database work, the batching and the
 * exactly-once rules stay where they were (classify-messages.service.ts, retrain-classifier.service.ts
 * on the main thread); only data goes over and results come back. The model's artifact is sent once
 * per version. A thread that dies fails the work it held (the jobs are retried by BullMQ) and is
 * started again for the next request.
 */
export class ClassifierThread {
  private worker: Worker | undefined;
  /** The model version the running thread has been sent. */
  private sentVersion: string | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  private readonly messages: Counter | undefined;
  private readonly retrains: Counter | undefined;

  /**
   * @param artifact the active model's artifact (ActiveClassifier.artifact)
   * @param metrics where `rapport_classifier_thread_messages_total` and `_retrains_total` count what the thread did
   */
  constructor(
    private readonly artifact: () => Promise<ModelArtifact>,
    private readonly logger: Logger,
    metrics?: Registry,
  ) {
    this.messages = metrics
      ? new Counter({
          name: 'rapport_classifier_thread_messages_total',
          help: 'Messages read for classification on the classifier thread (role all)',
          registers: [metrics],
        })
      : undefined;
    this.retrains = metrics
      ? new Counter({
          name: 'rapport_classifier_thread_retrains_total',
          help: 'Models retrained on the classifier thread (role all)',
          registers: [metrics],
        })
      : undefined;
  }

  /** Reads `texts` in order on the thread (a ReadMessages for ClassifyMessagesDeps). */
  readonly read = async (texts: readonly string[], ctx: ReadingContext): Promise<MessageReading[]> => {
    const artifact = await this.artifact();
    const request = (withModel: boolean): Request => {
      const includeModel = withModel || this.sentVersion !== artifact.version;
      if (includeModel) this.sentVersion = artifact.version;
      return { kind: 'read', version: artifact.version, texts, ctx, ...(includeModel ? { artifact } : {}) };
    };
    let res = await this.call(request(false));
    // The thread was started again (or sent another version) in between: once more with the model.
    if ('needModel' in res) res = await this.call(request(true));
    if ('readings' in res) {
      this.messages?.inc(res.readings.length);
      return res.readings;
    }
    throw new Error('the classifier thread did not take the model');
  };

  /** Retrains on the thread (retrainModel); for retrainClassifier. */
  readonly retrain = async (input: RetrainInput): Promise<RetrainResult> => {
    const res = await this.call({ kind: 'retrain', input });
    if ('retrained' in res) {
      this.retrains?.inc();
      return res.retrained;
    }
    throw new Error('the classifier thread answered a retrain with something else');
  };

  /** Builds the default CRM model on the thread (ActiveClassifier on a database without a model). */
  readonly buildDefault = async (): Promise<ModelArtifact> => {
    const res = await this.call({ kind: 'build-default' });
    if ('built' in res) return res.built;
    throw new Error('the classifier thread answered a model build with something else');
  };

  /** Lets the thread exit; call after the workers stopped taking jobs. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private call(request: Request): Promise<Exclude<ClassifierResponse, { error: string }>> {
    const worker = this.thread();
    const id = this.nextId++;
    // The thread holds the process up while it has work (on PGlite nothing else may), not while it idles.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        settle: (res) => ('error' in res ? reject(new Error(res.error)) : resolve(res)),
        fail: reject,
      });
      worker.postMessage({ ...request, id } as ClassifierRequest);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = THREAD_URL.pathname.endsWith('.ts') ? threadUnderTsx() : new Worker(THREAD_URL);
    this.worker = worker;
    this.sentVersion = undefined;
    worker.on('message', (res: ClassifierResponse) => {
      const call = this.pending.get(res.id);
      this.pending.delete(res.id);
      if (this.pending.size === 0) worker.unref();
      call?.settle(res);
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.logger.error({ err: err.message }, 'classifier thread failed; its jobs will be retried');
      for (const [id, call] of this.pending) {
        this.pending.delete(id);
        call.fail(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the classifier thread exited (code ${code})`)));
    // After the listeners: adding a 'message' listener refs a worker again.
    worker.unref();
    return worker;
  }
}

/**
 * Under tsx (a checkout without a fresh build, the tests) the thread registers tsx's loader before it
 * loads its TypeScript entry: a worker does not inherit the main thread's loader, nor take `--import`.
 */
function threadUnderTsx(): Worker {
  const tsxApi = new URL('./esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx')));
  const code = `import(${JSON.stringify(tsxApi.href)}).then(({ register }) => { register(); return import(${JSON.stringify(THREAD_URL.href)}); });`;
  return new Worker(code, { eval: true });
}
