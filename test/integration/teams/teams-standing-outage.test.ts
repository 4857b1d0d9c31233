import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCompanyName } from '../../../src/domain/normalize-company-name.ts';
import { LOG_TO_CRM_COMMAND_ID } from '../../../connectors/teams/log-to-crm.action.ts';
import { TeamsRecorder, type RecordedMember } from '../../helpers/teams-recorder.ts';
import { startTeamsProcess, TEST_BOT, type TeamsProcess } from '../../helpers/teams-process.ts';

// Teams' member API failing (GET /v3/conversations/{id}/members/{userId} answering 503) while people
// use Rapport, through the real CloudAdapter (Emulator mode) against the Bot Connector recorder.
// Shapes as in microsoft/botbuilder-js libraries/botbuilder/tests/teams (channelData { tenant },
// TeamsChannelAccount { tenantId, userRole }, Action.Execute and composeExtension/fetchTask invokes).
// A stored Rep does not vouch for anyone: only what Teams said within the hour (the member cache).
const tenant = { id: 'tenant-ours' };
const ann = { id: '29:ann', name: 'Ann Rep', aadObjectId: 'aad-ann' };
/** A Rep from before (a row in the database) who is a guest in our tenant now; this process never asked Teams about him. */
const ben = { id: '29:ben', name: 'Ben Former', aadObjectId: 'aad-ben' };
/** Another former Rep, a guest now, whom the second test has Teams answer for (so the first test's Ben stays unasked). */
const cal = { id: '29:cal', name: 'Cal Former', aadObjectId: 'aad-cal' };
const MEMBERS: Record<string, RecordedMember> = {
  ann: { ...ann, email: 'ann@ours.example', tenantId: tenant.id, userRole: 'user' },
  ben: { ...ben, email: 'ben@hooli.example', tenantId: tenant.id, userRole: 'guest' },
  cal: { ...cal, email: 'cal@hooli.example', tenantId: tenant.id, userRole: 'guest' },
};
const UNVERIFIED = /Rapport could not check who you are right now \(the platform did not answer\).*Try again/;
const OUTSIDER = /people from outside that team \(guests and other organisations\) cannot use it/;
const SECRET = /Outageco|renewal at 42k/;
const mention = { type: 'mention', text: '<at>Rapport</at>', mentioned: TEST_BOT };

describe('Teams: getMember failing, a stored Rep vouches for nobody; a member Teams answered for within the hour is known', () => {
  const recorder = new TeamsRecorder();
  let rapport: TeamsProcess;
  const db = () => rapport.proc.runtime.db.prisma;
  const personalOf = (who: typeof ann) => ({
    id: `a:personal-${who.id}`,
    conversationType: 'personal',
    tenantId: tenant.id,
  });
  const personal = (from: typeof ann, text: string) =>
    rapport.send(rapport.activity(personalOf(from), { type: 'message', from, text }));
  const sentSince = (mark: number) => JSON.stringify(recorder.calls.slice(mark).map((x) => x.activity));

  beforeAll(async () => {
    await recorder.start();
    rapport = await startTeamsProcess('pglite', recorder, {
      RAPPORT_INTERNAL_DOMAINS: 'ours.example',
      MICROSOFT_APP_TENANT_ID: tenant.id,
    });
    await db().company.create({
      data: { name: 'Outageco', normalizedName: normalizeCompanyName('Outageco'), domains: ['outageco.example'] },
    });
    recorder.setMembers('19:roster@thread.tacv2', [MEMBERS.ann, MEMBERS.ben, MEMBERS.cal]);
    // Ben was made a Rep before (when he was one of ours, or by a form that did not check him).
    await db().rep.create({ data: { name: 'Ben Former', platformUserIds: ['teams:aad-ben'] } });
    await db().rep.create({ data: { name: 'Cal Former', platformUserIds: ['teams:aad-cal'] } });
  }, 120_000);
  afterAll(async () => {
    await rapport?.dispose();
    await recorder.stop();
  });

  it('a stored Rep Teams cannot check now is refused (could not check, try again): no command, click or form runs, nothing is written', async () => {
    recorder.failingMembers.add(ben.id);
    const records = await db().communicationRecord.count();
    for (const text of ['lookup outageco', 'log outageco "Discussed the renewal at 42k"', 'followups all']) {
      const mark = recorder.calls.length;
      expect((await personal(ben, text)).status).toBe(200);
      const answer = sentSince(mark);
      expect(answer).toMatch(UNVERIFIED);
      expect(answer).not.toMatch(SECRET);
    }
    // Typed with an @mention in a group chat of ours too.
    const chat = { id: '19:outage-chat@thread.v2', conversationType: 'groupChat', isGroup: true, tenantId: tenant.id };
    const mark = recorder.calls.length;
    await rapport.send(
      rapport.activity(chat, {
        type: 'message',
        from: ben,
        text: '<at>Rapport</at> lookup outageco',
        entities: [mention],
      }),
    );
    expect(sentSince(mark)).toMatch(UNVERIFIED);
    expect(sentSince(mark)).not.toMatch(SECRET);
    // A card button (Action.Execute) and the "Log to CRM" form: refused in the invoke's own shape.
    const clicked = await rapport.send(
      rapport.activity(personalOf(ben), {
        type: 'invoke',
        name: 'adaptiveCard/action',
        from: ben,
        value: { action: { type: 'Action.Execute', verb: 'rapport', data: { rapport: 'lookup outageco' } } },
      }),
    );
    expect(clicked.body).toMatchObject({ statusCode: 400, type: 'application/vnd.microsoft.error' });
    expect(JSON.stringify(clicked.body)).toMatch(UNVERIFIED);
    const form = await rapport.send(
      rapport.activity(chat, {
        type: 'invoke',
        name: 'composeExtension/fetchTask',
        from: ben,
        value: {
          commandId: LOG_TO_CRM_COMMAND_ID,
          commandContext: 'message',
          messagePayload: { id: '1700000000001', body: { contentType: 'text', content: 'x' } },
        },
      }),
    );
    expect(form.body).toMatchObject({ task: { type: 'message', value: expect.stringMatching(UNVERIFIED) } });
    expect(await db().communicationRecord.count()).toBe(records);
  }, 120_000);

  it('a member Teams answered for within the hour still runs commands while getMember fails', async () => {
    // Teams answers for Ann once: remembered by this process.
    expect((await personal(ann, 'log outageco "Discussed the renewal at 42k"')).status).toBe(200);
    const co = await db().company.findFirstOrThrow({ where: { name: 'Outageco' } });
    expect(await db().communicationRecord.count({ where: { companyId: co.id } })).toBe(1);
    recorder.failingMembers.add(ann.id);
    const mark = recorder.calls.length;
    await personal(ann, 'lookup outageco');
    const answer = sentSince(mark);
    expect(answer).toMatch(/renewal at 42k/);
    expect(answer).not.toMatch(UNVERIFIED);

    // What Teams said is what is remembered: Cal, answered for once as a guest, stays a guest while it fails.
    let at = recorder.calls.length;
    await personal(cal, 'lookup outageco');
    expect(sentSince(at)).toMatch(OUTSIDER);
    recorder.failingMembers.add(cal.id);
    at = recorder.calls.length;
    await personal(cal, 'lookup outageco');
    expect(sentSince(at)).toMatch(OUTSIDER);
    expect(sentSince(at)).not.toMatch(SECRET);
  }, 120_000);
});
