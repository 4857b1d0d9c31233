import type { CloudAdapter } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { TeamsConnector } from '../../../connectors/teams/teams.connector.ts';

const people = { stored: async () => undefined, anyReference: async () => undefined, save: async () => {} };
const connector = (withPeople = true) =>
  new TeamsConnector({} as CloudAdapter, '', async () => undefined, {}, withPeople ? people : undefined);

describe('Teams targets', () => {
  it("a Rep's Teams key is the address of their 1:1 chat; other platforms' keys and odd ids are not", () => {
    const c = connector();
    expect(c.directTarget('teams:6f1c0b9e-aad-object-id')).toBe('teams:@6f1c0b9e-aad-object-id');
    expect(c.directTarget('teams:29:1abc')).toBe('teams:@29:1abc');
    expect(c.directTarget('slack:T1/U2')).toBeUndefined();
    expect(c.directTarget('teams:')).toBeUndefined();
    expect(c.directTarget('teams:@someone')).toBeUndefined();
    expect(c.directTarget('teams:19:chan@thread.tacv2;messageid=1')).toBeUndefined();
    // Without a way to find or open 1:1 chats, the connector offers none.
    expect(connector(false).directTarget('teams:6f1c0b9e')).toBeUndefined();
  });

  it("a reply chain exists under a team channel's message, not in chats or inside another chain", () => {
    const c = connector();
    expect(c.threadOf('teams:19:sales@thread.tacv2', '1700000000001')).toBe(
      'teams:19:sales@thread.tacv2;messageid=1700000000001',
    );
    expect(c.threadOf('teams:19:old@thread.skype', '17')).toBe('teams:19:old@thread.skype;messageid=17');
    expect(c.threadOf('teams:19:group@thread.v2', '17')).toBeUndefined();
    expect(c.threadOf('teams:a:personal-chat', '17')).toBeUndefined();
    expect(c.threadOf('teams:19:sales@thread.tacv2;messageid=1', '17')).toBeUndefined();
  });
});
