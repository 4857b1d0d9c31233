import type { WebClient } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import { servesSlackTeams } from '../../../connectors/slack/slack-served.ts';
import { slackContextBuilder } from '../../../connectors/slack/slack-request.ts';
import { createLogger } from '../../../src/logger.ts';

/** A workspace's Web API whose users.info says every person is a member of `homeTeam`, or fails. */
const clientsOf = (homeTeam: string | undefined) => async () =>
  ({
    users: {
      info: async ({ user }: { user: string }) => {
        if (!homeTeam) throw new Error('internal_error');
        return { ok: true, user: { id: user, team_id: homeTeam } };
      },
    },
  }) as unknown as WebClient;

describe('the Slack workspaces served (SLACK_TEAM_IDS)', () => {
  it('serves a listed workspace, every workspace of a listed org and a listed org-wide install, nobody else', () => {
    const serves = servesSlackTeams(['T2', 'E1']);
    expect(serves({ teamId: 'T2' })).toBe(true);
    expect(serves({ teamId: 'T5', enterpriseId: 'E1' })).toBe(true);
    expect(serves({ enterpriseId: 'E1' })).toBe(true);
    expect(serves({ teamId: 'T7' })).toBe(false);
    expect(serves({ teamId: 'T7', enterpriseId: 'E7' })).toBe(false);
    expect(serves({ enterpriseId: 'E7' })).toBe(false);
    expect(serves({})).toBe(false);
  });

  it('a request from an installation outside the list is external, even from a member of that workspace', async () => {
    const contextFor = slackContextBuilder(clientsOf('T7'), 'UTC', createLogger('silent'), {
      serves: servesSlackTeams(['T2']),
    });
    const ctx = await contextFor({ teamId: 'T7', userTeamId: 'T7', userId: 'U1', triggerId: 't1' });
    expect(ctx.actor.standing).toBe('external');
    const listed = slackContextBuilder(clientsOf('T2'), 'UTC', createLogger('silent'), {
      serves: servesSlackTeams(['T2']),
    });
    expect((await listed({ teamId: 'T2', userTeamId: 'T2', userId: 'U1', triggerId: 't2' })).actor.standing).toBe(
      'member',
    );
  });

  it('a stored Rep is unverified while users.info fails: only Slack says who is a member', async () => {
    const contextFor = slackContextBuilder(clientsOf(undefined), 'UTC', createLogger('silent'), {
      storedTimezone: async () => 'Asia/Tokyo',
    });
    const ctx = await contextFor({ teamId: 'T1', userTeamId: 'T1', userId: 'UKEN', triggerId: 't3' });
    expect(ctx.actor).toMatchObject({ standing: 'unverified', timezone: 'Asia/Tokyo' });
  });
});
