// `npm run build` (also run at `npm install`): compiles src, connectors, jobs and app with tsc to dist/
// (tsconfig.build.json) and copies the files they read next to themselves (the console's page, the Teams
// app package's manifest and icons). bin/rapport.js runs dist/ only when dist/build-stamp.json exists and
// no source file changed after the build started, so the stamp is written last and removed first.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const startedAt = Date.now();

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.log(
    '[rapport] typescript not installed (production install?); skipping the build, rapport runs its sources through tsx',
  );
  process.exit(0);
}

rmSync(dist, { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    '[rapport] the build failed (above); rapport runs its sources through tsx until `npm run build` succeeds',
  );
  process.exit(result.status ?? 1);
}

// Files the compiled code reads from its own folder (everything else is read from the package root).
cpSync(join(root, 'connectors/console/public'), join(dist, 'connectors/console/public'), { recursive: true });
const appPackage = join(root, 'connectors/teams/app-package');
mkdirSync(join(dist, 'connectors/teams/app-package'), { recursive: true });
for (const name of readdirSync(appPackage).filter((n) => !n.endsWith('.ts')))
  cpSync(join(appPackage, name), join(dist, 'connectors/teams/app-package', name));

writeFileSync(join(dist, 'build-stamp.json'), `${JSON.stringify({ startedAt })}\n`);
console.log(`[rapport] built dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
