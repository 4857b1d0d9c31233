#!/usr/bin/env node
// The `rapport` command. Runs the compiled build (dist/, made by `npm run build` and at `npm install`)
// when it is there and no source file changed after it was built; otherwise the TypeScript sources
// through tsx, so a checkout being edited never runs code older than what is on disk.
import { freshBuild } from './fresh-build.js';

if (freshBuild()) {
  await import('../dist/app/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../app/cli.ts');
}
