import { describe, expect, it } from 'vitest';
import { MAX_UID_SET_BYTES, uidSets } from '../../../connectors/imap/list-folder.ts';

describe('uidSets', () => {
  it('writes runs of consecutive UIDs as ranges, single UIDs alone', () => {
    expect(uidSets([1, 2, 3, 4, 5])).toEqual(['1:5']);
    expect(uidSets([1, 2, 4, 8, 9, 10, 12])).toEqual(['1:2,4,8:10,12']);
    expect(uidSets([7])).toEqual(['7']);
    expect(uidSets([])).toEqual([]);
    // A page of a large folder, consecutive: one short set.
    expect(uidSets(Array.from({ length: 5_000 }, (_, i) => 1_000_001 + i))).toEqual(['1000001:1005000']);
  });

  it('cuts scattered UIDs into sets a strict server takes, every UID once and in order', () => {
    const scattered = Array.from({ length: 5_000 }, (_, i) => 4_000_000_000 + 2 * i);
    const sets = uidSets(scattered);
    expect(sets.length).toBeGreaterThan(1);
    for (const set of sets) expect(set.length).toBeLessThanOrEqual(MAX_UID_SET_BYTES);
    expect(sets.join(',').split(',').map(Number)).toEqual(scattered);
  });
});
