import type { Config } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import { readDataDirLock } from '../src/db/data-dir-lock.ts';
import { openDatabase } from '../src/db/open-database.ts';
import type { Audience } from '../src/domain/audience.ts';
import { channelPrivacyCheck, privacyCheckName } from './channel-privacy.check.ts';

/**
 * `rapport doctor`'s privacy line for a platform: the linked channels with people from outside the
 * company and where their customers' cards go. Asks the running bot's /readyz when it holds the
 * embedded database, else opens the database and asks the platform through `audienceWith` the way
 * the bot does.
 */
export async function channelPrivacyDoctorCheck(
  platform: 'slack' | 'teams',
  config: Config,
  audienceWith: (db: Database) => (target: string) => Promise<Audience>,
) {
  const name = privacyCheckName(platform);
  const running = config.databaseUrl ? undefined : readDataDirLock(config.dataDir);
  if (running?.url) {
    const body = (await fetch(`${running.url}/readyz`).then(
      (r) => r.json(),
      () => undefined,
    )) as { checks?: Record<string, { ok: boolean; detail: string }> } | undefined;
    const check = body?.checks?.[name];
    return check
      ? { name, ok: true, detail: check.detail.replace(/\n/g, '\n      ') }
      : { name, ok: false, detail: `the running bot (pid ${running.pid}) did not report it`, fix: 'check the bot log' };
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
  try {
    const { detail } = await channelPrivacyCheck(platform, db, audienceWith(db), config.pipeline.defaultTarget).check();
    return { name, ok: true, detail: detail.replace(/\n/g, '\n      ') };
  } finally {
    await db.close();
  }
}
