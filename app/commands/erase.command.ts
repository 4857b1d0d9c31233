import { Writable } from 'node:stream';
import type { Reply } from '../../src/commands/reply-model.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { runExecCommand } from './exec.command.ts';

/**
 * `rapport erase CUSTOMER --yes`: the chat `forget` command, confirmed from the command line. Without
 * --yes it only shows what would be erased and how to confirm.
 */
export const eraseCommand: CliCommand = async (argv, config) => {
  const yes = argv.includes('--yes');
  const words = argv.filter((a) => a !== '--yes');
  if (words.length === 0) {
    console.error(
      'Usage: rapport erase CUSTOMER --yes   (erases every record, message and follow-up of that customer for good)',
    );
    return 2;
  }
  const customer = words.join(' ');
  const first = await capture((out) =>
    runExecCommand(['--json', 'forget', `"${customer.replaceAll('"', '')}"`], config(), out),
  );
  const confirm = first.reply?.buttons?.find((b) => b.command.includes('--confirm'));
  if (!confirm || !yes) {
    process.stdout.write(`${first.reply?.text ?? first.raw}\n`);
    if (confirm) process.stdout.write('Run again with --yes to erase.\n');
    return confirm ? 2 : first.code;
  }
  return runExecCommand([confirm.command], config(), process.stdout);
};

async function capture(
  run: (out: NodeJS.WritableStream) => Promise<number>,
): Promise<{ code: number; raw: string; reply?: Reply }> {
  let raw = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      raw += chunk;
      cb();
    },
  });
  const code = await run(out);
  try {
    return { code, raw, reply: JSON.parse(raw) as Reply };
  } catch {
    return { code, raw };
  }
}
