import { readFileSync } from 'node:fs';
import type { App } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { SLACK_LISTENERS, registerSlackListeners } from '../../../connectors/slack/slack-listeners.ts';
import { SLACK_BOT_SCOPES } from '../../../connectors/slack/slack-scopes.ts';
import { SLACK_EVENTS_PATH, SLACK_OAUTH_REDIRECT_PATH } from '../../../connectors/slack/slack.component.ts';
import type { SlackListenerDeps } from '../../../connectors/slack/slack-request.ts';

interface Manifest {
  features: {
    app_home?: { home_tab_enabled?: boolean; messages_tab_enabled?: boolean };
    bot_user?: { display_name: string };
    slash_commands?: Array<{ command: string; url: string; description: string }>;
    shortcuts?: Array<{ name: string; type: 'message' | 'global'; callback_id: string; description: string }>;
  };
  oauth_config: { redirect_urls?: string[]; scopes: { bot: string[]; user?: string[] } };
  settings: {
    event_subscriptions?: { request_url: string; bot_events: string[] };
    interactivity?: { is_enabled: boolean; request_url: string; message_menu_options_url?: string };
    org_deploy_enabled?: boolean;
    socket_mode_enabled?: boolean;
  };
}

const manifest = JSON.parse(readFileSync(new URL('../../../manifest.json', import.meta.url), 'utf8')) as Manifest;

/** What each bot event needs granted before Slack delivers it (Slack's event reference). */
const EVENT_SCOPES: Record<string, string[]> = {
  'message.channels': ['channels:history'],
  'message.groups': ['groups:history'],
  'message.im': ['im:history'],
  'message.mpim': ['mpim:history'],
  app_mention: ['app_mentions:read'],
  channel_shared: ['channels:read', 'groups:read'],
  channel_unshared: ['channels:read', 'groups:read'],
  member_joined_channel: ['channels:read', 'groups:read'],
  member_left_channel: ['channels:read', 'groups:read'],
  app_home_opened: [],
  app_uninstalled: [],
  tokens_revoked: [],
  user_change: ['users:read'],
};

/** The Events API type a bot_events entry arrives as ("message.channels" is a `message` event). */
const eventType = (botEvent: string) => botEvent.split('.')[0];

/** An id a listener was registered with: strings as they are, `/^prefix/` as "prefix*", constraint objects by their id. */
function idOf(matcher: unknown, key: 'action_id' | 'callback_id'): string {
  if (typeof matcher === 'string') return matcher;
  if (matcher instanceof RegExp) {
    const prefix = /^\^([\w:.-]+)$/.exec(matcher.source)?.[1];
    if (!prefix)
      throw new Error(
        `Listener pattern ${matcher} is neither an id nor a plain prefix: list it in SLACK_LISTENERS by hand and teach this test.`,
      );
    return `${prefix}*`;
  }
  const id = (matcher as Record<string, unknown>)[key];
  return idOf(id, key);
}

/** Runs the real registration function against an App that only records what was registered. */
function registeredListeners() {
  const seen = {
    commands: [] as string[],
    shortcuts: [] as Array<{ id: string; type?: string }>,
    actions: [] as string[],
    views: [] as string[],
    options: [] as string[],
    events: [] as string[],
  };
  const app = {
    command: (id: unknown) => void seen.commands.push(idOf(id, 'callback_id')),
    shortcut: (c: unknown) =>
      void seen.shortcuts.push({ id: idOf(c, 'callback_id'), type: (c as { type?: string }).type }),
    action: (c: unknown) => void seen.actions.push(idOf(c, 'action_id')),
    view: (c: unknown) => void seen.views.push(idOf(c, 'callback_id')),
    options: (c: unknown) => void seen.options.push(idOf(c, 'action_id')),
    event: (type: unknown) => void seen.events.push(idOf(type, 'callback_id')),
    message: () => void seen.events.push('message'),
    use: () => {},
    error: () => {},
  };
  // Registration only stores the handlers; nothing in deps is used until a request arrives. Every
  // optional dependency is present (as the component provides them), so listeners that register only
  // when theirs is there (auto-logging) are counted too.
  const present: object = new Proxy(() => present, { get: () => present });
  registerSlackListeners(app as unknown as App, present as SlackListenerDeps);
  return seen;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

describe('manifest.json against the listeners Rapport registers', () => {
  const registered = registeredListeners();

  it('SLACK_LISTENERS lists exactly what registerSlackListeners registers', () => {
    expect(sorted(registered.commands)).toEqual(sorted(SLACK_LISTENERS.commands));
    expect(sorted(registered.shortcuts.filter((s) => s.type === 'message_action').map((s) => s.id))).toEqual(
      sorted(SLACK_LISTENERS.messageShortcuts),
    );
    expect(sorted(registered.shortcuts.filter((s) => s.type === 'shortcut').map((s) => s.id))).toEqual(
      sorted(SLACK_LISTENERS.globalShortcuts),
    );
    expect(registered.shortcuts.filter((s) => s.type !== 'message_action' && s.type !== 'shortcut')).toEqual([]); // a shortcut must say which kind it is
    expect(sorted(registered.actions)).toEqual(sorted(SLACK_LISTENERS.actions));
    expect(sorted(registered.views)).toEqual(sorted(SLACK_LISTENERS.views));
    expect(sorted(registered.options)).toEqual(sorted(SLACK_LISTENERS.options));
    expect(sorted(registered.events)).toEqual(sorted(SLACK_LISTENERS.events));
  });

  it('declares every slash command Rapport answers, and no other', () => {
    expect(sorted((manifest.features.slash_commands ?? []).map((c) => c.command))).toEqual(
      sorted(SLACK_LISTENERS.commands),
    );
  });

  it('declares the message and global shortcuts Rapport answers, and no others', () => {
    const shortcuts = manifest.features.shortcuts ?? [];
    expect(sorted(shortcuts.filter((s) => s.type === 'message').map((s) => s.callback_id))).toEqual(
      sorted(SLACK_LISTENERS.messageShortcuts),
    );
    expect(sorted(shortcuts.filter((s) => s.type === 'global').map((s) => s.callback_id))).toEqual(
      sorted(SLACK_LISTENERS.globalShortcuts),
    );
    expect(shortcuts.find((s) => s.callback_id === 'log_to_crm')).toMatchObject({
      name: 'Log to CRM',
      type: 'message',
    });
    expect(shortcuts.find((s) => s.callback_id === 'new_follow_up')).toMatchObject({
      name: 'New follow-up',
      type: 'global',
    });
    for (const s of shortcuts) expect(s.description.length, `${s.callback_id} needs a description`).toBeGreaterThan(0);
  });

  it('subscribes to exactly the events Rapport listens to, including auto-logging in public and private channels', () => {
    const botEvents = manifest.settings.event_subscriptions?.bot_events ?? [];
    expect(new Set(botEvents).size).toBe(botEvents.length);
    expect(sorted(botEvents.map(eventType))).toEqual(sorted(SLACK_LISTENERS.events));
    expect(botEvents).toEqual(
      expect.arrayContaining([
        'message.channels',
        'message.groups',
        'app_home_opened',
        'app_uninstalled',
        'tokens_revoked',
      ]),
    );
  });

  it('asks for exactly the scopes Rapport installs with, and each subscribed event has the scope it needs', () => {
    const bot = manifest.oauth_config.scopes.bot;
    expect(new Set(bot).size).toBe(bot.length);
    expect(sorted(bot)).toEqual(sorted(SLACK_BOT_SCOPES));
    expect(manifest.oauth_config.scopes.user ?? []).toEqual([]); // Rapport acts as its bot only
    for (const botEvent of manifest.settings.event_subscriptions?.bot_events ?? []) {
      const needs = EVENT_SCOPES[botEvent];
      expect(
        needs,
        `the scope ${botEvent} needs is unknown to this test: look it up and add it to EVENT_SCOPES`,
      ).toBeDefined();
      for (const scope of needs) expect(bot, `${botEvent} needs ${scope}`).toContain(scope);
    }
    if (
      SLACK_LISTENERS.commands.length +
        SLACK_LISTENERS.messageShortcuts.length +
        SLACK_LISTENERS.globalShortcuts.length >
      0
    )
      expect(bot).toContain('commands');
    expect(bot).toContain('chat:write');
  });

  it('turns on interactivity with an options URL for the external selects, and the Home tab only with its event', () => {
    expect(manifest.settings.interactivity?.is_enabled).toBe(true);
    if (SLACK_LISTENERS.options.length > 0)
      expect(manifest.settings.interactivity?.message_menu_options_url).toBeDefined();
    expect(manifest.features.app_home?.home_tab_enabled === true).toBe(
      SLACK_LISTENERS.events.includes('app_home_opened'),
    );
    // A Messages tab people can type into is on exactly when Rapport reads message.im (DMs are commands).
    expect(manifest.features.app_home?.messages_tab_enabled === true).toBe(
      (manifest.settings.event_subscriptions?.bot_events ?? []).includes('message.im'),
    );
  });

  it('points every request URL at the bot and the OAuth redirect at the path Rapport serves', () => {
    const eventsUrls = [
      ...(manifest.features.slash_commands ?? []).map((c) => c.url),
      manifest.settings.event_subscriptions?.request_url,
      manifest.settings.interactivity?.request_url,
      manifest.settings.interactivity?.message_menu_options_url,
    ].filter((u): u is string => u !== undefined);
    const origins = new Set(eventsUrls.map((u) => new URL(u).origin));
    expect(origins.size).toBe(1);
    for (const u of eventsUrls) expect(new URL(u).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest.oauth_config.redirect_urls?.map((u) => new URL(u).pathname)).toEqual([SLACK_OAUTH_REDIRECT_PATH]);
    expect(new URL(manifest.oauth_config.redirect_urls![0]).origin).toBe([...origins][0]);
  });
});
