import { inflateRawSync, crc32, inflateSync } from 'node:zlib';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMAND_WORDS } from '../../../src/commands/parse-command.ts';
import {
  appPackageProblems,
  buildTeamsAppPackage,
  APP_PACKAGE_DIR,
} from '../../../connectors/teams/app-package/teams-app-package.ts';
import { LOG_TO_CRM_COMMAND_ID } from '../../../connectors/teams/log-to-crm.action.ts';

const APP_ID = '6f1c2d3e-4a5b-4c7d-8e9f-0a1b2c3d4e5f';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Reads a zip the way unzip does: from the end-of-central-directory record, through the central directory. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThan(0);
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  let at = zip.readUInt32LE(eocd + 16);
  expect(at + size).toBe(eocd);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const length = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(dataStart, dataStart + compressed);
    const data =
      method === 8 ? inflateRawSync(raw) : method === 0 ? Buffer.from(raw) : expect.fail(`unknown method ${method}`);
    expect(data.length).toBe(length);
    expect(crc32(data)).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength + extra;
  }
  return files;
}

/** Width, height, colour type and the RGBA rows of one of our PNGs (8-bit RGBA, filter 0). */
function readPng(png: Buffer): {
  width: number;
  height: number;
  colorType: number;
  pixel: (x: number, y: number) => number[];
} {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const chunks: Buffer[] = [];
  let at = 8;
  let header: Buffer | undefined;
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') header = data;
    if (type === 'IDAT') chunks.push(data);
    at += 12 + length;
  }
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * 4 + 1;
  for (let y = 0; y < height; y++) expect(raw[y * stride]).toBe(0);
  return {
    width,
    height,
    colorType: header![9],
    pixel: (x, y) => [...raw.subarray(y * stride + 1 + x * 4, y * stride + 5 + x * 4)],
  };
}

describe('Teams app package', () => {
  it('fills the manifest: schema 1.29 fields, GUID ids, the bot id everywhere, scopes, validDomains', async () => {
    const { manifest: m } = await buildTeamsAppPackage({
      appId: APP_ID.toUpperCase(),
      domain: 'Rapport.Example.com',
      version: '1.2.3',
    });
    expect(m).toMatchObject({
      manifestVersion: '1.29',
      version: '1.2.3',
      id: APP_ID,
      accentColor: expect.stringMatching(/^#[0-9A-Fa-f]{6}$/),
    });
    expect(m.$schema).toBe('https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json');
    for (const key of ['developer', 'name', 'description', 'icons']) expect(m[key]).toBeTruthy();
    const developer = m.developer as Record<string, string>;
    for (const url of [developer.websiteUrl, developer.privacyUrl, developer.termsOfUseUrl])
      expect(url).toMatch(/^https:\/\/rapport\.example\.com\//);
    const name = m.name as { short: string; full: string };
    expect(name.short.length).toBeLessThanOrEqual(30);
    const description = m.description as { short: string; full: string };
    expect(description.short.length).toBeLessThanOrEqual(80);
    expect(description.full.length).toBeLessThanOrEqual(4000);
    expect(m.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(m.validDomains).toContain('rapport.example.com');

    const [bot] = m.bots as Array<{
      botId: string;
      scopes: string[];
      commandLists: Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }>;
    }>;
    expect(bot.botId).toBe(APP_ID);
    expect(bot.botId).toMatch(GUID);
    expect(bot.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    const [extension] = m.composeExtensions as Array<{ botId: string; commands: Array<Record<string, unknown>> }>;
    expect(extension.botId).toBe(APP_ID);
    expect(JSON.stringify(m)).not.toMatch(/\{\{/);
    // Auto-logging needs every message of linked channels and chats, not only @mentions (RSC).
    expect(m.webApplicationInfo).toMatchObject({ id: APP_ID });
    const rsc = (m.authorization as { permissions: { resourceSpecific: Array<{ name: string; type: string }> } })
      .permissions.resourceSpecific;
    expect(rsc).toEqual(
      expect.arrayContaining([
        { name: 'ChannelMessage.Read.Group', type: 'Application' },
        { name: 'ChatMessage.Read.Chat', type: 'Application' },
      ]),
    );
  });

  it("lists only commands of the shared grammar, at most 10 per list (Teams' limit), within the title/description limits", async () => {
    const { manifest } = await buildTeamsAppPackage({ appId: APP_ID, domain: 'rapport.example.com', version: '1.0.0' });
    const [bot] = manifest.bots as Array<{
      commandLists: Array<{ scopes: string[]; commands: Array<{ title: string; description: string }> }>;
    }>;
    for (const list of bot.commandLists) {
      expect(list.commands.length).toBeLessThanOrEqual(10);
      for (const c of list.commands) {
        expect(COMMAND_WORDS[c.title], `"${c.title}" is not a command of the grammar`).toBe(c.title);
        expect(c.title.length).toBeLessThanOrEqual(32);
        expect(c.description.length).toBeLessThanOrEqual(128);
      }
      expect(new Set(list.commands.map((c) => c.title)).size).toBe(list.commands.length);
      for (const essential of ['help', 'log', 'lookup', 'followups', 'link', 'unlink'])
        expect(list.commands.map((c) => c.title)).toContain(essential);
    }
  });

  it('declares "Log to CRM" as a message action whose id the bot handles', async () => {
    const { manifest } = await buildTeamsAppPackage({ appId: APP_ID, domain: 'rapport.example.com', version: '1.0.0' });
    const [extension] = manifest.composeExtensions as Array<{ commands: Array<Record<string, unknown>> }>;
    expect(extension.commands).toEqual([
      expect.objectContaining({
        id: LOG_TO_CRM_COMMAND_ID,
        type: 'action',
        title: 'Log to CRM',
        context: ['message'],
        fetchTask: true,
      }),
    ]);
  });

  it('ships a 192×192 colour icon and a 32×32 outline icon that is white on transparent only', () => {
    const color = readPng(readFileSync(join(APP_PACKAGE_DIR, 'color.png')));
    expect([color.width, color.height, color.colorType]).toEqual([192, 192, 6]);
    expect(color.pixel(0, 0)[3]).toBe(255); // full bleed: no transparent corners
    const outline = readPng(readFileSync(join(APP_PACKAGE_DIR, 'outline.png')));
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let drawn = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const [r, g, b, a] = outline.pixel(x, y);
        if (a === 0) continue;
        drawn++;
        expect([r, g, b]).toEqual([255, 255, 255]);
      }
    }
    expect(drawn).toBeGreaterThan(100);
    expect(outline.pixel(0, 0)[3]).toBe(0);
  });

  it('zips manifest.json and both icons at the root, readable through the central directory', async () => {
    const { zip, manifest } = await buildTeamsAppPackage({
      appId: APP_ID,
      domain: 'rapport.example.com',
      version: '1.0.0',
    });
    const files = readZip(zip);
    expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
    expect(JSON.parse(files.get('manifest.json')!.toString('utf8'))).toEqual(manifest);
    expect(files.get('color.png')).toEqual(readFileSync(join(APP_PACKAGE_DIR, 'color.png')));
  });

  it('refuses a missing or malformed app id, domain or version with sentences', () => {
    expect(appPackageProblems({ appId: '', domain: '', version: '1.0.0' })).toEqual([
      expect.stringMatching(/MICROSOFT_APP_ID is not set/),
      expect.stringMatching(/--domain/),
    ]);
    expect(
      appPackageProblems({ appId: 'rapport-bot', domain: 'https://rapport.example.com/api', version: 'v1' }),
    ).toHaveLength(3);
  });

  it('npm run teams:package writes rapport-teams.zip from MICROSOFT_APP_ID without MICROSOFT_APP_PASSWORD, with the configured links, and says what is missing otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rapport-teams-package-'));
    const run = promisify(execFile);
    try {
      // Issue 20: packaging needs no password; the links are the operator's public pages.
      const env = {
        ...process.env,
        MICROSOFT_APP_ID: APP_ID,
        MICROSOFT_APP_PASSWORD: '',
        TEAMS_WEBSITE_URL: 'https://www.example.com/rapport',
        TEAMS_PRIVACY_URL: 'https://www.example.com/privacy',
        TEAMS_TERMS_URL: 'https://www.example.com/terms',
      };
      const { stdout } = await run(
        'npm',
        [
          'run',
          '-s',
          'teams:package',
          '--',
          '--domain',
          'rapport.example.com',
          '--out',
          join(dir, 'rapport-teams.zip'),
        ],
        { env, timeout: 60_000 },
      );
      expect(stdout).toMatch(/Wrote .*rapport-teams\.zip/);
      const files = readZip(readFileSync(join(dir, 'rapport-teams.zip')));
      const packaged = JSON.parse(files.get('manifest.json')!.toString());
      expect(packaged.bots[0].botId).toBe(APP_ID);
      expect(packaged.developer).toMatchObject({
        websiteUrl: 'https://www.example.com/rapport',
        privacyUrl: 'https://www.example.com/privacy',
        termsOfUseUrl: 'https://www.example.com/terms',
      });

      const badLink = await run('npx', ['tsx', 'scripts/teams-package.ts', '--domain', 'rapport.example.com'], {
        env: { ...process.env, MICROSOFT_APP_ID: APP_ID, TEAMS_PRIVACY_URL: 'http://intranet/privacy' },
        timeout: 60_000,
      }).catch((e: { code: number; stderr: string }) => e);
      expect(badLink).toMatchObject({ code: 78, stderr: expect.stringMatching(/TEAMS_PRIVACY_URL must be an https/) });

      const failed = await run('npx', ['tsx', 'scripts/teams-package.ts', '--domain', 'rapport.example.com'], {
        env: { ...process.env, MICROSOFT_APP_ID: '', MICROSOFT_APP_PASSWORD: '' },
        timeout: 60_000,
      }).catch((e: { code: number; stderr: string }) => e);
      expect(failed).toMatchObject({ code: 78, stderr: expect.stringMatching(/MICROSOFT_APP_ID is not set/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
