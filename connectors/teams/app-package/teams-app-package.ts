import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { zipArchive } from './zip-archive.ts';

/** The folder holding manifest.json (a template), color.png and outline.png. */
export const APP_PACKAGE_DIR = fileURLToPath(new URL('.', import.meta.url));

/** What is written into the manifest template when packaging. */
export interface TeamsAppPackageOptions {
  /** MICROSOFT_APP_ID: the Azure bot registration's GUID, used as the app id, the bot id and the message extension's bot id. */
  appId: string;
  /** Public host name of the Rapport server (no scheme, no path), e.g. `rapport.example.com`: the developer links and validDomains. */
  domain: string;
  /** The app's version (x.y.z); Teams asks for a higher one on every update of an uploaded app. */
  version: string;
  /** The app's website (TEAMS_WEBSITE_URL); default `https://<domain>/console`, which only the operator's network may reach. */
  websiteUrl?: string;
  /** Privacy statement (TEAMS_PRIVACY_URL); default the website. */
  privacyUrl?: string;
  /** Terms of use (TEAMS_TERMS_URL); default the website. */
  termsUrl?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/i;
const VERSION = /^\d{1,5}\.\d{1,5}\.\d{1,5}$/;

/** Why these options cannot make a package, one sentence each; empty = fine. */
export function appPackageProblems(o: Partial<TeamsAppPackageOptions>): string[] {
  const problems: string[] = [];
  if (!o.appId)
    problems.push(
      "MICROSOFT_APP_ID is not set: the package needs the bot registration's app id (a GUID from Azure Bot Service).",
    );
  else if (!GUID.test(o.appId))
    problems.push(`MICROSOFT_APP_ID must be a GUID like 00000000-0000-0000-0000-000000000000 (got "${o.appId}").`);
  if (!o.domain)
    problems.push(
      'The public host name is missing: pass --domain rapport.example.com (the host Azure Bot Service sends /api/messages to).',
    );
  else if (!HOST.test(o.domain))
    problems.push(
      `--domain must be a host name such as rapport.example.com, without https:// or a path (got "${o.domain}").`,
    );
  if (!o.version || !VERSION.test(o.version))
    problems.push(`The version must look like 1.2.3 (got "${o.version ?? ''}").`);
  return problems;
}

/** manifest.json with the placeholders ({{MICROSOFT_APP_ID}}, {{DOMAIN}}, {{VERSION}}) filled in. */
export async function renderTeamsManifest(o: TeamsAppPackageOptions): Promise<Record<string, unknown>> {
  const template = await readFile(join(APP_PACKAGE_DIR, 'manifest.json'), 'utf8');
  const values: Record<string, string> = {
    MICROSOFT_APP_ID: o.appId.toLowerCase(),
    DOMAIN: o.domain.toLowerCase(),
    VERSION: o.version,
    ...developerLinks(o),
  };
  // Substituted inside the parsed JSON, so no value can break its syntax.
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\{\{([A-Z_]+)\}\}/g, (_m, key: string) => values[key] ?? `{{${key}}}`);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const manifest = fill(JSON.parse(template)) as Record<string, unknown>;
  const left = JSON.stringify(manifest).match(/\{\{[A-Z_]+\}\}/);
  if (left) throw new Error(`manifest.json has a placeholder nobody fills in: ${left[0]}.`);
  return manifest;
}

/** The developer links a package carries: the configured ones, else the console on the bot's host. */
export function developerLinks(o: TeamsAppPackageOptions): {
  WEBSITE_URL: string;
  PRIVACY_URL: string;
  TERMS_URL: string;
} {
  const website = o.websiteUrl ?? `https://${o.domain.toLowerCase()}/console`;
  return { WEBSITE_URL: website, PRIVACY_URL: o.privacyUrl ?? website, TERMS_URL: o.termsUrl ?? website };
}

/**
 * The Teams app package: a zip with manifest.json, color.png and outline.png at its root, ready for
 * Teams' "Upload a custom app" or the admin center.
 * @throws Error listing every problem with the options.
 */
export async function buildTeamsAppPackage(
  o: TeamsAppPackageOptions,
): Promise<{ manifest: Record<string, unknown>; zip: Buffer }> {
  const problems = appPackageProblems(o);
  if (problems.length) throw new Error(problems.join('\n'));
  const manifest = await renderTeamsManifest(o);
  const zip = zipArchive([
    { name: 'manifest.json', data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) },
    { name: 'color.png', data: await readFile(join(APP_PACKAGE_DIR, 'color.png')) },
    { name: 'outline.png', data: await readFile(join(APP_PACKAGE_DIR, 'outline.png')) },
  ]);
  return { manifest, zip };
}
