// Whether dist/ (scripts/build.mjs) can run: it finished, and no source file changed after it started.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
/** What dist/ is compiled from (tsconfig.build.json). */
const SOURCES = ['src', 'connectors', 'jobs', 'app'];

/** True when dist/build-stamp.json exists and every file and folder under SOURCES is older than the build's start. */
export function freshBuild() {
  let startedAt;
  try {
    startedAt = JSON.parse(readFileSync(new URL('dist/build-stamp.json', root), 'utf8')).startedAt;
  } catch {
    return false; // never built, or a build that did not finish
  }
  for (const dir of SOURCES) {
    const base = fileURLToPath(new URL(`${dir}/`, root));
    if (statSync(base).mtimeMs > startedAt) return false;
    // Folders count too: adding, removing or renaming a file changes its folder's mtime.
    for (const path of readdirSync(base, { recursive: true })) {
      if (statSync(base + path).mtimeMs > startedAt) return false;
    }
  }
  return true;
}
