import { describe, expect, it } from 'vitest';
import { fetchBatches, HEADERS_ONLY_BYTES } from '../../../connectors/imap/fetch-batches.ts';

const MB = 1024 * 1024;
const limits = { messages: 4, bytes: 3 * MB, maxMessageBytes: 20 * MB };
const mails = (...sizes: number[]) => sizes.map((size, i) => ({ uid: i + 1, size }));
const uids = (batches: Array<Array<{ uid: number }>>) => batches.map((b) => b.map((m) => m.uid));

describe('fetchBatches', () => {
  it('cuts by count, keeping UID order and every message once', () => {
    const batches = fetchBatches(mails(...Array<number>(10).fill(1_000)), limits);
    expect(uids(batches)).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
  });

  it('cuts by bytes: no batch over the bound unless one message is', () => {
    const batches = fetchBatches(mails(1_000, 1.2 * MB, 1.2 * MB, 1.2 * MB, 5 * MB, 1_000, 2.9 * MB, 0.2 * MB), limits);
    expect(uids(batches)).toEqual([[1, 2, 3], [4], [5], [6, 7], [8]]);
    for (const b of batches)
      if (b.length > 1) expect(b.reduce((n, m) => n + m.size, 0)).toBeLessThanOrEqual(limits.bytes);
  });

  it('counts a message over the size limit as its header block (it is fetched headers only)', () => {
    const batches = fetchBatches(mails(50 * MB, 50 * MB, 1_000), limits);
    expect(uids(batches)).toEqual([[1, 2, 3]]);
    expect(HEADERS_ONLY_BYTES * 2 + 1_000).toBeLessThan(limits.bytes);
  });

  it('handles nothing, and a message whose size the server did not say', () => {
    expect(fetchBatches([], limits)).toEqual([]);
    expect(uids(fetchBatches([{ uid: 7 }, { uid: 8 }], limits))).toEqual([[7, 8]]);
  });
});
