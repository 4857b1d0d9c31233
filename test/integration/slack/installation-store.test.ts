import type { Installation } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackInstallationStore } from '../../../connectors/slack/installation-store.ts';
import { slackInstallKey } from '../../../src/db/slack-installation.repository.ts';
import { createLogger } from '../../../src/logger.ts';
import { createTestDatabase, TEST_DATABASE_KINDS, type TestDatabase } from '../../helpers/test-database.ts';
import { SecretBox } from '../../../src/db/secret-box.ts';

const workspace = (teamId: string, token: string): Installation<'v2', false> => ({
  team: { id: teamId, name: `Team ${teamId}` },
  enterprise: undefined,
  user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
  bot: { id: 'B1', userId: 'UBOT', token, scopes: ['commands', 'chat:write'] },
  tokenType: 'bot',
  isEnterpriseInstall: false,
  appId: 'A1',
  authVersion: 'v2',
});

const org = (enterpriseId: string, token: string): Installation<'v2', true> => ({
  team: undefined,
  enterprise: { id: enterpriseId, name: `Org ${enterpriseId}` },
  user: { id: 'UINSTALLER', token: undefined, scopes: undefined },
  bot: { id: 'B2', userId: 'UBOT2', token, scopes: ['commands', 'chat:write'] },
  tokenType: 'bot',
  isEnterpriseInstall: true,
  appId: 'A1',
  authVersion: 'v2',
});

describe.each(TEST_DATABASE_KINDS)('SlackInstallationStore on %s', (kind) => {
  let t: TestDatabase;
  const logger = createLogger('silent');

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('keys workspace and org-wide installs apart and refuses an install without its id', () => {
    expect(slackInstallKey({ teamId: 'T1', isEnterpriseInstall: false })).toBe('team:T1');
    expect(slackInstallKey({ teamId: 'T1', enterpriseId: 'E1', isEnterpriseInstall: true })).toBe('enterprise:E1');
    expect(() => slackInstallKey({ isEnterpriseInstall: true })).toThrow(
      'An org-wide Slack installation must name its enterprise id.',
    );
    expect(() => slackInstallKey({ enterpriseId: 'E1', isEnterpriseInstall: false })).toThrow(
      'A Slack workspace installation must name its team id.',
    );
  });

  it('stores, replaces on reinstall, finds workspaces of an org through the org, and deletes', async () => {
    const store = new SlackInstallationStore(t.db, logger, { secrets: new SecretBox(), cacheMs: 60_000 });
    await store.storeInstallation(workspace('T1', 'xoxb-t1-a'));
    await store.storeInstallation(org('E1', 'xoxb-e1'));
    expect(
      (await store.fetchInstallation({ teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false })).bot?.token,
    ).toBe('xoxb-t1-a');

    // A reinstall replaces the token (and the cached lookup) in place: still one row per workspace.
    await store.storeInstallation(workspace('T1', 'xoxb-t1-b'));
    expect(
      (await store.fetchInstallation({ teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false })).bot?.token,
    ).toBe('xoxb-t1-b');
    expect(await t.db.prisma.slackInstallation.count()).toBe(2);

    // A workspace inside E1 without its own row: the org's installation, for requests and for posting.
    expect(
      (await store.fetchInstallation({ teamId: 'T5', enterpriseId: 'E1', isEnterpriseInstall: false })).enterprise?.id,
    ).toBe('E1');
    expect(
      (await store.fetchInstallation({ teamId: undefined, enterpriseId: 'E1', isEnterpriseInstall: true })).bot?.token,
    ).toBe('xoxb-e1');
    const teamsOfE1 = async () => ['T5'];
    expect(await store.botTokenForTeam('T5', teamsOfE1)).toBe('xoxb-e1');
    expect(await store.botTokenForTeam('T9', teamsOfE1)).toBeUndefined();
    await expect(
      store.fetchInstallation({ teamId: 'T9', enterpriseId: undefined, isEnterpriseInstall: false }),
    ).rejects.toThrow('Rapport is not installed in Slack workspace T9: install it at /slack/install.');

    // Deleting drops the cached lookup at once, even with a long cache.
    await store.deleteInstallation({ teamId: 'T1', enterpriseId: undefined, isEnterpriseInstall: false });
    expect(await store.botTokenForTeam('T1', async () => [])).toBeUndefined();
    await store.remove({ enterpriseId: 'E1', isEnterpriseInstall: true });
    expect(await store.botTokenForTeam('T5', teamsOfE1)).toBeUndefined();
    expect(await store.count()).toBe(0);
  });

  it('another process sees an uninstall once its cache entry expires', async () => {
    const web = new SlackInstallationStore(t.db, logger, { secrets: new SecretBox(), cacheMs: 60_000 });
    const worker = new SlackInstallationStore(t.db, logger, { secrets: new SecretBox(), cacheMs: 50 });
    await web.storeInstallation(workspace('T2', 'xoxb-t2'));
    expect(await worker.botTokenForTeam('T2', async () => [])).toBe('xoxb-t2');
    await web.remove({ teamId: 'T2', isEnterpriseInstall: false });
    await new Promise((r) => setTimeout(r, 80));
    expect(await worker.botTokenForTeam('T2', async () => [])).toBeUndefined();
  });
});
