import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExecCommand } from '../../../app/commands/exec.command.ts';
import { loadConfig } from '../../../src/config/env.ts';
import { startTestProcess, type TestProcess } from '../../helpers/test-process.ts';

// Issue 20: `rapport export acme json` while the bot runs (the normal state on the embedded database,
// whose data dir the bot holds) refused with "too large for chat", and its CSV began with a title line.
describe('rapport export while Rapport runs on the embedded database', () => {
  let test: TestProcess | undefined;

  beforeAll(async () => {
    test = await startTestProcess('pglite', {}, { name: 'export' });
  });
  afterAll(async () => {
    await test?.dispose();
  });

  /** `rapport exec <argv>` against the running process's data dir, capturing what it prints. */
  async function exec(...argv: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const stream = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    const config = loadConfig({
      RAPPORT_DATA_DIR: test!.dataDir,
      REDIS_URL: 'redis://127.0.0.1:1',
      LOG_LEVEL: 'silent',
    });
    const code = await runExecCommand(['--as', 'ops', ...argv], config, stream);
    return { code, out };
  }

  it('prints the whole export, as CSV that is CSV and as JSON, however large', async () => {
    expect((await exec('log "Exporto Ltd" “Called Jo, wants a "quote"” --new')).code).toBe(0);
    // Enough notes that the export is far larger than a chat message.
    for (let i = 0; i < 6; i++) {
      expect((await exec(`log "Exporto Ltd" "${`note ${i}, `.repeat(120)}"`)).code).toBe(0);
    }
    const csv = await exec('export', 'Exporto Ltd', 'csv');
    expect(csv.code).toBe(0);
    const lines = csv.out.split('\r\n');
    expect(lines[0]).toBe(
      '"company","record_id","channel","subject","label","message_id","sent_at","direction","author","text"',
    );
    expect(lines.filter((l) => l.startsWith('"Exporto Ltd"'))).toHaveLength(7);
    expect(csv.out).toContain('"Called Jo, wants a ""quote"""');
    expect(csv.out.length).toBeGreaterThan(3500);

    const json = await exec('export', 'Exporto Ltd', 'json');
    expect(json.code).toBe(0);
    const data = JSON.parse(json.out);
    expect(data.company.name).toBe('Exporto Ltd');
    expect(data.records).toHaveLength(7);

    const missing = await exec('export', 'Nobody Known At All', 'csv');
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/No single customer matches/);
  });
});
