/** A Slack workspace or installation: its team and, inside Enterprise Grid, its org. */
export interface SlackWorkspaceIds {
  teamId?: string | null;
  enterpriseId?: string | null;
}

/** Whether this deployment serves a workspace or installation (OAuth mode: SLACK_TEAM_IDS). */
export type ServesSlack = (workspace: SlackWorkspaceIds) => boolean;

/**
 * SLACK_TEAM_IDS as a test: a workspace is served when its team id is listed, or its Enterprise Grid
 * org's id (every workspace of a listed org is the company's). An org-wide install has only its org.
 */
export function servesSlackTeams(ids: readonly string[]): ServesSlack {
  const listed = new Set(ids);
  return ({ teamId, enterpriseId }) =>
    (teamId != null && listed.has(teamId)) || (enterpriseId != null && listed.has(enterpriseId));
}

/** "workspace T9" or "org E9", for sentences and the log. */
export function describeSlackWorkspace(workspace: SlackWorkspaceIds): string {
  return workspace.teamId ? `workspace ${workspace.teamId}` : `org ${workspace.enterpriseId ?? 'unknown'}`;
}
