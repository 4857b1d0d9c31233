import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { SlackUserDirectory } from '../../../connectors/slack/slack-user-directory.ts';
import { createLogger } from '../../../src/logger.ts';

/** A users.info that reads `isGuest()` when called and answers when `release()` is called. */
function slowSlack(isGuest: () => boolean) {
  const waiting: Array<() => void> = [];
  let calls = 0;
  const client = {
    users: {
      info: async ({ user }: { user: string }) => {
        calls++;
        const guest = isGuest();
        await new Promise<void>((r) => waiting.push(r));
        return { user: { id: user, team_id: 'T1', is_restricted: guest, profile: { display_name: 'dee' } } };
      },
    },
  } as unknown as WebClient;
  return {
    clientFor: async () => client,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
    calls: () => calls,
  };
}

describe('SlackUserDirectory.forget', () => {
  it('reads the person again at the next use', async () => {
    let guest = false;
    const slack = slowSlack(() => guest);
    const users = new SlackUserDirectory(slack.clientFor, createLogger('silent'));
    const first = users.get('T1', 'UDEE');
    await tick();
    slack.release();
    expect((await first)?.isGuest).toBe(false);
    expect((await users.get('T1', 'UDEE'))?.isGuest).toBe(false);
    expect(slack.calls()).toBe(1); // cached for the hour

    guest = true;
    users.forget('UDEE');
    const next = users.get('T1', 'UDEE');
    await tick();
    slack.release();
    expect((await next)?.isGuest).toBe(true);
    expect(slack.calls()).toBe(2);
  });

  it('never keeps what a lookup begun before forget() read: the next use asks again', async () => {
    let guest = false;
    const slack = slowSlack(() => guest);
    const users = new SlackUserDirectory(slack.clientFor, createLogger('silent'));
    // A lookup is under way (it read Dee as a member) when Slack says she is now a guest.
    const stale = users.get('T1', 'UDEE');
    await tick();
    guest = true;
    users.forget('UDEE');
    const fresh = users.get('T1', 'UDEE');
    await tick();
    slack.release();
    expect((await stale)?.isGuest).toBe(false); // answered to whoever asked before
    expect((await fresh)?.isGuest).toBe(true);
    // What is kept is the answer read after the change.
    expect((await users.get('T1', 'UDEE'))?.isGuest).toBe(true);
    expect(slack.calls()).toBe(2);
  });
});

const tick = () => new Promise((r) => setTimeout(r, 10));
