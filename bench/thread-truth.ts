/**
 * Threading truth of a corpus of raw emails from its headers, and how the records a sync made
 * compare with it (bench:imap, bench/imap-thread-order.ts).
 */

/**
 * Header truth: A and B are one thread when one's In-Reply-To/References names the other's Message-ID,
 * or when both name the same ancestor even if that ancestor is not in the corpus (JWZ threading's
 * empty containers, RFC 5256 REFERENCES): two replies to one message are one conversation whether or
 * not that message was kept. `throughAbsent = false` is the strict variant, which ignores ids missing
 * from the corpus and so splits such replies (on the first 800 mails: four "Re: New Sequences Window"
 * replies to one missing message counted as four threads); it is printed for comparison only.
 */
export function headerTruth(raws: Buffer[], throughAbsent = false, mailboxes = true): Map<string, string> {
  const heads = headerLinks(raws);
  const ids = heads.map((h) => h.id);
  const parent = new Map(ids.map((i) => [i, i]));
  const find = (x: string): string => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const links = heads.flatMap((h) =>
    h.links.filter((b) => mailboxes || !h.mailboxes.has(b)).map((b) => [h.id, b] as const),
  );
  if (throughAbsent) for (const [, b] of links) if (!parent.has(b)) parent.set(b, b);
  for (const [a, b] of links) if (parent.has(b)) parent.set(find(a), find(b));
  return new Map(ids.map((i) => [i, find(i)]));
}

/**
 * Each message's Message-ID and the ids its In-Reply-To and References name (any `<x@y>` token), and
 * which of those tokens are a person's mailbox rather than a message: a From address of some mail in
 * the corpus, or the sender of the free-text form ("Message from NAME <addr> of DATE <id>"). JWZ takes
 * them for ids and so joins every reply to one person's posts; `headerTruth(..., mailboxes = false)`
 * does not.
 */
export function headerLinks(raws: Buffer[]): Array<{ id: string; links: string[]; mailboxes: Set<string> }> {
  const heads = raws.map((raw) =>
    raw
      .subarray(0, Math.max(0, raw.indexOf('\r\n\r\n')))
      .toString('latin1')
      .replace(/\r\n[ \t]+/g, ' '),
  );
  const header = (head: string, name: string) => head.match(new RegExp(`^${name}:(.*)$`, 'im'))?.[1] ?? '';
  const senders = new Set(
    heads.flatMap((h) => [...header(h, 'From').matchAll(/([^\s<>"]+@[^\s<>"]+)/g)].map((m) => m[1].toLowerCase())),
  );
  const out: Array<{ id: string; links: string[]; mailboxes: Set<string> }> = [];
  for (const head of heads) {
    const id = header(head, 'Message-ID').match(/<([^<>\s]+)>/)?.[1];
    if (!id) continue;
    const irt = header(head, 'In-Reply-To');
    const links = [...`${irt} ${header(head, 'References')}`.matchAll(/<([^<>\s]+@[^<>\s]+)>/g)].map((m) => m[1]);
    const mailboxes = new Set(links.filter((l) => senders.has(l.toLowerCase())));
    for (const m of irt.matchAll(/\bfrom\b([^<>]*)<([^<>\s]+@[^<>\s]+)>/gi))
      if (!/\bof\b/i.test(m[1])) mailboxes.add(m[2]);
    out.push({ id, links, mailboxes });
  }
  return out;
}

/**
 * Why the JWZ truth's pairs that the sync put in different records were missed: each header link
 * (A names B) that joins two records is put in one class, and the pairs that joining the records
 * along each class's links (in this order, each on top of the ones before) would gain are counted.
 * `parsed` is, per logged message, the ids the sync kept from In-Reply-To/References.
 */
export function missedPairsByCause(
  raws: Buffer[],
  predicted: Map<string, string>,
  parsed: Map<string, Set<string>>,
): Array<{ cause: string; pairs: number; example?: string }> {
  const heads = headerLinks(raws);
  const inCorpus = new Set(heads.map((h) => h.id));
  const truth = headerTruth(raws, true);
  const classes: Array<{ cause: string; links: Array<[string, string]> }> = [
    { cause: 'names a logged message, kept in its headers, in another record (not re-attached)', links: [] },
    { cause: 'both name a message missing from the mailbox (chain through a missing message)', links: [] },
    { cause: 'through a message of the corpus that was not logged (skipped or failed)', links: [] },
    { cause: 'an id the bogus-token filter dropped', links: [] },
    { cause: "a person's mailbox, which the truth takes for an id (joining every reply to that person)", links: [] },
  ];
  for (const { id, links, mailboxes } of heads)
    for (const b of links) {
      const kept = parsed.get(id)?.has(b) ?? false;
      const dropped = mailboxes.has(b) ? 4 : 3;
      const k = !predicted.has(id) ? 2 : !kept ? dropped : predicted.has(b) ? 0 : inCorpus.has(b) ? 2 : 1;
      classes[k].links.push([id, b]);
    }
  // Union-find over records (a logged message stands for its record) and ids that are not logged.
  const up = new Map<string, string>();
  const node = (id: string) => predicted.get(id) ?? `id:${id}`;
  const find = (x: string): string => {
    while (up.has(x)) x = up.get(x)!;
    return x;
  };
  const truePairs = () => {
    const both = new Map<string, number>();
    for (const [id, rec] of predicted) {
      const t = truth.get(id);
      if (t === undefined) continue;
      const k = `${find(rec)}|${t}`;
      both.set(k, (both.get(k) ?? 0) + 1);
    }
    return pairs(both.values());
  };
  let before = truePairs();
  return classes.map(({ cause, links }) => {
    let example: string | undefined;
    for (const [a, b] of links) {
      const x = find(node(a));
      const y = find(node(b));
      if (x === y) continue;
      up.set(x, y);
      example ??= `<${a}> -> <${b}>`;
    }
    const after = truePairs();
    const gained = after - before;
    before = after;
    return { cause, pairs: gained, example: gained > 0 ? example : undefined };
  });
}

/** Pairs within groups of the given sizes: n(n-1)/2 summed. */
export const pairs = (sizes: Iterable<number>) => [...sizes].reduce((a, n) => a + (n * (n - 1)) / 2, 0);
/** Pairs of `n` items that the split into groups of `sizes` puts apart. */
export const pairsApart = (n: number, sizes: Iterable<number>) => pairs([n]) - pairs(sizes);

/** Pairwise precision/recall of predicted groups (record ids) against truth groups, over the ids in both. */
export function pairwise(predicted: Map<string, string>, truth: Map<string, string>) {
  const byPred = new Map<string, number>();
  const byTruth = new Map<string, number>();
  const both = new Map<string, number>();
  for (const [id, rec] of predicted) {
    const t = truth.get(id);
    if (t === undefined) continue;
    byPred.set(rec, (byPred.get(rec) ?? 0) + 1);
    byTruth.set(t, (byTruth.get(t) ?? 0) + 1);
    both.set(`${rec}|${t}`, (both.get(`${rec}|${t}`) ?? 0) + 1);
  }
  const tp = pairs(both.values());
  const pp = pairs(byPred.values());
  const tpairs = pairs(byTruth.values());
  return { precision: pp === 0 ? 1 : tp / pp, recall: tpairs === 0 ? 1 : tp / tpairs, truePairs: tpairs };
}
