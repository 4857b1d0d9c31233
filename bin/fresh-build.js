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
  return SOURCES.every((dir) => olderThan(fileURLToPath(new URL(dir, root)), startedAt));
}

/**
 * True when `dir`, its files and its folders, all the way down, were last changed before `time`.
 * Folders count too: adding, removing or renaming a file changes its folder's mtime. Walks with file
 * types instead of `readdirSync({ recursive: true })`, which cost `rapport exec` some 40 ms a call
 * (path joins and garbage for every entry) before it did anything.
 */
function olderThan(dir, time) {
  if (statSync(dir).mtimeMs > time) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory() ? !olderThan(path, time) : statSync(path).mtimeMs > time) return false;
  }
  return true;
}
