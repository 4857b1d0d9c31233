import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInsightsRouter } from '../../../connectors/console/insights.router.ts';
import type { Database } from '../../../src/db/database.ts';
import { erasureMark, saveInsightSnapshotsUnlessErased } from '../../../src/db/insights.repository.ts';
import { openDatabase } from '../../../src/db/open-database.ts';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { DEFAULT_BUSINESS_HOURS } from '../../../src/insights/business-hours.ts';
import { refreshInsightSnapshots } from '../../../src/insights/insight-snapshots.service.ts';
import { eraseCustomer } from '../../../src/services/erase-customer.service.ts';
import { logChatMessage } from '../../../src/services/log-chat-message.service.ts';
import { noopPipelineHooks } from '../../../src/services/pipeline-hooks.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { everyRow } from '../../helpers/every-row.ts';

const NOW = new Date('2026-11-30T15:00:00Z');
const SETTINGS = { businessHours: DEFAULT_BUSINESS_HOURS, responseTargetMinutes: 240, publicUrl: 'http://x' };
/** What must not survive the erasure: the customer's name, its person's name, words only its messages hold. */
const TRACES = ['zanzibar', 'frobisher', 'frobnicat', 'gizmotron'];

/** The insights API of the console on `db`, as one process serves it. */
async function serveInsights(db: Database): Promise<{ server: Server; get: (path: string) => Promise<string> }> {
  const app = express();
  app.use(createInsightsRouter({ db, settings: SETTINGS, now: () => NOW }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    async get(path) {
      const res = await fetch(`${base}${path}`);
      expect(res.status, path).toBe(200);
      return (await res.text()).toLowerCase();
    },
  };
}

const PATHS = [
  '/api/insights/topics?since=30d',
  '/api/insights/topics?since=30d&fresh=1',
  '/api/insights/health?since=30d',
  '/api/insights/satisfaction?since=30d&by=customer',
  '/api/insights/report?since=30d',
];

/**
 * Stored insights (InsightSnapshot) hold customers' names, health reasons and example messages, and
 * each process caches topics for ten minutes: an erasure must leave neither a row nor an answer that
 * names the customer (README, "Erase means erase").
 */
describe.each(TEST_DATABASE_KINDS)('erasing a customer erases its insights (%s)', (kind) => {
  let t: TestDatabase;
  /** On PostgreSQL, a second process's connection (its own topics cache). */
  let other: Database | undefined;
  const servers: Server[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    if (t.url) other = await openDatabase({ databaseUrl: t.url, migrate: false });
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    await other?.close();
    await t?.dispose();
  });

  it('deletes the snapshots in the erasure, and no process answers from what it computed before', async () => {
    const customer = async (name: string, person: string, email: string, channel: string, texts: string[]) => {
      const c = await t.db.prisma.company.create({
        data: { name, normalizedName: normalizeCompanyName(name), domains: [email.split('@')[1]] },
      });
      for (const [i, text] of texts.entries()) {
        const ts = `${1764000000 + i}.000100`;
        const o = await logChatMessage(
          t.db,
          {
            platform: 'slack',
            channelRef: `T1/${channel}`,
            threadKey: ts,
            messageKey: ts,
            author: { platformUserId: `T2/U${channel}`, name: person, email, isBot: false },
            direction: 'inbound',
            text,
            sentAt: new Date(NOW.getTime() - (i + 2) * 86_400_000),
            companyId: c.id,
          },
          noopPipelineHooks,
        );
        expect(o.status).toBe('logged');
      }
      return c.id;
    };
    const doomed = await customer('Zanzibar Trading', 'Wilma Frobisher', 'wilma@zanzibar.example', 'CZAN', [
      'The gizmotron frobnicator crashes every morning',
      'Gizmotron frobnicator crashes again after the update',
      'Our gizmotron frobnicator export crashes, please help',
      'Frobnicator on the gizmotron still crashes daily',
    ]);
    await customer('Keeper Mills', 'Kim Keeper', 'kim@keeper.example', 'CKEEP', [
      'Please renew our subscription licence for next year',
      'Can you renew the subscription licence with more seats',
      'Licence renewal: subscription invoice needed',
      'Subscription licence renew quote please',
    ]);

    await refreshInsightSnapshots(t.db, SETTINGS, NOW, ['30d']);
    const stored = (await t.db.prisma.insightSnapshot.findMany()).map((r) => JSON.stringify(r.body)).join('\n');
    for (const trace of ['zanzibar', 'gizmotron']) expect(stored.toLowerCase()).toContain(trace);
    // Served from the snapshot, and computed (then cached) by this process and, on PostgreSQL, another.
    const apis = [await serveInsights(t.db), ...(other ? [await serveInsights(other)] : [])];
    servers.push(...apis.map((a) => a.server));
    for (const api of apis) {
      expect(await api.get('/api/insights/topics?since=30d&fresh=1')).toContain('gizmotron');
      expect(await api.get('/api/insights/report?since=30d')).toContain('zanzibar');
    }
    const markBefore = await erasureMark(t.db.sql);

    await eraseCustomer(t.db, doomed, { repId: 'admin', platform: 'console' });

    const rows = await everyRow(t.db);
    for (const trace of TRACES) expect(rows, trace).not.toContain(trace);
    for (const api of apis)
      for (const path of PATHS) {
        const body = await api.get(path);
        for (const trace of TRACES) expect(body, `${path}: ${trace}`).not.toContain(trace);
      }
    // Computed again without them: the other customer's topic is still there.
    expect(await apis[0].get('/api/insights/topics?since=30d')).toContain('licence');

    // A refresh that computed before the erasure committed stores nothing (it would name them again)...
    expect(
      await saveInsightSnapshotsUnlessErased(
        t.db,
        markBefore,
        [{ key: 'report:30d', body: { name: 'Zanzibar' } }],
        NOW,
      ),
    ).toBe(false);
    expect(await t.db.prisma.insightSnapshot.findUnique({ where: { key: 'report:30d' } })).toBeNull();
    // ...and the next one stores the figures without them.
    await refreshInsightSnapshots(t.db, SETTINGS, NOW, ['30d']);
    const again = (await t.db.prisma.insightSnapshot.findMany()).map((r) => JSON.stringify(r.body)).join('\n');
    expect(again).toContain('Keeper Mills');
    for (const trace of TRACES) expect(again.toLowerCase()).not.toContain(trace);
  }, 60_000);
});
