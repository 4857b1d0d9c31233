import { existsSync } from 'node:fs';
import { buildPgliteTemplate, defaultPgliteTemplatePath } from '../src/db/pglite-template.ts';

/** Every in-memory PGlite of the suite starts from the template (npm install builds it; this covers a missing one). */
export default async function setup(): Promise<void> {
  if (!existsSync(defaultPgliteTemplatePath())) await buildPgliteTemplate();
}
