import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/package-root.ts';
import { buildTeamsAppPackage } from '../../connectors/teams/app-package/teams-app-package.ts';

// The three are CommonJS with `exports.default`; required, they are the classes and the plugin themselves.
const require = createRequire(import.meta.url);
const Ajv07 = (require('ajv') as { default: typeof Ajv }).default;
const Ajv04 = (require('ajv-draft-04') as { default: typeof Ajv }).default;
const addFormats = (require('ajv-formats') as { default: FormatsPlugin }).default;

const SCHEMAS = join(PACKAGE_ROOT, 'test/fixtures/schemas');
const schema = (file: string) => JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;
const SLACK_REF = 'https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/manifest.schema.';

/** Every error as "path: message", so a failure says what to change. */
const explain = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`);

/** Slack's all-versions schema, its versioned $refs mapped to the local copies (draft-07). */
function slackValidator(): ValidateFunction {
  const ajv = new Ajv07({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(schema('slack-app-manifest.1.0.0.schema.json'), `${SLACK_REF}1.0.0.json`);
  ajv.addSchema(schema('slack-app-manifest.2.0.0.schema.json'), `${SLACK_REF}2.0.0.json`);
  return ajv.compile(schema('slack-app-manifest.schema.json'));
}

/** The newest Teams manifest schema (draft-04; it also uses `const`, which Ajv knows in every draft). */
function teamsValidator(): { validate: ValidateFunction; version: string } {
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  const teams = schema('teams-app-manifest.latest.schema.json');
  const version = (teams.properties as { manifestVersion: { const: string } }).manifestVersion.const;
  return { validate: ajv.compile(teams), version };
}

// Issue 20: the manifests were only checked against what Rapport registers; now against the official schemas.
describe('manifests against the official schemas (test/fixtures/schemas)', () => {
  it('manifest.json is a valid Slack app manifest', () => {
    const validate = slackValidator();
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'manifest.json'), 'utf8'));
    expect(validate(manifest), explain(validate.errors).join('\n')).toBe(true);
  });

  it('the Slack validator is not a rubber stamp: a wrongly typed setting is refused', () => {
    const validate = slackValidator();
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'manifest.json'), 'utf8'));
    manifest.features.app_home.messages_tab_enabled = 'yes';
    expect(validate(manifest)).toBe(false);
  });

  it('the Teams package manifest is valid against the newest Teams schema, at its version', async () => {
    const { validate, version } = teamsValidator();
    const { manifest } = await buildTeamsAppPackage({
      appId: '6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f',
      domain: 'rapport.example.com',
      version: '1.2.3',
    });
    expect(manifest.manifestVersion).toBe(version);
    expect(manifest.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${version}/MicrosoftTeams.schema.json`,
    );
    expect(validate(manifest), explain(validate.errors).join('\n')).toBe(true);
    const broken = { ...manifest, developer: { name: 'Rapport' } };
    expect(validate(broken)).toBe(false);
  });
});
