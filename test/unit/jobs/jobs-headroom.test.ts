import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { interactiveArrivals } from '../../../src/concurrency/interactive-arrivals.ts';
import type { HeadroomGate } from '../../../src/concurrency/headroom-gate.ts';
import { jobsHeadroom } from '../../../jobs/index.ts';

const SLACK = { SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1', DATABASE_URL: 'postgresql://127.0.0.1/x' };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the gate the pipeline jobs wait at', () => {
  const gates: HeadroomGate[] = [];
  afterEach(() => {
    for (const g of gates.splice(0)) g.stop();
  });

  it('in role all with Slack: holds a job while Slack requests come faster than SLACK_BURST_RATE, at most 10 s', async () => {
    const gate = jobsHeadroom(loadConfig({ ...SLACK, RAPPORT_ROLE: 'all', SLACK_BURST_RATE: '40' }));
    expect(gate).toBeDefined();
    gates.push(gate!);
    gate!.start();
    // 20 requests in the last quarter second: 80 a second, above 40.
    for (let i = 0; i < 20; i++) interactiveArrivals.add();
    let started = false;
    const job = gate!.wait().then(() => {
      started = true;
    });
    await pause(100);
    expect(started).toBe(false);
    // Once the last second has seen fewer than half the rate, the burst is over and the job starts.
    await job;
    expect(started).toBe(true);
    expect(gate!.held.count).toBe(1);
  });

  it('in role worker (no acks to protect) and with the burst rate and headroom off: no gate', () => {
    expect(jobsHeadroom(loadConfig({ ...SLACK, RAPPORT_ROLE: 'worker' }))).toBeUndefined();
    expect(
      jobsHeadroom(
        loadConfig({ ...SLACK, RAPPORT_ROLE: 'all', SLACK_BURST_RATE: 'off', RAPPORT_JOBS_HEADROOM: 'off' }),
      ),
    ).toBeUndefined();
  });
});
