import type { App } from '@slack/bolt';
import { ACTION_PREFIX, INPUT_VIEW_ID } from './render-blocks.ts';
import type { SlackListenerDeps } from './slack-request.ts';
import { CRM_COMMAND, registerCrmCommand } from './commands/crm.command.ts';
import { registerRapportActions } from './actions/rapport.action.ts';
import { registerInputView } from './views/input.view.ts';
import { registerUninstallEvents, UNINSTALL_EVENTS } from './events/app-uninstalled.event.ts';
import { CUSTOMER_ACTION_ID, LOG_VIEW_ID } from './render-log-modal.ts';
import { FOLLOW_UP_VIEW_ID } from './render-follow-up-modal.ts';
import { HOME_ACTION_PREFIX } from './render-home.ts';
import { registerCustomerOptions } from './options/customer.options.ts';
import { registerLogView } from './views/log.view.ts';
import { registerFollowUpView } from './views/follow-up.view.ts';
import { registerHomeInputView } from './views/home-input.view.ts';
import { LOG_TO_CRM_SHORTCUT, registerLogToCrmShortcut } from './shortcuts/log-to-crm.shortcut.ts';
import { NEW_FOLLOW_UP_SHORTCUT, registerNewFollowUpShortcut } from './shortcuts/new-follow-up.shortcut.ts';
import { HOME_EVENTS, registerAppHomeOpened } from './events/app-home-opened.event.ts';
import { HOME_INPUT_VIEW_ID, registerHomeActions } from './actions/home.action.ts';
import { MESSAGE_EVENTS, registerMessageEvents } from './events/message.event.ts';
import { registerOutsiderGate } from './outsider-gate.ts';
import { COMMAND_MESSAGE_EVENTS, registerCommandMessages } from './events/command-message.event.ts';

/**
 * Everything Rapport listens to in Slack, by kind. manifest.json must declare exactly what needs a
 * declaration (commands, shortcuts, bot events, options for external selects) and
 * test/unit/slack/manifest.test.ts checks both directions. Whoever adds a listener adds its id here
 * and registers it in {@link registerSlackListeners}: one place for HTTP and Socket Mode alike.
 */
export interface SlackListenerIds {
  /** Slash commands (manifest features.slash_commands). */
  commands: string[];
  /** Message shortcuts' callback_ids (manifest features.shortcuts, type "message"). */
  messageShortcuts: string[];
  /** Global shortcuts' callback_ids (manifest features.shortcuts, type "global"). */
  globalShortcuts: string[];
  /** Block action_ids; a trailing `*` means a prefix (Rapport's generated buttons `rapport:<n>`). Not declared in the manifest. */
  actions: string[];
  /** Modal callback_ids (view_submission / view_closed). Not declared in the manifest. */
  views: string[];
  /** action_ids of external selects whose options Rapport serves (needs interactivity.message_menu_options_url). */
  options: string[];
  /** Events API event types (manifest settings.event_subscriptions.bot_events, message.* as "message"). */
  events: string[];
}

/**
 * The listeners {@link registerSlackListeners} registers. Keep in step with the registration below;
 * the manifest test reads this list.
 */
export const SLACK_LISTENERS: SlackListenerIds = {
  commands: [CRM_COMMAND],
  messageShortcuts: [LOG_TO_CRM_SHORTCUT],
  globalShortcuts: [NEW_FOLLOW_UP_SHORTCUT],
  actions: [`${ACTION_PREFIX}*`, `${HOME_ACTION_PREFIX}*`],
  views: [INPUT_VIEW_ID, LOG_VIEW_ID, FOLLOW_UP_VIEW_ID, HOME_INPUT_VIEW_ID],
  options: [CUSTOMER_ACTION_ID],
  events: [...UNINSTALL_EVENTS, ...HOME_EVENTS, ...MESSAGE_EVENTS, ...COMMAND_MESSAGE_EVENTS],
};

/**
 * Registers every Slack listener on an App. The component calls it once for whichever receiver the
 * configuration picks (HTTP with a signing secret, or Socket Mode with an app token), so both modes
 * answer the same commands, clicks and events.
 */
export function registerSlackListeners(app: App, deps: SlackListenerDeps): void {
  // First: outsiders' commands, clicks and modals are refused before any listener sees them.
  registerOutsiderGate(app, deps);
  registerCrmCommand(app, deps);
  registerRapportActions(app, deps);
  registerInputView(app, deps);
  registerUninstallEvents(app, deps);
  registerCustomerOptions(app, deps);
  registerLogView(app, deps);
  registerLogToCrmShortcut(app, deps);
  registerNewFollowUpShortcut(app, deps);
  registerFollowUpView(app, deps);
  registerAppHomeOpened(app, deps);
  registerHomeActions(app, deps);
  registerHomeInputView(app, deps);
  registerMessageEvents(app, deps);
  registerCommandMessages(app, deps);
}
