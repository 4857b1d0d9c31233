import type { SecretBox } from '../../src/db/secret-box.ts';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { Database } from '../../src/db/database.ts';
import type { Logger } from '../../src/logger.ts';
import {
  countSlackInstallations,
  deleteSlackInstallation,
  findSlackInstallation,
  listOrgSlackInstallKeys,
  saveSlackInstallation,
  slackInstallKey,
  type SlackInstallationRow,
} from '../../src/db/slack-installation.repository.ts';
import { describeSlackWorkspace, type ServesSlack } from './slack-served.ts';

/** Options of {@link SlackInstallationStore}. */
export interface SlackInstallationStoreOptions {
  /**
   * How long a looked-up installation (or its absence) is reused before the database is asked again.
   * An uninstall seen by this process drops the entry at once; other processes (workers) notice within
   * this time, or sooner when Slack refuses the old token. Default: 30 000 ms.
   */
  cacheMs?: number;
  /** Seals the tokens it stores (RAPPORT_SECRET_KEY) and opens them (a box without a key stores them as they are). */
  secrets: SecretBox;
  /**
   * The workspaces and orgs this deployment serves (SLACK_TEAM_IDS): another one's installation is
   * neither stored nor handed to Bolt or a worker, even when a row of it was stored before the list
   * existed. Absent: every installation is served (the store's own tests).
   */
  serves?: ServesSlack;
}

/** Thrown for an installation of a workspace or org this deployment does not serve. */
export class SlackWorkspaceNotServedError extends Error {
  constructor(workspace: { teamId?: string | null; enterpriseId?: string | null }) {
    super(
      `Rapport does not serve Slack ${describeSlackWorkspace(workspace)}: it is not in SLACK_TEAM_IDS, so nothing from it is run, logged or posted.`,
    );
    this.name = 'SlackWorkspaceNotServedError';
  }
}

interface CacheEntry {
  row: SlackInstallationRow | undefined;
  expiresAt: number;
}

/**
 * Bolt's InstallationStore over the SlackInstallation table: one row per workspace install
 * ("team:T…") or org-wide install ("enterprise:E…"). Requests from a workspace inside an org that
 * installed Rapport org-wide find the org's row. Lookups are cached briefly, because Bolt asks on every
 * incoming request and the delivery job on every post. Tokens never reach the log.
 */
export class SlackInstallationStore implements InstallationStore {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheMs: number;
  private readonly secrets: SecretBox;
  private readonly serves: ServesSlack;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    opts: SlackInstallationStoreOptions,
  ) {
    this.cacheMs = opts.cacheMs ?? 30_000;
    this.secrets = opts.secrets;
    this.serves = opts.serves ?? (() => true);
  }

  async storeInstallation<V extends 'v1' | 'v2'>(installation: Installation<V, boolean>): Promise<void> {
    const isOrg = installation.isEnterpriseInstall === true;
    // The OAuth redirect refuses these first (install-pages.ts); nothing of another workspace is stored.
    const workspace = { teamId: isOrg ? undefined : installation.team?.id, enterpriseId: installation.enterprise?.id };
    if (!this.serves(workspace)) throw new SlackWorkspaceNotServedError(workspace);
    const installKey = slackInstallKey({
      teamId: installation.team?.id,
      enterpriseId: installation.enterprise?.id,
      isEnterpriseInstall: isOrg,
    });
    await saveSlackInstallation(
      this.db,
      {
        installKey,
        teamId: installation.team?.id ?? null,
        enterpriseId: installation.enterprise?.id ?? null,
        botUserId: installation.bot?.userId ?? null,
        botToken: installation.bot?.token ?? null,
        installation,
      },
      this.secrets,
    );
    this.forget(installKey);
    this.logger.info(
      {
        installKey,
        workspace: installation.team?.name ?? installation.enterprise?.name,
        scopes: installation.bot?.scopes,
      },
      'Rapport installed in Slack',
    );
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const row = await this.find(query);
    if (!row)
      throw new Error(
        `Rapport is not installed in Slack ${query.isEnterpriseInstall ? `org ${query.enterpriseId}` : `workspace ${query.teamId}`}: install it at /slack/install.`,
      );
    // Bolt authorizes every request with this: a refusal means no listener runs (no command, no logging).
    if (!this.served(row)) throw new SlackWorkspaceNotServedError(row);
    return row.installation as Installation<'v1' | 'v2', boolean>;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    await this.remove(query);
  }

  /** Deletes the installation of a workspace or an org (after app_uninstalled or revoked bot tokens). */
  async remove(query: { teamId?: string; enterpriseId?: string; isEnterpriseInstall: boolean }): Promise<void> {
    const installKey = slackInstallKey(query);
    const deleted = await deleteSlackInstallation(this.db, installKey);
    this.forget(installKey);
    this.logger.info(
      { installKey, deleted },
      deleted
        ? 'Slack installation removed: Rapport no longer posts there'
        : 'Slack installation to remove was already gone',
    );
  }

  /**
   * The bot token for posting into workspace `teamId`: its own install, else the org-wide install
   * whose workspaces (`teamsOf`, Slack's auth.teams.list) include it. A target names only the
   * workspace, so this is how a worker finds an org's token. Undefined when nothing covers it.
   */
  async botTokenForTeam(
    teamId: string,
    teamsOf: (org: { installKey: string; botToken: string }) => Promise<string[]>,
  ): Promise<string | undefined> {
    const own = await this.cached(`team:${teamId}`);
    if (own) return this.served(own) ? (own.botToken ?? undefined) : undefined;
    for (const installKey of await listOrgSlackInstallKeys(this.db)) {
      const org = await this.cached(installKey);
      const botToken = org && this.served(org) ? org.botToken : undefined;
      if (botToken && (await teamsOf({ installKey, botToken })).includes(teamId)) return botToken;
    }
    return undefined;
  }

  /** How many workspaces and orgs have Rapport installed (for health). */
  count(): Promise<number> {
    return countSlackInstallations(this.db);
  }

  /** Drops cached lookups of one install key (after an uninstall or a reinstall). */
  forget(installKey: string): void {
    this.cache.delete(installKey);
  }

  /** Slack refused the token used for workspace `teamId`: drop whatever lookup gave it (its own or an org's). */
  forgetTeam(teamId: string): void {
    this.cache.delete(`team:${teamId}`);
    for (const key of this.cache.keys()) if (key.startsWith('enterprise:')) this.cache.delete(key);
  }

  /** An installation row of a served workspace or org (a workspace install inside a listed org included). */
  private served(row: SlackInstallationRow): boolean {
    const isOrg = row.installKey.startsWith('enterprise:');
    return this.serves({ teamId: isOrg ? undefined : row.teamId, enterpriseId: row.enterpriseId });
  }

  private async find(query: InstallationQuery<boolean>): Promise<SlackInstallationRow | undefined> {
    if (query.isEnterpriseInstall) return this.cached(slackInstallKey(query));
    const own = query.teamId ? await this.cached(`team:${query.teamId}`) : undefined;
    if (own) return own;
    // A workspace of an org that installed Rapport org-wide has no row of its own.
    return query.enterpriseId ? this.cached(`enterprise:${query.enterpriseId}`) : undefined;
  }

  private async cached(installKey: string): Promise<SlackInstallationRow | undefined> {
    const hit = this.cache.get(installKey);
    if (hit && hit.expiresAt > Date.now()) return hit.row;
    const row = await findSlackInstallation(this.db, installKey, this.secrets);
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(installKey, { row, expiresAt: Date.now() + this.cacheMs });
    return row;
  }
}
