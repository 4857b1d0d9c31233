import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { singleWorkspaceClients } from '../../../connectors/slack/slack-clients.ts';
import { SlackUserDirectory } from '../../../connectors/slack/slack-user-directory.ts';
import { createLogger } from '../../../src/logger.ts';
import { SlackRecorder } from '../../helpers/slack-recorder.ts';

// The users.info cache through the real Slack SDK against the Web API recorder. Tests run in any order
// and share the recorder: each asks about a person of its own and counts only the calls about them.
describe('SlackUserDirectory.forget', () => {
  const slack = new SlackRecorder();
  let directory: () => SlackUserDirectory;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    const logger = createLogger('silent');
    const clients = singleWorkspaceClients('xoxb-test', { apiUrl, logger });
    directory = () => new SlackUserDirectory((teamId) => clients.reading(teamId), logger);
  });
  afterAll(async () => {
    await slack.stop();
  });

  const member = { profile: { display_name: 'dee' } };
  const guest = { is_restricted: true, profile: { display_name: 'dee' } };
  const lookupsOf = (userId: string) => slack.callsTo('users.info').filter((c) => c.body.user === userId).length;
  /** The next users.info about `userId` waits in the recorder until released. */
  const holdLookupOf = (userId: string) => slack.holdNext('users.info', (body) => body.user === userId);

  it('reads the person again at the next use', async () => {
    const users = directory();
    slack.users.set('UDEEREAD', member);
    expect((await users.get('T1', 'UDEEREAD'))?.isGuest).toBe(false);
    expect((await users.get('T1', 'UDEEREAD'))?.isGuest).toBe(false);
    expect(lookupsOf('UDEEREAD')).toBe(1); // cached for the hour

    slack.users.set('UDEEREAD', guest);
    expect((await users.get('T1', 'UDEEREAD'))?.isGuest).toBe(false); // still the cached profile
    users.forget('UDEEREAD');
    expect((await users.get('T1', 'UDEEREAD'))?.isGuest).toBe(true);
    expect(lookupsOf('UDEEREAD')).toBe(2);
  });

  it('never keeps what a lookup begun before forget() read: the next use asks again', async () => {
    const users = directory();
    slack.users.set('UDEESTALE', member);
    // A lookup is under way when Slack says Dee is now a guest, and a lookup after forget() begins.
    const staleCall = holdLookupOf('UDEESTALE');
    const stale = users.get('T1', 'UDEESTALE');
    await staleCall.arrived;
    users.forget('UDEESTALE');
    slack.users.set('UDEESTALE', guest);
    const freshCall = holdLookupOf('UDEESTALE');
    const fresh = users.get('T1', 'UDEESTALE');
    await freshCall.arrived;
    freshCall.release();
    expect((await fresh)?.isGuest).toBe(true);
    // The lookup begun before answers last, with what Slack said before the change (the recorder answers
    // a held call when it is released, so the profile of then is put back for it).
    slack.users.set('UDEESTALE', member);
    staleCall.release();
    expect((await stale)?.isGuest).toBe(false); // answered to whoever asked before
    slack.users.set('UDEESTALE', guest);
    // What is kept is the answer read after the change.
    expect((await users.get('T1', 'UDEESTALE'))?.isGuest).toBe(true);
    expect(lookupsOf('UDEESTALE')).toBe(2);
  });
});
