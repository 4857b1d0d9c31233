import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's root (package.json, prisma/, training-data/, node_modules/), found from this file so it
 * holds from any working directory and from both trees `rapport` runs: the sources (src/package-root.ts)
 * and the compiled build (dist/src/package-root.js, one level deeper).
 */
export const PACKAGE_ROOT = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  import.meta.url.endsWith('.ts') ? '..' : '../..',
);
