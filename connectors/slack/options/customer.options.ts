import type { App, BlockSuggestion } from '@slack/bolt';
import type { PlainTextOption } from '@slack/types';
import { describeMatch } from '../../../src/commands/resolve-customer.ts';
import { EXACT_SCORE, lookupCustomer } from '../../../src/services/lookup-customer.service.ts';
import { SLACK_LIMITS } from '../render-blocks.ts';
import { CUSTOMER_ACTION_ID, customerOption } from '../render-log-modal.ts';
import type { SlackListenerDeps } from '../slack-request.ts';

/** Most customers offered per keystroke (lookup's own default). */
const MAX_MATCHES = 8;

/**
 * Options of the customer picker in Rapport's modals (external_select, block_suggestion): the matches
 * of the lookup service for what was typed, ranked as `/crm lookup` ranks them, then "Create <typed
 * name>" unless a customer of exactly that name exists. A lookup failure answers no options (Slack
 * shows "no results") and is logged, so typing never hangs.
 */
export function registerCustomerOptions(app: App, deps: SlackListenerDeps): void {
  app.options<'block_suggestion'>({ action_id: CUSTOMER_ACTION_ID }, async ({ ack, body }) => {
    await ack({ options: await customerOptions((body as BlockSuggestion).value, deps) });
  });
}

/** The options for a typed query (exported for the modal tests). */
export async function customerOptions(typed: string, deps: SlackListenerDeps): Promise<PlainTextOption[]> {
  const query = typed.trim().replace(/\s+/g, ' ');
  if (!query) return [];
  let matches: Awaited<ReturnType<typeof lookupCustomer>> = [];
  try {
    matches = await lookupCustomer(deps.commands.db, query, { limit: MAX_MATCHES });
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message }, 'customer options: lookup failed');
    return [];
  }
  const options = matches.map((m) => customerOption(describeMatch(m), { companyId: m.companyId }));
  const exactName = matches.some((m) => m.matchedOn === 'name' && m.score >= EXACT_SCORE);
  // The name travels in the option value ("new:<name>"), which Slack caps at 150 characters.
  if (!exactName && `new:${query}`.length <= SLACK_LIMITS.optionValue)
    options.push(customerOption(`Create “${query}”`, { newName: query }));
  return options;
}
