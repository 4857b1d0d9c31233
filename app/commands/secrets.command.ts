import { resealRefreshTokens } from '../../src/db/mailbox-refresh-token.repository.ts';
import { openDatabase } from '../../src/db/open-database.ts';
import { SecretBox } from '../../src/db/secret-box.ts';
import { resealSlackInstallations } from '../../src/db/slack-installation.repository.ts';
import { RapportError } from '../../src/errors.ts';
import type { CliCommand } from '../../src/runtime/cli-command.ts';

const USAGE = 'Usage: rapport secrets reseal';

/**
 * `rapport secrets reseal`: seals with RAPPORT_SECRET_KEY every token the database still keeps in the
 * clear (stored before a key was set) or under a key now in RAPPORT_SECRET_KEY_OLD (after a rotation),
 * so the old key can be dropped. Safe to run while bots run: each row is rewritten only if unchanged.
 */
export const secretsCommand: CliCommand = async (argv, getConfig) => {
  if (argv[0] !== 'reseal' || argv.length > 1) throw new RapportError('invalid_input', USAGE);
  const config = getConfig();
  if (!config.secretKeys.current)
    throw new RapportError(
      'invalid_input',
      'Set RAPPORT_SECRET_KEY first (make one with: openssl rand -base64 32); reseal seals the stored tokens with it.',
    );
  const secrets = new SecretBox(config.secretKeys);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const refresh = await resealRefreshTokens(db.sql, secrets);
    const slack = await resealSlackInstallations(db, secrets);
    console.log(
      `Sealed with the current key: ${refresh} OAuth2 refresh token(s), ${slack} Slack installation(s); the rest already were.`,
    );
    return 0;
  } finally {
    await db.close();
  }
};
