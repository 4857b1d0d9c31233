import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ModelArtifact } from '../src/classifier/model-artifact.ts';
import type { MessageReading, ReadingContext } from '../src/classifier/read-message.ts';
import type { Logger } from '../src/logger.ts';
import type { ReadRequest, ReadResponse } from './classify-thread.ts';

/** The thread's entry: the compiled .js next to this file in dist/, the .ts source under tsx. */
const THREAD_URL = new URL(
  import.meta.url.endsWith('.ts') ? './classify-thread.ts' : './classify-thread.js',
  import.meta.url,
);

/**
 * Reads messages (language, entities, sentiment, label: the CPU-bound half of classification) on one
 * worker thread, so that in a `RAPPORT_ROLE=all` process the main thread stays free for HTTP acks and
 * connectors while a burst of logs is classified (RAPPORT_CLASSIFY_THREAD). The database work, the
 * batching and the exactly-once rules stay where they were (classify-messages.service.ts on the main
 * thread); only texts go over and readings come back. The model's artifact is sent once per version.
 * A thread that dies fails the batches it held (their jobs are retried by BullMQ) and is started again
 * on the next batch.
 */
export class ThreadMessageReader {
  private worker: Worker | undefined;
  /** The model version the running thread has been sent. */
  private sentVersion: string | undefined;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(r: MessageReading[]): void; reject(e: Error): void; retry(): void }
  >();

  /** @param artifact the active model's artifact (ActiveClassifier.artifact) */
  constructor(
    private readonly artifact: () => Promise<ModelArtifact>,
    private readonly logger: Logger,
  ) {}

  /** Reads `texts` in order on the thread (a ReadMessages for ClassifyMessagesDeps). */
  readonly read = async (texts: readonly string[], ctx: ReadingContext): Promise<MessageReading[]> => {
    const artifact = await this.artifact();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const send = (withModel: boolean) => {
        const worker = this.thread();
        const includeModel = withModel || this.sentVersion !== artifact.version;
        const req: ReadRequest = { id, version: artifact.version, texts, ctx, ...(includeModel ? { artifact } : {}) };
        worker.postMessage(req);
        if (includeModel) this.sentVersion = artifact.version;
      };
      let retried = false;
      this.pending.set(id, {
        resolve,
        reject,
        retry: () => {
          if (retried) return reject(new Error('the classify thread did not take the model'));
          retried = true;
          send(true);
        },
      });
      send(false);
    });
  };

  /** Lets the thread exit; call after the classify worker stopped taking jobs. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = THREAD_URL.pathname.endsWith('.ts') ? threadUnderTsx() : new Worker(THREAD_URL);
    // The classify worker's Redis connection keeps the process up while a batch is out; the thread alone must not.
    worker.unref();
    this.worker = worker;
    this.sentVersion = undefined;
    worker.on('message', (res: ReadResponse) => {
      const call = this.pending.get(res.id);
      if (!call) return;
      if ('needModel' in res) return call.retry();
      this.pending.delete(res.id);
      if ('error' in res) call.reject(new Error(res.error));
      else call.resolve(res.readings);
    });
    const fail = (err: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.logger.error({ err: err.message }, 'classify thread failed; its batches will be retried');
      for (const [id, call] of this.pending) {
        this.pending.delete(id);
        call.reject(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the classify thread exited (code ${code})`)));
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
