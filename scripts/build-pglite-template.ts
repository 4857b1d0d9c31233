// Builds the PGlite template (an initialised empty cluster) that new embedded databases start from,
// so the first `npm start` and every in-memory test database skip PGlite's initdb. Run by postinstall
// and by the test setup. Never fails the install: without a template Rapport runs initdb, slower.
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildPgliteTemplate, defaultPgliteTemplatePath } from '../src/db/pglite-template.ts';

const path = defaultPgliteTemplatePath();
if (existsSync(path) && !process.argv.includes('--force')) {
  console.log(`[rapport] PGlite template present: ${path}`);
} else {
  const started = performance.now();
  try {
    await buildPgliteTemplate(path);
    console.log(`[rapport] PGlite template built in ${((performance.now() - started) / 1000).toFixed(1)} s: ${path}`);
  } catch (err) {
    console.log(
      `[rapport] could not build the PGlite template (new databases will run initdb instead): ${(err as Error).message}`,
    );
  }
}
