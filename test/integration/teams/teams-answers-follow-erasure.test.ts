import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { eventually } from '../../helpers/pipeline-harness.ts';
import { TeamsRecorder, type RecordedCall, type RecordedMember } from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
const sam = { id: '29:sam', name: 'Sam Rep', aadObjectId: 'aad-sam' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
  sam: { ...sam, email: 'sam@ours.example', tenantId: tenant.id, userRole: 'user' },
};
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };
const personalOf = (who: typeof ann) => ({
  id: `a:personal-${who.id}`,
  conversationType: 'personal',
  tenantId: tenant.id,
});

/**
 * Every Teams answer shown in an internal channel names the customer it is about. `forget` confirmed
 * (by an admin, in her 1:1 chat) takes those answers back like the customer's cards: each is updated in
 * place (PUT .../activities/{id}, in the question's reply chain) to the erased line; an answer about
 * another customer stays as it was. On the code before, the answers stayed readable in the channel.
 */
describe('Teams: answers naming an erased customer are taken back', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;

  const channel = (name: string) => rapport.addedToChannel(name, tenant, [MEMBERS.ann, MEMBERS.sam]);
  type Channel = Awaited<ReturnType<typeof channel>>;
  const personal = (text: string) =>
    rapport.send(rapport.activity(personalOf(ann), { type: 'message', from: ann, text }));
  /** A customer of this test's own. */
  const customer = (name: string) =>
    db().company.create({
      data: {
        name,
        normalizedName: normalizeCompanyName(name),
        domains: [`${name.split(' ')[0].toLowerCase()}.example`],
      },
    });
  /** `@Rapport <text>` in the channel, answered there (its roster is ours only) in the question's reply chain. */
  const answeredIn = async (c: Channel, text: string, who = sam) => {
    const mark = recorder.calls.length;
    const asked = await rapport.say(c, who, `<at>Rapport</at> ${text}`, { entities: [mention] });
    expect(asked.status).toBe(200);
    const answer = recorder.calls
      .slice(mark)
      .find((x) => x.method === 'POST' && x.conversationId === `${c.id};messageid=${asked.id}`);
    expect(answer, `the answer to ${text}`).toBeDefined();
    return answer!;
  };
  const recorded = (answers: RecordedCall[]) =>
    eventually(`${answers.length} answers recorded`, async () => {
      const ids = answers.map((a) => a.answeredId).filter((id): id is string => Boolean(id));
      return (
        (await db().delivery.count({ where: { key: { startsWith: 'answer-' }, externalId: { in: ids } } })) ===
        answers.length
      );
    });
  const forget = async (name: string) => {
    const mark = recorder.calls.length;
    await personal(`forget "${name}"`);
    const confirm = new RegExp(`forget \\\\?"?${name}\\\\?"? --confirm [0-9a-f]+`).exec(
      JSON.stringify(recorder.calls.slice(mark)),
    );
    expect(confirm).not.toBeNull();
    await personal(confirm![0].replaceAll('\\"', '"'));
    expect(await db().company.count({ where: { name } })).toBe(0);
  };
  const updateOf = (answer: RecordedCall) =>
    eventually(
      `the update of ${answer.answeredId}`,
      async () => recorder.calls.find((x) => x.method === 'PUT' && x.activityId === answer.answeredId),
      30_000,
    );

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
      RAPPORT_ADMINS: 'teams:aad-ann', // forget is for admins
    });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it('forget: the lookup and the remind answer shown in a channel are updated to the erased line; the answer about another customer stays', async () => {
    await customer('Globex Dmco');
    await customer('Soylent Dmco');
    const desk = await channel('answers-desk');
    const lookup = await answeredIn(desk, 'lookup "Globex Dmco"');
    expect(JSON.stringify(lookup.activity)).toContain('Globex Dmco');
    const reminded = await answeredIn(desk, 'remind "Globex Dmco" tomorrow 9am send Globex the price list');
    expect(JSON.stringify(reminded.activity)).toContain('price list');
    const other = await answeredIn(desk, 'lookup "Soylent Dmco"');
    expect(JSON.stringify(other.activity)).toContain('Soylent Dmco');
    await recorded([lookup, reminded, other]);

    await forget('Globex Dmco');

    for (const answer of [lookup, reminded]) {
      const update = await updateOf(answer);
      expect(update.conversationId).toBe(answer.conversationId);
      const shown = JSON.stringify(update.activity);
      expect(shown).toMatch(/Erased/);
      expect(shown).not.toMatch(/Globex|globex\.example|price list|Action\.Execute/);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    expect(recorder.calls.filter((x) => x.method === 'PUT' && x.activityId === other.answeredId)).toHaveLength(0);
  }, 150_000);

  it("forget confirmed in a channel: the confirmation's prompt is taken back, the rep's receipt of the erasure stays", async () => {
    await customer('Umbrella Dmco');
    const desk = await channel('erasure-desk');
    const prompt = await answeredIn(desk, 'forget "Umbrella Dmco"', ann);
    const confirm = /forget \\?"?Umbrella Dmco\\?"? --confirm [0-9a-f]+/.exec(JSON.stringify(prompt.activity));
    expect(confirm).not.toBeNull();
    const receipt = await answeredIn(desk, confirm![0].replaceAll('\\"', '"'), ann);
    expect(JSON.stringify(receipt.activity)).toMatch(/erased/i);
    expect(await db().company.count({ where: { name: 'Umbrella Dmco' } })).toBe(0);
    // The prompt named the customer and held its button: taken back by the erasure.
    expect(JSON.stringify((await updateOf(prompt)).activity)).not.toMatch(/Umbrella|Action\.Execute/);
    // The receipt is not: on the code before, it was taken back at once as an answer about a customer
    // "erased meanwhile", so the rep never kept what was erased.
    await new Promise((r) => setTimeout(r, 6_000));
    expect(recorder.calls.filter((x) => x.method === 'PUT' && x.activityId === receipt.answeredId)).toHaveLength(0);
  }, 150_000);
});
