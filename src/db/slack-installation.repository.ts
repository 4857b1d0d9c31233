import type { Database } from './database.ts';
import type { Prisma } from './generated/client.ts';

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

/** Inserts or replaces the installation under its key (a reinstall replaces the token and scopes). */
export async function saveSlackInstallation(db: Database, row: SlackInstallationRow): Promise<void> {
  const data = {
    teamId: row.teamId,
    enterpriseId: row.enterpriseId,
    botUserId: row.botUserId,
    botToken: row.botToken,
    installation: row.installation as Prisma.InputJsonValue,
  };
  await db.prisma.slackInstallation.upsert({
    where: { installKey: row.installKey },
    create: { installKey: row.installKey, ...data },
    update: data,
  });
}

/** The installation stored under `installKey`, if any. */
export async function findSlackInstallation(
  db: Database,
  installKey: string,
): Promise<SlackInstallationRow | undefined> {
  const row = await db.prisma.slackInstallation.findUnique({ where: { installKey } });
  return row
    ? {
        installKey: row.installKey,
        teamId: row.teamId,
        enterpriseId: row.enterpriseId,
        botUserId: row.botUserId,
        botToken: row.botToken,
        installation: row.installation,
      }
    : undefined;
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
