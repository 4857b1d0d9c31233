import type { Database } from './database.ts';
import type { Prisma } from './generated/client.ts';
import type { SecretBox } from './secret-box.ts';

/** One Slack OAuth installation as Rapport keeps it: keyed per workspace or per org-wide install. */
export interface SlackInstallationRow {
  /** "team:T123" for a workspace install, "enterprise:E123" for an org-wide (Enterprise Grid) install. */
  installKey: string;
  teamId: string | null;
  enterpriseId: string | null;
  botUserId: string | null;
  botToken: string | null;
  /** Bolt's Installation object as oauth.v2.access produced it (tokens included). */
  installation: unknown;
}

/** The key an installation is stored under: org-wide installs by enterprise, the rest by workspace. */
export function slackInstallKey(q: {
  teamId?: string | null;
  enterpriseId?: string | null;
  isEnterpriseInstall?: boolean;
}): string {
  if (q.isEnterpriseInstall) {
    if (!q.enterpriseId) throw new Error('An org-wide Slack installation must name its enterprise id.');
    return `enterprise:${q.enterpriseId}`;
  }
  if (!q.teamId) throw new Error('A Slack workspace installation must name its team id.');
  return `team:${q.teamId}`;
}

/**
 * Inserts or replaces the installation under its key (a reinstall replaces the token and scopes). With
 * a key in `secrets` the bot token and the installation (which holds every token) are sealed.
 */
export async function saveSlackInstallation(
  db: Database,
  row: SlackInstallationRow,
  secrets: SecretBox,
): Promise<void> {
  const data = {
    teamId: row.teamId,
    enterpriseId: row.enterpriseId,
    botUserId: row.botUserId,
    ...sealedColumns(row.botToken, row.installation, secrets),
  };
  await db.prisma.slackInstallation.upsert({
    where: { installKey: row.installKey },
    create: { installKey: row.installKey, ...data },
    update: data,
  });
}

/** The installation stored under `installKey`, if any, its tokens opened (see {@link SecretBox.open}). */
export async function findSlackInstallation(
  db: Database,
  installKey: string,
  secrets: SecretBox,
): Promise<SlackInstallationRow | undefined> {
  const row = await db.prisma.slackInstallation.findUnique({ where: { installKey } });
  return row
    ? {
        installKey: row.installKey,
        teamId: row.teamId,
        enterpriseId: row.enterpriseId,
        botUserId: row.botUserId,
        botToken: row.botToken === null ? null : secrets.open(row.botToken),
        installation: openInstallation(row.installation, secrets),
      }
    : undefined;
}

/** The token columns as stored: sealed with the current key, or as they are without one. */
function sealedColumns(botToken: string | null, installation: unknown, secrets: SecretBox) {
  return {
    botToken: botToken === null ? null : secrets.seal(botToken),
    installation: (secrets.sealing
      ? { sealed: secrets.seal(JSON.stringify(installation)) }
      : installation) as Prisma.InputJsonValue,
  };
}

/** The sealed text of a stored installation (`{ sealed }`), undefined for one stored before a key was set. */
function sealedOf(stored: unknown): string | undefined {
  const sealed = (stored as { sealed?: unknown } | null)?.sealed;
  return typeof sealed === 'string' ? sealed : undefined;
}

/** A stored installation: `{ sealed }` opened and parsed, anything else (stored before a key was set) as it is. */
function openInstallation(stored: unknown, secrets: SecretBox): unknown {
  const sealed = sealedOf(stored);
  return sealed === undefined ? stored : JSON.parse(secrets.open(sealed));
}

/**
 * Rewrites every installation not sealed with the current key (`rapport secrets reseal`); returns how
 * many. A row changed meanwhile (a reinstall) is left as the reinstall wrote it.
 */
export async function resealSlackInstallations(db: Database, secrets: SecretBox): Promise<number> {
  const rows = await db.prisma.slackInstallation.findMany({
    select: { installKey: true, botToken: true, installation: true, updatedAt: true },
  });
  let resealed = 0;
  for (const r of rows) {
    const sealed = sealedOf(r.installation);
    const stale =
      (r.botToken !== null && secrets.needsReseal(r.botToken)) || sealed === undefined || secrets.needsReseal(sealed);
    if (!stale) continue;
    const done = await db.prisma.slackInstallation.updateMany({
      where: { installKey: r.installKey, updatedAt: r.updatedAt },
      data: sealedColumns(
        r.botToken === null ? null : secrets.open(r.botToken),
        openInstallation(r.installation, secrets),
        secrets,
      ),
    });
    resealed += done.count;
  }
  return resealed;
}

/** Installation keys of all org-wide installs (a workspace inside an org has no row of its own). */
export async function listOrgSlackInstallKeys(db: Database): Promise<string[]> {
  const rows = await db.prisma.slackInstallation.findMany({
    where: { installKey: { startsWith: 'enterprise:' } },
    select: { installKey: true },
    orderBy: { installKey: 'asc' },
  });
  return rows.map((r) => r.installKey);
}

/** How many workspaces and orgs have Rapport installed. */
export async function countSlackInstallations(db: Database): Promise<number> {
  return db.prisma.slackInstallation.count();
}

/** Deletes the installation under `installKey`; true when there was one. */
export async function deleteSlackInstallation(db: Database, installKey: string): Promise<boolean> {
  const res = await db.prisma.slackInstallation.deleteMany({ where: { installKey } });
  return res.count > 0;
}
