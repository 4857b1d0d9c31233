/**
 * bench:slack's stand-in for Slack's Web API and response_urls (test/helpers/slack-recorder.ts) on a
 * thread of its own: Rapport answers every command through its response_url, and handling those posts
 * on the load generator's thread would delay the requests it sends (and so Rapport's measured acks,
 * never bare Bolt's, which answers nothing). Real Slack is another machine; this is the closest here.
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { SlackRecorder } from '../test/helpers/slack-recorder.ts';

type Ask = { id: number; op: 'count'; prefix: string } | { id: number; op: 'stop' };

if (!isMainThread) {
  const slack = new SlackRecorder();
  slack.users.set('UGUEST', { is_restricted: true, profile: { display_name: 'jo', email: 'jo@acme.com' } });
  const apiUrl = await slack.start();
  parentPort!.postMessage({ ready: true, apiUrl, baseUrl: slack.baseUrl });
  parentPort!.on('message', async (ask: Ask) => {
    if (ask.op === 'count')
      parentPort!.postMessage({ id: ask.id, n: slack.calls.filter((c) => c.method.startsWith(ask.prefix)).length });
    else {
      await slack.stop();
      parentPort!.postMessage({ id: ask.id, n: 0 });
      parentPort!.close();
    }
  });
}

/** The recorder thread seen from the bench: a guest user `UGUEST` is known to users.info. */
export class SlackRecorderThread {
  private worker?: Worker;
  private baseUrl = '';
  private next = 0;
  private readonly pending = new Map<number, (n: number) => void>();

  /** Starts the thread; returns the Web API base URL (for SLACK_API_URL). */
  async start(): Promise<string> {
    // The bench runs under tsx, whose loader a worker thread does not inherit: register it, then load this file.
    const tsxApi = import.meta.resolve('tsx/esm/api');
    const worker = new Worker(
      `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); });`,
      { eval: true },
    );
    this.worker = worker;
    const ready = await new Promise<{ apiUrl: string; baseUrl: string }>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('message', resolve);
    });
    this.baseUrl = ready.baseUrl;
    worker.on('message', (m: { id?: number; n: number }) => {
      if (m.id === undefined) return;
      this.pending.get(m.id)?.(m.n);
      this.pending.delete(m.id);
    });
    return ready.apiUrl;
  }

  /** A response_url the bot can answer a command on (recorded as `respond/<id>`). */
  responseUrl(id: string): string {
    return `${this.baseUrl}/respond/${id}`;
  }

  /** How many calls were recorded whose method (or `respond/<id>`) starts with `prefix`. */
  count(prefix: string): Promise<number> {
    return this.ask({ op: 'count', prefix });
  }

  async stop(): Promise<void> {
    await this.ask({ op: 'stop' });
    await this.worker?.terminate();
  }

  private ask(ask: { op: 'count'; prefix: string } | { op: 'stop' }): Promise<number> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker!.postMessage({ ...ask, id });
    });
  }
}
