import { listConsoleAccounts } from '../../src/db/console-account.repository.ts';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { openDatabase } from '../../src/db/open-database.ts';
import { userMessage } from '../../src/errors.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';
import { createConsoleAccount, setConsolePassword } from '../../src/services/console-accounts.service.ts';

const USAGE = `Usage:
  rapport admin create NAME [--role admin|rep] [--email ADDRESS]   create a console account (admin by default)
  rapport admin password NAME                                        set a new password
  rapport admin list                                                 list console accounts
The password is asked for on a terminal, or read from the first line of standard input
(echo "$PASSWORD" | rapport admin create jo).`;

/** Reads the password: twice, unechoed, on a terminal; else the first line of stdin. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text.split(/\r?\n/)[0] ?? '';
  }
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      muted = false;
      rl.question(q, (answer) => {
        process.stdout.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  try {
    const first = await ask('Password (at least 12 characters): ');
    const second = await ask('The same password again: ');
    if (first !== second) throw new Error('The two passwords differ; nothing was changed.');
    return first;
  } finally {
    rl.close();
  }
}

/**
 * `rapport admin create|password|list`: local console accounts, for set-ups without Slack or Microsoft
 * sign-in. Once one exists, every browser (localhost too) signs in at /console/sign-in.
 */
export const adminCommand: CliCommand = async (argv, config) => {
  const [action, name, ...rest] = argv;
  if (!action || action === '--help' || (action !== 'list' && !name)) {
    console.error(USAGE);
    return action === '--help' ? 0 : 2;
  }
  let role: 'admin' | 'rep' = 'admin';
  let email: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--role' && (rest[i + 1] === 'admin' || rest[i + 1] === 'rep')) role = rest[++i] as 'admin' | 'rep';
    else if (rest[i] === '--email' && rest[i + 1]) email = rest[++i];
    else {
      console.error(`Unknown option "${rest[i]}".\n${USAGE}`);
      return 2;
    }
  }
  if (!['create', 'password', 'list'].includes(action)) {
    console.error(`Unknown admin action "${action}".\n${USAGE}`);
    return 2;
  }
  const c = config();
  let password = '';
  try {
    if (action !== 'list') password = await readPassword();
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  const db = await openDatabase({ databaseUrl: c.databaseUrl, dataDir: c.dataDir });
  try {
    if (action === 'list') {
      const accounts = await listConsoleAccounts(db.prisma);
      if (accounts.length === 0)
        console.log('No console accounts: localhost browsers use the console without signing in.');
      for (const a of accounts) console.log(`${a.username}\t${a.role}${a.disabledAt ? '\tdisabled' : ''}`);
      return 0;
    }
    if (action === 'create') {
      await createConsoleAccount(db, { username: name, password, role, email, timezone: c.timezone });
      console.log(
        `Created the console account "${name.trim().toLowerCase()}" (${role}). Sign in at /console/sign-in; from now on every browser signs in, localhost too.`,
      );
      return 0;
    }
    await setConsolePassword(db, name, password);
    console.log(`New password set for "${name.trim().toLowerCase()}".`);
    return 0;
  } catch (err) {
    console.error(userMessage(err));
    return 1;
  } finally {
    await db.close();
  }
};
