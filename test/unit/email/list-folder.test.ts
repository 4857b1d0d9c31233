import { describe, expect, it } from 'vitest';
import { uidSet } from '../../../connectors/imap/list-folder.ts';

describe('uidSet', () => {
  it('writes runs of consecutive UIDs as ranges, single UIDs alone', () => {
    expect(uidSet([1, 2, 3, 4, 5])).toBe('1:5');
    expect(uidSet([1, 2, 4, 8, 9, 10, 12])).toBe('1:2,4,8:10,12');
    expect(uidSet([7])).toBe('7');
    expect(uidSet([])).toBe('');
  });

  it('keeps a page of a large folder short', () => {
    const page = Array.from({ length: 5_000 }, (_, i) => 1_000_001 + i);
    expect(uidSet(page)).toBe('1000001:1005000');
  });
});
