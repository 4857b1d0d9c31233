// Builds the Teams app package (manifest.json, color.png, outline.png in a zip):
//   MICROSOFT_APP_ID=<guid> npm run teams:package -- --domain rapport.example.com [--version 1.0.0] [--out rapport-teams.zip]
// Links: TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL, TEAMS_TERMS_URL (https). No MICROSOFT_APP_PASSWORD needed.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadTeamsPackageConfig, type TeamsPackageConfig } from '../src/config/env.ts';
import { appPackageProblems, buildTeamsAppPackage } from '../connectors/teams/app-package/teams-app-package.ts';

const USAGE =
  'Usage: MICROSOFT_APP_ID=<guid> npm run teams:package -- --domain <public host> [--version x.y.z] [--out rapport-teams.zip]';

async function main(): Promise<number> {
  let args: { domain?: string; version?: string; out?: string };
  try {
    args = parseArgs({
      options: { domain: { type: 'string' }, version: { type: 'string' }, out: { type: 'string' } },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  // Only what the package carries: the app id and public links, never MICROSOFT_APP_PASSWORD.
  let config: TeamsPackageConfig;
  try {
    config = loadTeamsPackageConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 78;
  }
  const packageVersion = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const options = {
    appId: config.appId ?? '',
    domain: args.domain ?? '',
    version: args.version ?? packageVersion,
    websiteUrl: config.websiteUrl,
    privacyUrl: config.privacyUrl,
    termsUrl: config.termsUrl,
  };
  const problems = appPackageProblems(options);
  if (problems.length) {
    console.error(`Cannot build the Teams app package:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);
    return 78;
  }
  const { zip } = await buildTeamsAppPackage(options);
  const out = resolve(args.out ?? 'rapport-teams.zip');
  try {
    writeFileSync(out, zip);
  } catch (err) {
    console.error(`Cannot write ${out}: ${(err as Error).message}`);
    return 1;
  }
  if (!config.websiteUrl || !config.privacyUrl || !config.termsUrl)
    console.warn(
      `Note: set TEAMS_WEBSITE_URL, TEAMS_PRIVACY_URL and TEAMS_TERMS_URL to public pages; unset, the package links to https://${options.domain}/console, which only your own network can open.`,
    );
  console.log(
    `Wrote ${out} (${zip.length} bytes) for app ${options.appId} at ${options.domain}, version ${options.version}. Upload it in Teams: Apps > Manage your apps > Upload an app.`,
  );
  return 0;
}

process.exitCode = await main();
