import { describe, expect, it } from 'vitest';
import { TeamsMemberCache } from '../../../connectors/teams/teams-member-cache.ts';

const member = { id: '29:ann', name: 'Ann', aadObjectId: 'aad-ann', tenantId: 't-ours', userRole: 'user' };
const activity = (tenant: string, from: { id: string; aadObjectId?: string }) => ({
  from: { name: 'x', ...from },
  channelData: { tenant: { id: tenant } },
});

describe('TeamsMemberCache', () => {
  it('remembers an answer for its time, by tenant and person, and forgets it after', async () => {
    const cache = new TeamsMemberCache(80);
    cache.remember(activity('t-ours', { id: '29:ann', aadObjectId: 'aad-ann' }), member as never);
    expect(cache.fresh(activity('t-ours', { id: '29:ann', aadObjectId: 'aad-ann' }))).toEqual(member);
    // The same person id in another tenant's activity is not the same answer.
    expect(cache.fresh(activity('t-evil', { id: '29:ann', aadObjectId: 'aad-ann' }))).toBeUndefined();
    expect(cache.fresh(activity('t-ours', { id: '29:bob', aadObjectId: 'aad-bob' }))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 120));
    expect(cache.fresh(activity('t-ours', { id: '29:ann', aadObjectId: 'aad-ann' }))).toBeUndefined();
  });

  it('forgets people Teams said joined or left, by Teams user id or Entra object id, in every tenant', () => {
    const cache = new TeamsMemberCache();
    const bob = { ...member, id: '29:bob', aadObjectId: 'aad-bob' };
    const cal = { ...member, id: '29:cal', aadObjectId: undefined };
    cache.remember(activity('t-ours', { id: '29:ann', aadObjectId: 'aad-ann' }), member as never);
    cache.remember(activity('t-other', { id: '29:ann', aadObjectId: 'aad-ann' }), member as never);
    cache.remember(activity('t-ours', { id: '29:bob', aadObjectId: 'aad-bob' }), bob as never);
    cache.remember(activity('t-ours', { id: '29:cal' }), cal as never);
    // Teams names Ann by her Teams user id only (the cache keyed her by her Entra id), Cal by his.
    cache.forget(['29:ann', '29:cal']);
    expect(cache.fresh(activity('t-ours', { id: '29:ann', aadObjectId: 'aad-ann' }))).toBeUndefined();
    expect(cache.fresh(activity('t-other', { id: '29:ann', aadObjectId: 'aad-ann' }))).toBeUndefined();
    expect(cache.fresh(activity('t-ours', { id: '29:cal' }))).toBeUndefined();
    expect(cache.fresh(activity('t-ours', { id: '29:bob', aadObjectId: 'aad-bob' }))).toEqual(bob);
    cache.forget(['aad-bob']);
    expect(cache.fresh(activity('t-ours', { id: '29:bob', aadObjectId: 'aad-bob' }))).toBeUndefined();
  });
});
