// Builds the Teams app package (manifest.json, color.png, outline.png in a zip):
//   MICROSOFT_APP_ID=<guid> npm run teams:package -- --domain rapport.example.com [--version 1.0.0] [--out rapport-teams.zip]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/env.ts';
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
  let appId: string | undefined;
  try {
    appId = loadConfig().teams?.appId;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 78;
  }
  const packageVersion = (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  const options = { appId: appId ?? '', domain: args.domain ?? '', version: args.version ?? packageVersion };
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
  console.log(
    `Wrote ${out} (${zip.length} bytes) for app ${options.appId} at ${options.domain}, version ${options.version}. Upload it in Teams: Apps > Manage your apps > Upload an app.`,
  );
  return 0;
}

process.exitCode = await main();
