import type {
  ActionsBlock,
  Button,
  ExternalSelect,
  HomeView,
  InputBlock,
  KnownBlock,
  ModalView,
  PlainTextOption,
  StaticSelect,
} from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { tombstoneHash } from '../../../src/services/tombstones.service.ts';
import type { RunningProcess } from '../../../app/start-process.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { eventCallbackBody, slackSignature } from '../../helpers/slack-requests.ts';
import type { SlackRecorder } from '../../helpers/slack-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { SLACK_TEST_SECRET as SECRET, startSlackTestBot, type SlackTestBot } from '../../helpers/slack-test-bot.ts';

const TEAM = 'T1';
const TIMEZONE = 'Europe/Berlin';

const sign = (body: string, ts: number) => slackSignature(body, ts, SECRET);
/** "YYYY-MM-DD" of an instant in a timezone. */
const dayIn = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
const inputs = (view: ModalView) => view.blocks.filter((b): b is InputBlock => b.type === 'input');
const input = (view: ModalView, blockId: string) => inputs(view).find((b) => b.block_id === blockId)!;

/** Slack refuses a view over its limits: at most 100 blocks, 24-character titles and buttons, 3000 characters of metadata, unique block ids, options of 75/150 characters. */
function expectWithinSlackLimits(view: ModalView | HomeView): void {
  expect(view.blocks.length).toBeLessThanOrEqual(100);
  if (view.type === 'modal') {
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    for (const button of [view.submit, view.close]) expect((button?.text ?? '').length).toBeLessThanOrEqual(24);
  }
  expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(3000);
  const blockIds = view.blocks.map((b) => b.block_id).filter(Boolean);
  expect(new Set(blockIds).size).toBe(blockIds.length);
  const elements = (view.blocks as KnownBlock[]).flatMap((b): unknown[] =>
    b.type === 'input' ? [b.element] : b.type === 'actions' ? b.elements : [],
  );
  for (const e of elements) {
    for (const o of (e as StaticSelect).options ?? []) {
      expect(o.text.text.length).toBeLessThanOrEqual(75);
      expect((o.value ?? '').length).toBeLessThanOrEqual(150);
    }
  }
}

describe.each(TEST_DATABASE_KINDS)('Slack modals, shortcuts and App Home through Bolt (%s)', (kind) => {
  let bot: SlackTestBot | undefined;
  let slack: SlackRecorder;
  let proc: RunningProcess;
  let seq = 0;

  beforeAll(async () => {
    bot = await startSlackTestBot({
      database: kind,
      env: {
        RAPPORT_DEFAULT_CHANNEL: `slack:${TEAM}/CTEAM`,
        LOG_LEVEL: 'silent',
        // The team opens at 08:30 every day: New follow-up must offer that, not a fixed 9:00.
        RAPPORT_BUSINESS_HOURS: '08:30-17:00',
        RAPPORT_BUSINESS_DAYS: 'sun-sat',
      },
      name: 'slack-modals',
      beforeStart: (slack) => {
        slack.userTimezone = TIMEZONE;
      },
    });
    slack = bot.slack;
    proc = bot.test.proc;
  }, 60_000);

  afterAll(async () => {
    await bot?.dispose();
  });

  /** Posts a correctly signed request to /slack/events, as Slack does. */
  async function postSigned(body: string, contentType = 'application/x-www-form-urlencoded') {
    const ts = Math.floor(Date.now() / 1000);
    return fetch(`${proc.url}/slack/events`, {
      method: 'POST',
      headers: {
        'Content-Type': contentType,
        'X-Slack-Request-Timestamp': String(ts),
        'X-Slack-Signature': sign(body, ts),
      },
      body,
    });
  }
  const interaction = (payload: Record<string, unknown>) =>
    postSigned(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
  const trigger = () => `trigger-${++seq}`;
  const db = () => proc.runtime.db;

  /** The modal views.open received for a trigger id. */
  /** U1 clicks the "New follow-up" global shortcut: the modal Slack was asked to open. */
  async function openNewFollowUp(): Promise<ModalView> {
    const triggerId = trigger();
    const res = await interaction({
      type: 'shortcut',
      callback_id: 'new_follow_up',
      trigger_id: triggerId,
      user: { id: 'U1', username: 'u1', team_id: TEAM },
      team: { id: TEAM, domain: 'acme' },
      token: 'legacy',
      action_ts: '1',
    });
    expect(res.status).toBe(200);
    return openedView(triggerId);
  }

  async function openedView(triggerId: string): Promise<ModalView> {
    const view = await eventually(
      `views.open for ${triggerId}`,
      async () =>
        slack.callsTo('views.open').find((c) => c.body.trigger_id === triggerId)?.body.view as ModalView | undefined,
    );
    expectWithinSlackLimits(view);
    return view;
  }

  async function slashCommand(text: string, channel = 'CSALES', user = 'U1') {
    const triggerId = trigger();
    const form = new URLSearchParams({
      token: 'legacy',
      team_id: TEAM,
      team_domain: 'acme',
      channel_id: channel,
      channel_name: 'sales',
      user_id: user,
      user_name: 'jo',
      command: '/crm',
      text,
      api_app_id: 'A1',
      response_url: slack.responseUrl(`command-${triggerId}`),
      trigger_id: triggerId,
    });
    expect((await postSigned(form.toString())).status).toBe(200);
    return triggerId;
  }

  /** Asks for the customer picker's options as Slack does while someone types; returns Bolt's HTTP answer. */
  async function suggest(value: string, view: ModalView) {
    const res = await interaction({
      type: 'block_suggestion',
      action_id: 'rapport_customer',
      block_id: 'customer',
      value,
      api_app_id: 'A1',
      token: 'legacy',
      team: { id: TEAM, domain: 'acme' },
      user: { id: 'U1', name: 'jo', team_id: TEAM },
      container: { type: 'view', view_id: 'V0' },
      view: { ...view, id: 'V0', state: { values: {} } },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { options: PlainTextOption[] }).options;
  }

  /** Submits a modal with state values; returns the HTTP status and Bolt's ack body (errors, or empty). */
  async function submit(
    view: ModalView,
    viewId: string,
    values: Record<string, Record<string, Record<string, unknown>>>,
    user = 'U1',
  ) {
    const res = await interaction({
      type: 'view_submission',
      team: { id: TEAM, domain: 'acme' },
      user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: trigger(),
      view: { ...view, id: viewId, team_id: TEAM, hash: `h-${seq}`, state: { values }, app_id: 'A1', bot_id: 'B1' },
      response_urls: [],
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text
        ? (JSON.parse(text) as { response_action?: string; errors?: Record<string, string>; view?: ModalView })
        : {},
    };
  }

  const logValues = (o: {
    customer?: PlainTextOption;
    kind?: string;
    date?: string;
    notes?: string;
    followUp?: string;
  }) => ({
    customer: { rapport_customer: { type: 'external_select', selected_option: o.customer ?? null } },
    kind: {
      kind: {
        type: 'static_select',
        selected_option: { text: { type: 'plain_text', text: o.kind ?? 'note' }, value: o.kind ?? 'note' },
      },
    },
    date: { date: { type: 'datepicker', selected_date: o.date ?? dayIn(new Date(), TIMEZONE) } },
    notes: { notes: { type: 'plain_text_input', value: o.notes ?? null } },
    follow_up: { follow_up: { type: 'datepicker', selected_date: o.followUp ?? null } },
  });

  it('/crm log alone opens the log modal; the customer picker ranks like lookup and offers to create; a bad submission shows per-field errors and writes nothing; a good one logs once and tells the user', async () => {
    const acme = await db().prisma.company.create({
      data: { name: 'Acme Ltd', normalizedName: 'acme', domains: ['acme.com'] },
    });
    await db().prisma.company.create({ data: { name: 'Acme Widgets', normalizedName: 'acme widgets' } });
    await db().prisma.company.create({ data: { name: 'Acmetrics', normalizedName: 'acmetrics' } });

    const triggerId = await slashCommand('log');
    const view = await openedView(triggerId);
    expect(view).toMatchObject({ type: 'modal', callback_id: 'rapport_log', submit: { text: 'Log' } });
    expect(inputs(view).map((b) => b.block_id)).toEqual(['customer', 'kind', 'date', 'notes', 'follow_up']);
    expect(input(view, 'customer').element).toMatchObject({
      type: 'external_select',
      action_id: 'rapport_customer',
      min_query_length: 1,
    } satisfies Partial<ExternalSelect>);
    expect((input(view, 'kind').element as StaticSelect).options!.map((o) => o.value)).toEqual([
      'call',
      'meeting',
      'email',
      'chat',
      'note',
    ]);
    expect(input(view, 'date').element).toMatchObject({
      type: 'datepicker',
      initial_date: dayIn(new Date(), TIMEZONE),
    });
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
    expect(exact.some((o) => o.value?.startsWith('new:'))).toBe(false);

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
    const good = logValues({
      customer: exact[0],
      kind: 'call',
      notes: 'Called Jo: wants a quote for 50 seats',
      followUp: tomorrow,
    });
    const logged = await submit(view, 'VLOG1', good);
    expect(logged).toMatchObject({
      status: 200,
      body: { response_action: 'update', view: { type: 'modal', title: { text: 'Logged' } } },
    });
    expect(JSON.stringify(logged.body.view!.blocks)).toMatch(/Logged a call for Acme Ltd/);
    expect(logged.body.view!.blocks.some((b) => b.type === 'actions')).toBe(false); // buttons go with the channel answer
    const told = await eventually('the ephemeral confirmation', async () =>
      slack.callsTo('chat.postEphemeral').find((c) => /Acme Ltd/.test(String(c.body.text))),
    );
    expect(told.body).toMatchObject({ channel: 'CSALES', user: 'U1' });
    expect(String(told.body.text)).toMatch(/Logged a call for Acme Ltd.*Follow-up #\d+ is set/);
    // Slack retries a submission it thinks timed out with the same view id: still one record.
    expect((await submit(view, 'VLOG1', good)).status).toBe(200);
    await eventually(
      'the second confirmation',
      async () => slack.callsTo('chat.postEphemeral').filter((c) => /Acme Ltd/.test(String(c.body.text))).length === 2,
    );
    const records = await db().prisma.communicationRecord.findMany({
      where: { companyId: acme.id },
      include: { messages: true, followUps: true },
    });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ channelKind: 'call', sourceKey: `slack:view:${TEAM}/VLOG1` });
    expect(records[0].messages[0].text).toBe('Called Jo: wants a quote for 50 seats');
    // The form's follow-up (the classifier may add a suggestion of its own).
    const manual = records[0].followUps.filter((f) => f.source === 'manual');
    expect(manual).toHaveLength(1);
    expect(dayIn(manual[0].dueAt, TIMEZONE)).toBe(tomorrow);

    // "Create …" makes the customer once, even when the submission is retried.
    const created = logValues({
      customer: { text: { type: 'plain_text', text: 'Create “Initech”' }, value: 'new:Initech' },
      notes: 'First call with Initech',
    });
    expect((await submit(view, 'VLOG2', created)).status).toBe(200);
    expect((await submit(view, 'VLOG2', created)).status).toBe(200);
    expect(await db().prisma.company.count({ where: { normalizedName: 'initech' } })).toBe(1);
    expect(await db().prisma.communicationRecord.count({ where: { sourceKey: `slack:view:${TEAM}/VLOG2` } })).toBe(1);

    // An erased customer's name cannot come back through "Create": the sentence shows next to the customer field.
    await db().prisma.tombstone.create({
      data: { keyHash: tombstoneHash({ kind: 'company', value: 'Vandelay' }), kind: 'company' },
    });
    const erased = await submit(
      view,
      'VLOG3',
      logValues({
        customer: { text: { type: 'plain_text', text: 'Create “Vandelay”' }, value: 'new:Vandelay' },
        notes: 'Vandelay called',
      }),
    );
    expect(erased.body.response_action).toBe('errors');
    expect(erased.body.errors!.customer).toMatch(/erased/);
    expect(await db().prisma.company.count({ where: { normalizedName: 'vandelay' } })).toBe(0);
    expect(await db().prisma.message.count({ where: { text: 'Vandelay called' } })).toBe(0);
  });

  /** The Home tab views.publish last sent for a user. */
  async function publishedHome(user: string, after = 0): Promise<HomeView> {
    const view = await eventually(
      `views.publish for ${user}`,
      async () =>
        slack
          .callsTo('views.publish')
          .slice(after)
          .filter((c) => c.body.user_id === user)
          .at(-1)?.body.view as HomeView | undefined,
    );
    expectWithinSlackLimits(view);
    return view;
  }
  const homeText = (view: HomeView) => JSON.stringify(view.blocks);

  /** A message shortcut click ("Log to CRM") on a message, as Slack sends it. */
  async function messageShortcut(
    message: { ts: string; text: string; user: string; thread_ts?: string; reply_count?: number },
    channel: string,
    user = 'U1',
  ) {
    const triggerId = trigger();
    const res = await interaction({
      type: 'message_action',
      callback_id: 'log_to_crm',
      trigger_id: triggerId,
      message_ts: message.ts,
      response_url: slack.responseUrl(`shortcut-${triggerId}`),
      message: { type: 'message', ...message },
      user: { id: user, name: user.toLowerCase(), team_id: TEAM },
      channel: { id: channel, name: 'deal-room' },
      team: { id: TEAM, domain: 'acme' },
      token: 'legacy',
      action_ts: String(Date.now() / 1000),
    });
    expect(res.status).toBe(200);
    return openedView(triggerId);
  }

  it('"Log to CRM" on a message the auto-logger already logged (a linked channel) keeps one record and one message', async () => {
    const initrode = await db().prisma.company.create({
      data: { name: 'Initrode', normalizedName: 'initrode', domains: ['initrode.example'] },
    });
    await db().prisma.channelLink.create({
      data: { platform: 'slack', channelRef: `${TEAM}/CINITRODE`, companyId: initrode.id },
    });
    // The customer's guest writes in the linked channel: auto-logged as their words.
    slack.users.set('UINI', { is_restricted: true, profile: { display_name: 'bob', email: 'bob@initrode.example' } });
    const said = { ts: '1700000300.000100', text: 'Our invoices are wrong again, please call us', user: 'UINI' };
    const event = eventCallbackBody(
      TEAM,
      { type: 'message', channel_type: 'channel', channel: 'CINITRODE', team: TEAM, ...said },
      `EvIni${++seq}`,
    );
    expect((await postSigned(event, 'application/json')).status).toBe(200);
    const externalId = `slack:${TEAM}/CINITRODE/${said.ts}`;
    await eventually('the message auto-logged', () => db().prisma.message.findUnique({ where: { externalId } }));

    // A rep then logs the same message with the message shortcut.
    const view = await messageShortcut(said, 'CINITRODE');
    const values = logValues({
      customer: { text: { type: 'plain_text', text: 'Initrode' }, value: `id:${initrode.id}` },
      kind: 'chat',
      notes: said.text,
    });
    expect((await submit(view, 'VINI1', values)).status).toBe(200);
    await eventually('the shortcut answered', async () =>
      slack.callsTo('chat.postEphemeral').find((c) => /Initrode/.test(String(c.body.text))),
    );
    const records = await db().prisma.communicationRecord.findMany({
      where: { companyId: initrode.id },
      include: { messages: true },
    });
    expect(records.map((r) => r.sourceKey)).toEqual([`slack:${TEAM}/CINITRODE/${said.ts}`]);
    expect(records[0].messages.map((m) => m.externalId)).toEqual([externalId]);
  });

  it('"Log to CRM" prefills the thread and guesses the customer (channel link, else participants\' email domains); the same message logged twice is one record', async () => {
    const globex = await db().prisma.company.create({
      data: { name: 'Globex', normalizedName: 'globex', domains: ['globex.com'] },
    });
    const hooli = await db().prisma.company.create({ data: { name: 'Hooli', normalizedName: 'hooli' } });
    await db().prisma.channelLink.create({
      data: { platform: 'slack', channelRef: `${TEAM}/CHOOLI`, companyId: hooli.id },
    });

    // A thread in an unlinked channel: the notes hold the parent and its replies, each after its author's
    // name, without Rapport's own posts; a participant's email names Globex.
    const parent = { ts: '1700000100.000100', text: 'Globex asked about SSO', user: 'UREP', reply_count: 5 };
    slack.threads.set(`CSHARED/${parent.ts}`, [
      { ts: parent.ts, user: 'UREP', text: parent.text },
      { ts: '1700000100.000200', user: 'UGLOBEX', text: 'We need SAML before renewal' },
      // Another app's post stays, named as it posts (a helpdesk relaying the customer); Rapport's own card goes.
      {
        ts: '1700000100.000250',
        bot_id: 'BDESK',
        subtype: 'bot_message',
        bot_profile: { name: 'Helpdesk' },
        text: 'Ana wrote: SSO is blocking our renewal',
      },
      { ts: '1700000100.000260', user: 'UBOT', bot_id: 'BBOT', text: 'Suggested follow-up for Globex' },
      { ts: '1700000100.000300', user: 'UREP', text: 'I will check with &lt;product&gt; &amp; <@UPM|pat>' },
      { ts: '1700000100.000400', user: 'UGONE', text: 'Adding myself here' },
    ]);
    slack.users.set('UREP', { profile: { email: 'rep@gmail.com', display_name: 'Sam Rep' } });
    slack.users.set('UGLOBEX', { profile: { email: 'ana@globex.com', display_name: 'Ana Lima' } });
    slack.failingUsers.add('UGONE');
    const opened = await messageShortcut(parent, 'CSHARED');
    // Opened at once with the message alone (the trigger expires in 3 s), then filled in with the thread and the guess.
    expect(opened).toMatchObject({ type: 'modal', callback_id: 'rapport_log', title: { text: 'Log to CRM' } });
    expect((input(opened, 'notes').element as { initial_value?: string }).initial_value).toBe('Globex asked about SSO');
    const update = await eventually('views.update with the thread', async () =>
      slack
        .callsTo('views.update')
        .find((c) => String((c.body.view as ModalView).private_metadata).includes(parent.ts)),
    );
    expect(update.body.view_id).toMatch(/^V\d+$/);
    const view = update.body.view as ModalView;
    expectWithinSlackLimits(view);
    expect(view).toMatchObject({
      type: 'modal',
      callback_id: 'rapport_log',
      private_metadata: opened.private_metadata,
    });
    expect(slack.callsTo('conversations.replies').at(-1)!.body).toMatchObject({ channel: 'CSHARED', ts: parent.ts });
    expect((input(view, 'notes').element as { initial_value?: string }).initial_value).toBe(
      // users.info could not name UGONE: the message stays, unnamed.
      'Sam Rep: Globex asked about SSO\n\nAna Lima: We need SAML before renewal\n\nHelpdesk: Ana wrote: SSO is blocking our renewal\n\nSam Rep: I will check with <product> & @pat\n\nAdding myself here',
    );
    expect((input(view, 'customer').element as ExternalSelect).initial_option).toEqual({
      text: { type: 'plain_text', text: 'Globex', emoji: true },
      value: `id:${globex.id}`,
    });
    expect((input(view, 'kind').element as StaticSelect).initial_option?.value).toBe('chat');

    // Logged from two separate modals (two view ids): one record, keyed by the message.
    const values = logValues({
      customer: (input(view, 'customer').element as ExternalSelect).initial_option,
      kind: 'chat',
      notes: (input(view, 'notes').element as { initial_value: string }).initial_value,
    });
    expect(await submit(view, 'VSHORT1', values)).toMatchObject({ status: 200, body: { response_action: 'update' } });
    const again = await messageShortcut(parent, 'CSHARED');
    expect(await submit(again, 'VSHORT2', values)).toMatchObject({ status: 200, body: { response_action: 'update' } });
    await eventually(
      'both confirmations',
      async () => slack.callsTo('chat.postEphemeral').filter((c) => /Globex/.test(String(c.body.text))).length === 2,
    );
    // The second click named the same people from the process's cache of profiles: one users.info each.
    for (const user of ['UREP', 'UGLOBEX'])
      expect(slack.callsTo('users.info').filter((c) => c.body.user === user)).toHaveLength(1);
    const records = await db().prisma.communicationRecord.findMany({ where: { companyId: globex.id } });
    // The auto-logger's key for the message's thread: auto-log and Log to CRM meet on one record.
    expect(records.map((r) => r.sourceKey)).toEqual([`slack:${TEAM}/CSHARED/${parent.ts}`]);
    expect(records.map((r) => r.channelKind)).toEqual(['slack']); // "chat" from Slack is a Slack conversation
    expect(String(slack.callsTo('chat.postEphemeral').at(-1)!.body.text)).toMatch(/already logged/);

    // A linked channel wins over emails; a lone message is read without conversations.replies.
    const replies = slack.callsTo('conversations.replies').length;
    const updates = slack.callsTo('views.update').length;
    const linked = await messageShortcut(
      { ts: '1700000200.000100', text: 'Hooli wants a demo', user: 'UGLOBEX' },
      'CHOOLI',
    );
    expect((input(linked, 'customer').element as ExternalSelect).initial_option?.value).toBe(`id:${hooli.id}`);
    // Nobody to go on: the picker starts empty rather than wrong.
    const unknown = await messageShortcut({ ts: '1700000300.000100', text: 'hello', user: 'UNEW' }, 'CRANDOM');
    expect((input(unknown, 'customer').element as ExternalSelect).initial_option).toBeUndefined();
    await eventually("users.info of the lone message's author", async () =>
      slack.callsTo('users.info').some((c) => c.body.user === 'UNEW'),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.callsTo('conversations.replies')).toHaveLength(replies);
    expect(slack.callsTo('views.update')).toHaveLength(updates); // nothing better was found: the modal stays as opened
  });

  it('"New follow-up" opens a modal (customer, what, due, assignee = the clicker); remind\'s rules come back per field; a valid one is created for the chosen assignee, once', async () => {
    const umbrella = await db().prisma.company.create({ data: { name: 'Umbrella', normalizedName: 'umbrella' } });
    const view = await openNewFollowUp();
    expect(view).toMatchObject({ callback_id: 'rapport_new_follow_up' });
    expect(inputs(view).map((b) => b.element.type)).toEqual([
      'external_select',
      'plain_text_input',
      'datetimepicker',
      'users_select',
    ]);
    expect(input(view, 'assignee').element).toMatchObject({ initial_user: 'U1' });
    const initialDue = new Date((input(view, 'due').element as { initial_date_time: number }).initial_date_time * 1000);
    expect(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: TIMEZONE,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(initialDue),
    ).toBe('08:30'); // the team's opening time (RAPPORT_BUSINESS_HOURS), in the clicker's timezone

    const option = (await suggest('umbrella', view))[0];
    const values = (o: { title?: string; due: number; assignee?: string; customer?: PlainTextOption }) => ({
      customer: { rapport_customer: { type: 'external_select', selected_option: o.customer ?? null } },
      title: { title: { type: 'plain_text_input', value: o.title ?? null } },
      due: { due: { type: 'datetimepicker', selected_date_time: o.due } },
      assignee: { assignee: { type: 'users_select', selected_user: o.assignee ?? 'U1' } },
    });
    const past = Math.floor(Date.now() / 1000) - 3600;
    const bad = await submit(view, 'VFU1', values({ due: past, title: ' ' }));
    expect(bad.body.response_action).toBe('errors');
    expect(Object.keys(bad.body.errors!).sort()).toEqual(['customer', 'due', 'title']);
    expect(bad.body.errors!.due).toMatch(/past/);
    expect(await db().prisma.followUp.count({ where: { companyId: umbrella.id } })).toBe(0);

    const due = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const good = values({ customer: option, title: 'Send the renewal quote', due, assignee: 'U2' });
    const published = slack.callsTo('views.publish').length;
    const created = await submit(view, 'VFU1', good);
    expect(created).toMatchObject({
      status: 200,
      body: { response_action: 'update', view: { title: { text: 'New follow-up' } } },
    });
    expect(JSON.stringify(created.body.view!.blocks)).toMatch(/I'll remind user-u2 about Umbrella/);
    // The clicker's Home tab is published again, the result on top.
    const home = await publishedHome('U1', published);
    expect(homeText(home)).toMatch(/I'll remind user-u2 about Umbrella/);
    // Slack retries the submission: the same follow-up, nothing new.
    const retried = await submit(view, 'VFU1', good);
    expect(JSON.stringify(retried.body.view!.blocks)).toMatch(/already set.*nothing new was written/);
    const followUps = await db().prisma.followUp.findMany({
      where: { companyId: umbrella.id },
      include: { assignee: true },
    });
    expect(followUps).toHaveLength(1);
    expect(followUps[0]).toMatchObject({
      title: 'Send the renewal quote',
      status: 'open',
      source: 'manual',
      dueAt: new Date(due * 1000),
      requestKey: `slack:view:${TEAM}/VFU1`,
    });
    expect(followUps[0].assignee?.platformUserIds).toEqual([`slack:${TEAM}/U2`]);
  });

  it('"New follow-up" refuses a guest, a Slack Connect member or someone Slack cannot check as assignee with typed assign\'s sentence; nothing is written and nobody becomes a Rep', async () => {
    const wonka = await db().prisma.company.create({ data: { name: 'Wonka', normalizedName: 'wonka' } });
    slack.users.set('UGUEST7', { is_restricted: true });
    slack.users.set('UCONNECT7', { team_id: 'TCUSTOMER7' });
    slack.failingUsers.add('UDOWN7');
    const view = await openNewFollowUp();
    const option = (await suggest('wonka', view))[0];
    const due = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const values = (assignee: string) => ({
      customer: { rapport_customer: { type: 'external_select', selected_option: option } },
      title: { title: { type: 'plain_text_input', value: 'Send Wonka the contract' } },
      due: { due: { type: 'datetimepicker', selected_date_time: due } },
      assignee: { assignee: { type: 'users_select', selected_user: assignee } },
    });
    const cases = [
      ['UGUEST7', 'VFUOUT1', /guest or from another organisation, so they cannot be given follow-ups/],
      ['UCONNECT7', 'VFUOUT2', /guest or from another organisation, so they cannot be given follow-ups/],
      ['UDOWN7', 'VFUOUT3', /could not check who that is right now/],
    ] as const;
    for (const [assignee, viewId, sentence] of cases) {
      const refused = await submit(view, viewId, values(assignee));
      expect(refused.body.response_action, assignee).toBe('errors');
      expect(Object.keys(refused.body.errors!)).toEqual(['assignee']);
      expect(refused.body.errors!.assignee).toMatch(sentence);
    }
    // Typed `assign` says the same about the guest.
    expect((await submit(view, 'VFUOUT1', values('UGUEST7'))).body.errors!.assignee).toBe(
      'That person is a guest or from another organisation, so they cannot be given follow-ups. Assign it to someone on your team.',
    );
    expect(await db().prisma.followUp.count({ where: { companyId: wonka.id } })).toBe(0);
    for (const user of ['UGUEST7', 'UCONNECT7', 'UDOWN7'])
      expect(await db().prisma.rep.count({ where: { platformUserIds: { has: `slack:${TEAM}/${user}` } } }), user).toBe(
        0,
      );
    slack.failingUsers.delete('UDOWN7');
  });

  it('App Home lists overdue, due today, open and suggestions with working buttons, capped under 100 blocks with "and N more"; a click there runs the command and re-publishes', async () => {
    const soylent = await db().prisma.company.create({ data: { name: 'Soylent', normalizedName: 'soylent' } });
    // U5 gets a rep (and Berlin time) by running a command first.
    await slashCommand('followups', 'CSALES', 'U5');
    const rep = await eventually('rep U5', async () =>
      db().prisma.rep.findFirst({ where: { platformUserIds: { has: `slack:${TEAM}/U5` } } }),
    );
    const hour = 3_600_000;
    const make = (title: string, dueAt: Date, status: 'open' | 'suggested' = 'open', remindTarget?: string) =>
      db().prisma.followUp.create({
        data: {
          companyId: soylent.id,
          title,
          dueAt,
          status,
          source: status === 'suggested' ? 'suggested' : 'manual',
          assigneeRepId: status === 'suggested' && remindTarget ? null : rep.id,
          remindTarget,
        },
      });
    for (let i = 0; i < 12; i++) await make(`Overdue ${i}`, new Date(Date.now() - (i + 1) * hour));
    await make('Later this week', new Date(Date.now() + 3 * 24 * hour));
    const soon = new Date(Date.now() + 5 * 60_000);
    const soonIsToday = dayIn(soon, TIMEZONE) === dayIn(new Date(), TIMEZONE); // not in the last minutes before midnight in Berlin
    await make('Due in five minutes', soon);
    const suggestion = await make(
      'Suggested for the channel',
      new Date(Date.now() + 24 * hour),
      'suggested',
      `slack:${TEAM}/CSOYLENT`,
    );
    await make('Suggested elsewhere', new Date(Date.now() + 24 * hour), 'suggested', 'teams:other');
    await make(
      'Suggested in a channel U5 is not in',
      new Date(Date.now() + 24 * hour),
      'suggested',
      `slack:${TEAM}/COTHER`,
    );

    slack.memberships.set('U5', ['CSOYLENT']);
    const before = slack.callsTo('views.publish').length;
    const event = {
      type: 'app_home_opened',
      user: 'U5',
      channel: 'DHOME',
      tab: 'home',
      event_ts: `${Date.now() / 1000}`,
    };
    const body = JSON.stringify({
      token: 'legacy',
      team_id: TEAM,
      api_app_id: 'A1',
      event,
      type: 'event_callback',
      event_id: `Ev${++seq}`,
      event_time: Math.floor(Date.now() / 1000),
    });
    expect((await postSigned(body, 'application/json')).status).toBe(200);
    const home = await publishedHome('U5', before);
    expect(home.type).toBe('home');
    expect(home.blocks.length).toBeLessThanOrEqual(100);
    const text = homeText(home);
    expect(text).toContain('Overdue (12)');
    expect(text).toContain('and 4 more');
    expect(text).toContain('Later this week');
    if (soonIsToday)
      expect(text).toMatch(/Due today \(1\)".*Due in five minutes.*Your open follow-ups \(1\)".*Later this week/);
    expect(text).toContain('Suggested for the channel');
    expect(text).not.toContain('Suggested elsewhere');
    expect(text).not.toContain('Suggested in a channel U5 is not in');
    expect(slack.callsTo('users.conversations').at(-1)!.body).toMatchObject({ user: 'U5' });
    const controls = home.blocks.filter((b): b is ActionsBlock => b.type === 'actions').flatMap((b) => b.elements);
    const ids = controls.map((e) => (e as Button).action_id);
    expect(new Set(ids).size).toBe(ids.length); // unique across the view
    expect(ids.every((id) => id?.startsWith('rapport_home:'))).toBe(true);
    const labels = controls.map((e) => (e as Button).text?.text ?? (e as StaticSelect).placeholder?.text);
    expect(labels).toEqual(expect.arrayContaining(['Done', 'Snooze', 'Accept', 'Dismiss']));

    // The Messages tab is left alone.
    const messagesTab = JSON.stringify({
      token: 'legacy',
      team_id: TEAM,
      api_app_id: 'A1',
      event: { ...event, tab: 'messages' },
      type: 'event_callback',
      event_id: `Ev${++seq}`,
      event_time: 1,
    });
    const published = slack.callsTo('views.publish').length;
    expect((await postSigned(messagesTab, 'application/json')).status).toBe(200);

    // Accept the suggestion from the Home tab: it opens, and the tab is published again with the result.
    const accept = controls.find((e) => (e as Button).value === `accept ${suggestion.number}`) as Button;
    const click = await interaction({
      type: 'block_actions',
      team: { id: TEAM, domain: 'acme' },
      user: { id: 'U5', username: 'u5', team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: trigger(),
      container: { type: 'view', view_id: 'VHOME' },
      view: { id: 'VHOME', type: 'home', blocks: home.blocks },
      actions: [
        {
          type: 'button',
          action_id: accept.action_id,
          block_id: 'b',
          text: accept.text,
          value: accept.value,
          action_ts: '1',
        },
      ],
    });
    expect(click.status).toBe(200);
    await eventually(
      'the suggestion to be accepted',
      async () => (await db().prisma.followUp.findUniqueOrThrow({ where: { id: suggestion.id } })).status === 'open',
    );
    const after = await eventually('the re-published Home tab', async () => {
      const views = slack
        .callsTo('views.publish')
        .slice(published)
        .filter((c) => c.body.user_id === 'U5');
      return views.length > 0 ? (views.at(-1)!.body.view as HomeView) : undefined;
    });
    expect(homeText(after)).toMatch(new RegExp(`#${suggestion.number} Suggested for the channel: accepted`));
    expect(
      slack
        .callsTo('views.publish')
        .slice(published)
        .filter((c) => c.body.user_id === 'U5'),
    ).toHaveLength(1); // the Messages tab published nothing

    // "Snooze until…" needs text: a small modal, then the command runs with it and the tab is published again.
    const snoozeUntil = controls.find(
      (e) => e.type === 'button' && e.action_id!.endsWith(':input') && e.value!.startsWith('snooze'),
    ) as Button;
    const overdue = await db().prisma.followUp.findFirstOrThrow({
      where: { number: Number(snoozeUntil.value!.split(' ')[1]) },
    });
    const inputTrigger = trigger();
    await interaction({
      type: 'block_actions',
      team: { id: TEAM, domain: 'acme' },
      user: { id: 'U5', username: 'u5', team_id: TEAM },
      api_app_id: 'A1',
      token: 'legacy',
      trigger_id: inputTrigger,
      container: { type: 'view', view_id: 'VHOME' },
      view: { id: 'VHOME', type: 'home', blocks: home.blocks },
      actions: [
        {
          type: 'button',
          action_id: snoozeUntil.action_id,
          block_id: 'b',
          text: snoozeUntil.text,
          value: snoozeUntil.value,
          action_ts: '2',
        },
      ],
    });
    const inputView = await openedView(inputTrigger);
    expect(inputView).toMatchObject({ callback_id: 'rapport_home_input' });
    expect(JSON.stringify(inputView.blocks)).toContain('e.g. friday 14:00');
    const republished = slack.callsTo('views.publish').length;
    expect(
      (await submit(inputView, 'VINPUT', { input: { value: { type: 'plain_text_input', value: 'in 3 days' } } }, 'U5'))
        .status,
    ).toBe(200);
    await eventually(
      'the follow-up to be snoozed',
      async () => (await db().prisma.followUp.findUniqueOrThrow({ where: { id: overdue.id } })).status === 'snoozed',
    );
    const afterSnooze = await publishedHome('U5', republished);
    expect(homeText(afterSnooze)).toMatch(new RegExp(`#${overdue.number} ${overdue.title}: snoozed until`));
    expect(homeText(afterSnooze)).toContain('Overdue (11)');
  });
});
