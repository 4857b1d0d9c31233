import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { LOG_TO_CRM_COMMAND_ID } from '../../../connectors/teams/log-to-crm.action.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { adaptiveCardProblems, TeamsRecorder } from '../../helpers/teams-recorder.ts';
import { TEST_DATABASE_KINDS } from '../../helpers/test-database.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const LINKED = { id: '19:acme-deals@thread.tacv2', conversationType: 'channel', isGroup: true };
const GROUP_CHAT = { id: '19:group-globex@thread.v2', conversationType: 'groupChat', isGroup: true };
const QUIET_CHAT = { id: '19:group-quiet@thread.v2', conversationType: 'groupChat', isGroup: true };
const jo = { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo' };

describe.each(TEST_DATABASE_KINDS)('Teams "Log to CRM" message action (%s)', (kind) => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess(kind, recorder);
    await db().company.create({
      data: { name: 'Acme', normalizedName: normalizeCompanyName('Acme'), domains: ['acme.com'] },
    });
    await db().company.create({
      data: { name: 'Globex', normalizedName: normalizeCompanyName('Globex'), domains: ['globex.com'] },
    });
    // Jo is one of ours (our tenant): Teams' member record says so, so Jo may run commands and open the form.
    recorder.setMembers(LINKED.id, [
      { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo', email: 'jo@ours.example', tenantId: 'tenant-1' },
    ]);
    const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };
    const linked = await rapport.send(
      rapport.activity(LINKED, { type: 'message', from: jo, text: '<at>Rapport</at> link acme', entities: [mention] }),
    );
    expect(linked.status).toBe(200);
    // Our rep and a Globex person in the group chat; only Globex's domain is a customer's.
    recorder.setMembers(GROUP_CHAT.id, [
      { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo', email: 'jo@ours.example', tenantId: 'tenant-1' },
      { id: '29:hank', name: 'Hank', aadObjectId: 'aad-hank', email: 'hank@globex.com' },
    ]);
  }, 120_000); // two processes start a PGlite each under a shared machine's load
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  const messagePayload = (id: string, html: string) => ({
    id,
    createdDateTime: new Date().toISOString(),
    from: { user: { id: 'aad-hank', displayName: 'Hank', userIdentityType: 'aadUser' } },
    body: { contentType: 'html', content: html },
  });
  const fetchTask = (
    conversation: typeof LINKED,
    payload: ReturnType<typeof messagePayload>,
    commandId = LOG_TO_CRM_COMMAND_ID,
  ) =>
    rapport.send(
      rapport.activity(conversation, {
        type: 'invoke',
        name: 'composeExtension/fetchTask',
        from: jo,
        value: { commandId, commandContext: 'message', messagePayload: payload, context: { theme: 'default' } },
      }),
    );
  const submit = (conversation: typeof LINKED, data: Record<string, unknown>) =>
    rapport.send(
      rapport.activity(conversation, {
        type: 'invoke',
        name: 'composeExtension/submitAction',
        from: jo,
        value: { commandId: LOG_TO_CRM_COMMAND_ID, commandContext: 'message', data },
      }),
    );
  type Form = {
    card: Record<string, unknown>;
    inputs: Record<string, Record<string, unknown>>;
    submitData: Record<string, unknown>;
    text: string;
  };
  const formOf = (body: Record<string, unknown> | undefined): Form => {
    const task = body?.task as {
      type: string;
      value: { card: { contentType: string; content: Record<string, unknown> } };
    };
    expect(task.type).toBe('continue');
    expect(task.value.card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = task.value.card.content;
    const inputs = Object.fromEntries(
      (card.body as Array<Record<string, unknown>>)
        .filter((e) => typeof e.id === 'string')
        .map((e) => [e.id as string, e]),
    );
    const submitData = (card.actions as Array<{ data: Record<string, unknown> }>)[0].data;
    return { card, inputs, submitData, text: JSON.stringify(card) };
  };
  /** What Teams sends on submit: the button's data merged with every input's value. */
  const filled = (form: Form, changes: Record<string, string>) => ({
    ...form.submitData,
    ...Object.fromEntries(Object.entries(form.inputs).map(([id, e]) => [id, String(e.value ?? '')])),
    ...changes,
  });

  it('opens a valid form prefilled with the message as plain text and the customer the conversation is linked to', async () => {
    const res = await fetchTask(
      LINKED,
      messagePayload(
        '1700000000001',
        '<p>Hi <at>Jo</at>, we need <b>50 more seats</b> &amp; a quote by Friday.</p><p>Thanks!</p>',
      ),
    );
    expect(res.status).toBe(200);
    const form = formOf(res.body);
    expect(adaptiveCardProblems(form.card)).toEqual([]);
    expect(form.inputs.customer.value).toBe('Acme');
    expect(form.text).toContain('This conversation is linked to this customer.');
    expect(form.inputs.notes.value).toBe('Hi Jo, we need 50 more seats & a quote by Friday.\nThanks!');
    expect(form.inputs.kind.value).toBe('chat');
    expect(form.submitData).toMatchObject({
      rapportForm: 'log-to-crm',
      sourceKey: `teams:message:${LINKED.id}/1700000000001`,
    });
  });

  it("guesses the customer from the participants' email domains in an unlinked chat, and opens empty when it cannot tell", async () => {
    const guessed = formOf(
      (await fetchTask(GROUP_CHAT, messagePayload('1700000000002', 'Can we move the demo to Tuesday?'))).body,
    );
    expect(guessed.inputs.customer.value).toBe('Globex');
    expect(guessed.text).toContain('email');
    // Teams does not list the members (404 from the recorder): no guess, but the form opens.
    const blank = formOf((await fetchTask(QUIET_CHAT, messagePayload('1700000000003', 'Hello'))).body);
    expect(blank.inputs.customer.value).toBe('');
    expect(adaptiveCardProblems(blank.card)).toEqual([]);
  });

  it('shows clear errors in the form and writes nothing for empty notes, an unknown customer or a future date', async () => {
    const form = formOf((await fetchTask(LINKED, messagePayload('1700000000004', 'Renewal call went well'))).body);
    const records = await db().communicationRecord.count();

    const noNotes = formOf((await submit(LINKED, filled(form, { notes: '  ' }))).body);
    expect(noNotes.text).toContain('Write what happened');
    expect(adaptiveCardProblems(noNotes.card)).toEqual([]);

    // A name no test creates (another test makes Initech, and may run first).
    const unknown = formOf((await submit(LINKED, filled(form, { customer: 'Nowhere Ltd' }))).body);
    expect(unknown.text).toMatch(/No customer matches \\"Nowhere Ltd\\"/);
    expect(unknown.inputs.customer.value).toBe('Nowhere Ltd'); // what the rep typed stays
    const typo = formOf((await submit(LINKED, filled(form, { customer: 'Acm' }))).body);
    expect(typo.text).toMatch(/Did you mean \\"Acme\\"/);

    const future = formOf((await submit(LINKED, filled(form, { date: '2999-01-01' }))).body);
    expect(future.text).toContain('has not happened yet');

    expect(await db().communicationRecord.count()).toBe(records);
    expect(await db().company.count({ where: { name: 'Nowhere Ltd' } })).toBe(0);
  });

  it('logs through the log service once per message, even when submitted again, and creates a customer only when asked', async () => {
    const form = formOf(
      (await fetchTask(LINKED, messagePayload('1700000000005', 'We need 50 more seats by Friday'))).body,
    );
    const first = await submit(LINKED, filled(form, {}));
    expect(first.body).toMatchObject({
      task: { type: 'message', value: expect.stringMatching(/Logged a Teams chat for Acme/) },
    });
    const record = await db().communicationRecord.findUniqueOrThrow({
      where: { sourceKey: `teams:message:${LINKED.id}/1700000000005` },
      include: { company: true, messages: true },
    });
    expect(record.company?.name).toBe('Acme');
    expect(record.channelKind).toBe('teams');
    expect(record.messages.map((m) => m.text)).toEqual(['We need 50 more seats by Friday']);

    const again = await submit(LINKED, filled(form, {}));
    expect(again.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(/already logged/) } });
    expect(await db().communicationRecord.count({ where: { sourceKey: record.sourceKey } })).toBe(1);

    const other = formOf((await fetchTask(LINKED, messagePayload('1700000000006', 'Initech wants a trial'))).body);
    const created = await submit(LINKED, filled(other, { customer: 'Initech', createNew: 'true' }));
    expect(created.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(/Initech/) } });
    expect(await db().company.count({ where: { name: 'Initech' } })).toBe(1);
  });

  // Issue 20: the record is the author's message (who-is-who as auto-log), with its link and attachments,
  // not an internal note by the rep who clicked. messagePayload as Teams sends it on a message action
  // (learn.microsoft.com, "Define message extension action commands": from.user, linkToMessage, attachments).
  it("keeps the original author, the attachments and linkToMessage instead of the clicker's note", async () => {
    recorder.setMembers(LINKED.id, [
      { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo', email: 'jo@ours.example', tenantId: 'tenant-1' },
      { id: '29:wile', name: 'Wile Coyote', aadObjectId: 'aad-wile', email: 'Wile@acme.com', tenantId: 'tenant-acme' },
    ]);
    const id = '1700000000020';
    const link = `https://teams.microsoft.com/l/message/${encodeURIComponent(LINKED.id)}/${id}?tenantId=tenant-acme&createdTime=${id}`;
    const payload = {
      ...messagePayload(id, '<p>Quote attached: we need 50 seats by Friday</p><attachment id="att-1"></attachment>'),
      from: { user: { id: 'aad-wile', displayName: 'Wile Coyote', userIdentityType: 'aadUser' } },
      linkToMessage: link,
      messageType: 'message',
      importance: 'normal',
      attachments: [
        {
          id: 'att-1',
          contentType: 'reference',
          contentUrl: 'https://acme.sharepoint.com/sites/sales/Shared%20Documents/quote.pdf',
          name: 'quote.pdf',
        },
      ],
    };
    const form = formOf((await fetchTask(LINKED, payload)).body);
    // Teams' submitAction for the form carries the form's data (the docs' example has no messagePayload).
    const logged = await submit(LINKED, filled(form, {}));
    expect(logged.body).toMatchObject({
      task: { type: 'message', value: expect.stringMatching(/Logged a Teams chat for Acme/) },
    });
    const message = await db().message.findUniqueOrThrow({
      where: { externalId: `teams:${LINKED.id}/${id}` },
      include: { contact: true },
    });
    expect(message.direction).toBe('inbound');
    expect(message.authorName).toBe('Wile Coyote');
    expect(message.authorEmail).toBe('wile@acme.com');
    expect(message.contact?.name).toBe('Wile Coyote');
    expect(message.contact?.platformUserIds).toContain('teams:aad-wile');
    expect(message.metadata).toMatchObject({
      teams: { conversationId: LINKED.id, messageId: id, linkToMessage: link },
      attachments: [
        {
          name: 'quote.pdf',
          contentType: 'reference',
          contentUrl: 'https://acme.sharepoint.com/sites/sales/Shared%20Documents/quote.pdf',
        },
      ],
    });

    // Our own rep's message, logged by the same clicker: outbound, theirs.
    const own = '1700000000021';
    const ownForm = formOf(
      (
        await fetchTask(LINKED, {
          ...messagePayload(own, 'I will send the revised quote tomorrow'),
          from: { user: { id: 'aad-jo', displayName: 'Jo Rep', userIdentityType: 'aadUser' } },
        })
      ).body,
    );
    await submit(LINKED, filled(ownForm, {}));
    const ours = await db().message.findUniqueOrThrow({ where: { externalId: `teams:${LINKED.id}/${own}` } });
    expect(ours.direction).toBe('outbound');
    expect(ours.contactId).toBeNull();
  });

  // Issue 14, who is who: Teams cannot name the author at the moment of the click (getMember fails).
  // The message is kept unknown (nobody's contact, not classified) and asked about again through the
  // held-author queue, which decides it once Teams answers, without anyone logging it again.
  it('keeps a message whose author Teams cannot name unknown, then decides it once Teams answers again', async () => {
    recorder.setMembers(LINKED.id, [
      { id: '29:jo', name: 'Jo Rep', aadObjectId: 'aad-jo', email: 'jo@ours.example', tenantId: 'tenant-1' },
      { id: '29:kim', name: 'Kim Buyer', aadObjectId: 'aad-kim', email: 'kim@acme.com', tenantId: 'tenant-acme' },
    ]);
    recorder.failingMembers.add('aad-kim');
    const id = '1700000000030';
    const payload = {
      ...messagePayload(id, 'We are unhappy with the outages and are looking at other vendors'),
      from: { user: { id: 'aad-kim', displayName: 'Kim Buyer', userIdentityType: 'aadUser' } },
    };
    const form = formOf((await fetchTask(LINKED, payload)).body);
    const logged = await submit(LINKED, filled(form, {}));
    expect(logged.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(/Logged/) } });
    const where = { externalId: `teams:${LINKED.id}/${id}` };
    const held = await db().message.findUniqueOrThrow({ where });
    expect(held).toMatchObject({ direction: 'unknown', contactId: null, authorName: 'Kim Buyer' });
    expect(await db().classification.count({ where: { messageId: held.id } })).toBe(0);

    recorder.failingMembers.delete('aad-kim');
    const decided = await eventually(
      'the held author decided by the queue once Teams answers',
      async () => {
        const m = await db().message.findUniqueOrThrow({ where, include: { contact: true } });
        return m.direction !== 'unknown' ? m : undefined;
      },
      90_000,
    );
    expect(decided.direction).toBe('inbound');
    expect(decided.contact?.platformUserIds).toContain('teams:aad-kim');
    const acme = await db().company.findFirstOrThrow({ where: { name: 'Acme' } });
    expect(decided.contact?.companyId).toBe(acme.id);
    await eventually(
      "the customer's words classified once decided",
      () => db().classification.findFirst({ where: { messageId: decided.id } }),
      60_000,
    );
  }, 180_000);

  it('answers an action it does not know, or a form that is not its own, with a sentence', async () => {
    const unknown = await fetchTask(LINKED, messagePayload(randomUUID(), 'x'), 'somethingElse');
    expect(unknown.body).toMatchObject({ task: { type: 'message', value: expect.stringContaining('somethingElse') } });
    const foreign = await submit(LINKED, { customer: 'Acme', notes: 'x' });
    expect(foreign.body).toMatchObject({
      task: { type: 'message', value: expect.stringContaining('does not belong to Rapport') },
    });
  });
});
