import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionsBlock, Button, ContextBlock, ExternalSelect, HomeView, InputBlock, KnownBlock, ModalView, PlainTextOption, StaticSelect } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/env.ts';
import { createLogger } from '../../../src/logger.ts';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { startProcess, type RunningProcess } from '../../../app/start-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { createScratchPostgres, TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';

const SECRET = 'test-signing-secret-modals';
const TEAM = 'T1';
const TIMEZONE = 'Europe/Berlin';

const sign = (body: string, ts: number) => `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
/** "YYYY-MM-DD" of an instant in a timezone. */
const dayIn = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const inputs = (view: ModalView) => view.blocks.filter((b): b is InputBlock => b.type === 'input');
const input = (view: ModalView, blockId: string) => inputs(view).find((b) => b.block_id === blockId)!;

describe.each(TEST_DATABASE_KINDS)('Slack modals, shortcuts and App Home through Bolt (%s)', (kind) => {
  const slack = new SlackRecorder();
  let proc: RunningProcess;
  let dataDir: string;
  let prefix: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let seq = 0;

  beforeAll(async () => {
    slack.userTimezone = TIMEZONE;
    const apiUrl = await slack.start();
    dataDir = mkdtempSync(join(tmpdir(), 'rapport-slack-modals-'));
    prefix = `{rapport-modals-${randomBytes(4).toString('hex')}}`;
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const scratch = await createScratchPostgres();
      databaseUrl = scratch.url;
      dropDatabase = scratch.drop;
    }
    const config = loadConfig({
      RAPPORT_DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:6379',
      RAPPORT_QUEUE_PREFIX: prefix,
      RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_API_URL: apiUrl,
      LOG_LEVEL: 'silent',
    });
    proc = await startProcess(config, createLogger('silent'));
  }, 60_000);

  afterAll(async () => {
    if (proc) {
      await proc.shutdown('test done');
      const { connectRedis } = await import('../../../src/redis/connect-redis.ts');
      const cleaner = connectRedis('redis://127.0.0.1:6379');
      const left = await cleaner.keys(`${prefix}*`);
      if (left.length > 0) await cleaner.del(...left);
      await cleaner.quit();
    }
    await slack.stop();
    await dropDatabase?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Posts a correctly signed request to /slack/events, as Slack does. */
  async function postSigned(body: string, contentType = 'application/x-www-form-urlencoded') {
    const ts = Math.floor(Date.now() / 1000);
    return fetch(`${proc.url}/slack/events`, { method: 'POST', headers: { 'Content-Type': contentType, 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': sign(body, ts) }, body });
  }
  const interaction = (payload: Record<string, unknown>) => postSigned(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  const trigger = () => `trigger-${++seq}`;
  const db = () => proc.runtime.db;

  /** The modal views.open received for a trigger id. */
  const openedView = (triggerId: string) =>
    eventually(`views.open for ${triggerId}`, async () => slack.callsTo('views.open').find((c) => c.body.trigger_id === triggerId)?.body.view as ModalView | undefined);

  async function slashCommand(text: string, channel = 'CSALES', user = 'U1') {
    const triggerId = trigger();
    const form = new URLSearchParams({
      token: 'legacy', team_id: TEAM, team_domain: 'acme', channel_id: channel, channel_name: 'sales', user_id: user, user_name: 'jo',
      command: '/crm', text, api_app_id: 'A1', response_url: slack.responseUrl(`command-${triggerId}`), trigger_id: triggerId,
    });
    expect((await postSigned(form.toString())).status).toBe(200);
    return triggerId;
  }

  /** Asks for the customer picker's options as Slack does while someone types; returns Bolt's HTTP answer. */
  async function suggest(value: string, view: ModalView) {
    const res = await interaction({
      type: 'block_suggestion', action_id: 'rapport_customer', block_id: 'customer', value, api_app_id: 'A1', token: 'legacy',
      team: { id: TEAM, domain: 'acme' }, user: { id: 'U1', name: 'jo', team_id: TEAM }, container: { type: 'view', view_id: 'V0' },
      view: { ...view, id: 'V0', state: { values: {} } },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { options: PlainTextOption[] }).options;
  }

  /** Submits a modal with state values; returns the HTTP status and Bolt's ack body (errors, or empty). */
  async function submit(view: ModalView, viewId: string, values: Record<string, Record<string, Record<string, unknown>>>, user = 'U1') {
    const res = await interaction({
      type: 'view_submission', team: { id: TEAM, domain: 'acme' }, user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM },
      api_app_id: 'A1', token: 'legacy', trigger_id: trigger(),
      view: { ...view, id: viewId, team_id: TEAM, hash: `h-${seq}`, state: { values }, app_id: 'A1', bot_id: 'B1' }, response_urls: [],
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as { response_action?: string; errors?: Record<string, string> }) : {} };
  }

  const logValues = (o: { customer?: PlainTextOption; kind?: string; date?: string; notes?: string; followUp?: string }) => ({
    customer: { rapport_customer: { type: 'external_select', selected_option: o.customer ?? null } },
    kind: { kind: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: o.kind ?? 'note' }, value: o.kind ?? 'note' } } },
    date: { date: { type: 'datepicker', selected_date: o.date ?? dayIn(new Date(), TIMEZONE) } },
    notes: { notes: { type: 'plain_text_input', value: o.notes ?? null } },
    follow_up: { follow_up: { type: 'datepicker', selected_date: o.followUp ?? null } },
  });

  it('/crm log alone opens the log modal; the customer picker ranks like lookup and offers to create; a bad submission shows per-field errors and writes nothing; a good one logs once and tells the user', async () => {
    const acme = await db().prisma.company.create({ data: { name: 'Acme Ltd', normalizedName: 'acme', domains: ['acme.com'] } });
    await db().prisma.company.create({ data: { name: 'Acme Widgets', normalizedName: 'acme widgets' } });
    await db().prisma.company.create({ data: { name: 'Acmetrics', normalizedName: 'acmetrics' } });

    const triggerId = await slashCommand('log');
    const view = await openedView(triggerId);
    expect(view).toMatchObject({ type: 'modal', callback_id: 'rapport_log', submit: { text: 'Log' } });
    expect(inputs(view).map((b) => b.block_id)).toEqual(['customer', 'kind', 'date', 'notes', 'follow_up']);
    expect(input(view, 'customer').element).toMatchObject({ type: 'external_select', action_id: 'rapport_customer', min_query_length: 1 } satisfies Partial<ExternalSelect>);
    expect((input(view, 'kind').element as StaticSelect).options!.map((o) => o.value)).toEqual(['call', 'meeting', 'email', 'chat', 'note']);
    expect(input(view, 'date').element).toMatchObject({ type: 'datepicker', initial_date: dayIn(new Date(), TIMEZONE) });
    expect(input(view, 'notes').element).toMatchObject({ type: 'plain_text_input', multiline: true });
    expect(input(view, 'notes').optional).toBeFalsy();
    expect(input(view, 'follow_up').optional).toBe(true);
    expect(slack.callsTo(`respond/command-${triggerId}`)).toEqual([]); // a modal, not a usage error

    // Options: the lookup service's ranking for what was typed, then "Create …" (no exact name match for "acm").
    const options = await suggest('acm', view);
    const ranked = await lookupCustomer(db(), 'acm');
    expect(options.slice(0, ranked.length).map((o) => o.value)).toEqual(ranked.map((m) => `id:${m.companyId}`));
    expect(options.at(-1)).toMatchObject({ text: { text: 'Create “acm”' }, value: 'new:acm' });
    // An exact name is not offered for creation again.
    const exact = await suggest('Acme Ltd', view);
    expect(exact[0].value).toBe(`id:${acme.id}`);
    expect(exact.some((o) => o.value.startsWith('new:'))).toBe(false);

    // Missing customer, empty notes, a follow-up day in the past: three field errors, nothing written.
    const yesterday = dayIn(new Date(Date.now() - 86_400_000), TIMEZONE);
    const bad = await submit(view, 'VLOG1', logValues({ notes: '   ', followUp: yesterday }));
    expect(bad.status).toBe(200);
    expect(bad.body.response_action).toBe('errors');
    expect(Object.keys(bad.body.errors!).sort()).toEqual(['customer', 'follow_up', 'notes']);
    expect(bad.body.errors!.follow_up).toMatch(/past/);
    expect(await db().prisma.communicationRecord.count({ where: { companyId: acme.id } })).toBe(0);

    // A good submission logs through the log service, with its follow-up, and tells the user in the channel.
    const tomorrow = dayIn(new Date(Date.now() + 86_400_000), TIMEZONE);
    const good = logValues({ customer: exact[0], kind: 'call', notes: 'Called Jo: wants a quote for 50 seats', followUp: tomorrow });
    expect(await submit(view, 'VLOG1', good)).toEqual({ status: 200, body: {} });
    const told = await eventually('the ephemeral confirmation', async () => slack.callsTo('chat.postEphemeral').find((c) => /Acme Ltd/.test(String(c.body.text))));
    expect(told.body).toMatchObject({ channel: 'CSALES', user: 'U1' });
    expect(String(told.body.text)).toMatch(/Logged a call for Acme Ltd.*Follow-up #\d+ is set/);
    // Slack retries a submission it thinks timed out with the same view id: still one record.
    expect((await submit(view, 'VLOG1', good)).status).toBe(200);
    await eventually('the second confirmation', async () => slack.callsTo('chat.postEphemeral').filter((c) => /Acme Ltd/.test(String(c.body.text))).length === 2);
    const records = await db().prisma.communicationRecord.findMany({ where: { companyId: acme.id }, include: { messages: true, followUps: true } });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ channelKind: 'call', sourceKey: `slack:view:${TEAM}/VLOG1` });
    expect(records[0].messages[0].text).toBe('Called Jo: wants a quote for 50 seats');
    // The form's follow-up (the classifier may add a suggestion of its own).
    const manual = records[0].followUps.filter((f) => f.source === 'manual');
    expect(manual).toHaveLength(1);
    expect(dayIn(manual[0].dueAt, TIMEZONE)).toBe(tomorrow);

    // "Create …" makes the customer once, even when the submission is retried.
    const created = logValues({ customer: { text: { type: 'plain_text', text: 'Create “Initech”' }, value: 'new:Initech' }, notes: 'First call with Initech' });
    expect((await submit(view, 'VLOG2', created)).status).toBe(200);
    expect((await submit(view, 'VLOG2', created)).status).toBe(200);
    expect(await db().prisma.company.count({ where: { normalizedName: 'initech' } })).toBe(1);
    expect(await db().prisma.communicationRecord.count({ where: { sourceKey: `slack:view:${TEAM}/VLOG2` } })).toBe(1);
  });
});
