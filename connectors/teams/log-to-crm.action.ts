import {
  CardFactory,
  TeamsInfo,
  type MessagingExtensionAction,
  type MessagingExtensionActionResponse,
  type TurnContext,
} from 'botbuilder';
import type { CommandContext } from '../../src/commands/command-context.ts';
import type { CommandDeps } from '../../src/commands/command-deps.ts';
import { formatLocalDate } from '../../src/commands/form-result.ts';
import {
  LOG_FORM_KINDS,
  submitLogForm,
  type FormCustomer,
  type LogFormField,
  type LogFormKind,
} from '../../src/commands/handlers/log-form.handler.ts';
import { instantToWallClock } from '../../src/domain/zoned-time.ts';
import type { Logger } from '../../src/logger.ts';
import { guessCustomer } from '../../src/services/guess-customer.service.ts';
import { confidentMatch, lookupCustomer } from '../../src/services/lookup-customer.service.ts';
import { MAX_LOG_TEXT_CHARS } from '../../src/services/log-communication.service.ts';
import { platformUserKey } from '../../src/services/reps.service.ts';
import { LOG_FORM_ID, renderLogFormCard, type LogFormCardValues } from './render-log-form.ts';
import { htmlToPlainText, looksLikeHtml } from './teams-html-text.ts';
import { teamsChannelRef } from './teams-channel-ref.ts';
import { loggedTeamsMessage, messageAuthor, parseLoggedTeamsMessage } from './logged-teams-message.ts';

/** The message extension's action command id: manifest.json's composeExtensions[0].commands[0].id. */
export const LOG_TO_CRM_COMMAND_ID = 'logToCrm';

/** Most conversation members whose email is read to guess the customer (one page of pagedmembers). */
const MAX_MEMBERS = 50;

export interface LogToCrmDeps extends CommandDeps {
  logger: Logger;
  /** RAPPORT_INTERNAL_DOMAINS: a logged message's author with these email domains is ours. */
  internalDomains?: string[];
  /** RAPPORT_TIMEZONE, for a rep Teams gives no timezone for. */
  timezone: string;
  /** MICROSOFT_APP_TENANT_ID: our tenant; a member of any other tenant is never ours (never the conversation's tenant). */
  tenantId?: string;
}

/**
 * composeExtension/fetchTask of "Log to CRM" on a message: the log form in a task module, prefilled
 * with the message's text, kind chat, today, and the customer the conversation is linked to, else
 * the first participant email the lookup service matches. The record is keyed by the message
 * (teams:message:<conversation>/<message id>), so logging the same message twice keeps one record.
 */
export async function openLogToCrm(
  context: TurnContext,
  action: MessagingExtensionAction,
  ctx: CommandContext,
  deps: LogToCrmDeps,
): Promise<MessagingExtensionActionResponse> {
  const message = action.messagePayload;
  const channelRef = teamsChannelRef(context.activity.conversation.id);
  const messageId = message?.id ?? context.activity.replyToId;
  if (!messageId)
    return taskMessage('Teams did not say which message to log; open "Log to CRM" from the message\'s "..." menu.');
  const body = message?.body?.content ?? '';
  const notes = (looksLikeHtml(body, message?.body?.contentType) ? htmlToPlainText(body) : body.trim()).slice(
    0,
    MAX_LOG_TEXT_CHARS,
  );
  const emails = await participantEmails(context, message?.from?.user?.id, deps.logger);
  const guess = await guessCustomer(deps.db, { platform: 'teams', channelRef, emails });
  const logged = loggedTeamsMessage(message);
  return taskForm({
    sourceKey: messageSourceKey(channelRef, messageId),
    ...(logged ? { message: JSON.stringify(logged) } : {}),
    today: formatLocalDate(instantToWallClock(ctx.now, ctx.actor.timezone)),
    customer: guess?.companyName,
    hint: guess
      ? guess.reason === 'channel'
        ? 'This conversation is linked to this customer.'
        : "Guessed from a participant's email address."
      : undefined,
    kind: 'chat',
    notes,
  });
}

/**
 * composeExtension/submitAction of the form: the typed customer must name one customer exactly
 * (or "create" is ticked); then the form goes through the same validation and service as the Slack
 * log modal and the typed `log`. Any problem shows the form again with the sentences under their
 * fields and nothing written; success closes it with what was logged.
 */
export async function submitLogToCrm(
  context: TurnContext,
  action: MessagingExtensionAction,
  ctx: CommandContext,
  deps: LogToCrmDeps,
): Promise<MessagingExtensionActionResponse> {
  const data = (action.data ?? {}) as Record<string, unknown>;
  const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : undefined);
  const sourceKey = str('sourceKey');
  if (data.rapportForm !== LOG_FORM_ID || !sourceKey?.startsWith('teams:message:'))
    return taskMessage('This form does not belong to Rapport; open "Log to CRM" on the message again.');
  const kind = str('kind') as LogFormKind | undefined;
  const values: LogFormCardValues = {
    sourceKey,
    today: formatLocalDate(instantToWallClock(ctx.now, ctx.actor.timezone)),
    customer: str('customer')?.trim(),
    createNew: str('createNew') === 'true',
    kind: kind && LOG_FORM_KINDS.includes(kind) ? kind : undefined,
    date: str('date') || undefined,
    notes: str('notes'),
    followUpDate: str('followUpDate') || undefined,
    message: str('rapportMessage'),
  };
  const customer = await formCustomer(deps, values.customer ?? '', values.createNew ?? false);
  if ('error' in customer) return taskForm(values, { customer: customer.error });
  // The message keeps its own author, link and attachments (Teams' messagePayload when it sends it
  // again on submit, else what the form carried from fetchTask): it is the author's message, not the
  // clicker's note. Only for the message the form was opened on.
  const channelRef = sourceKey.slice('teams:message:'.length, sourceKey.lastIndexOf('/'));
  const messageId = sourceKey.slice(sourceKey.lastIndexOf('/') + 1);
  const message = [loggedTeamsMessage(action.messagePayload), parseLoggedTeamsMessage(values.message)].find(
    (m) => m?.id === messageId,
  );
  const author =
    message && (kind ?? 'chat') === 'chat'
      ? await messageAuthor(context, message, companyIdOf(customer.customer), channelRef, {
          db: deps.db,
          internalDomains: deps.internalDomains ?? [],
          defaultTimezone: deps.timezone,
          tenantId: deps.tenantId,
          logger: deps.logger,
        })
      : undefined;
  const result = await submitLogForm(
    {
      customer: customer.customer,
      kind: kind ?? 'chat',
      date: values.date,
      notes: values.notes,
      followUpDate: values.followUpDate,
      sourceKey,
      // The message auto-logged from a linked channel (or logged by a colleague) stays one record.
      messageExternalId: `teams:${sourceKey.slice('teams:message:'.length)}`,
      author,
    },
    ctx,
    { db: deps.db, hooks: deps.hooks, logger: deps.logger },
  );
  if (!result.ok) return taskForm(values, result.errors);
  // A failure after validation (erased customer, database away): the form stays, with the sentence on top.
  if (result.reply.tone === 'error') return taskForm(values, { form: result.reply.text });
  // Teams could not say who wrote it: asked again through the queue (as for auto-logged messages).
  if (author?.direction === 'unknown' && message?.authorId)
    await deps.hooks?.authorHeld?.({
      platform: 'teams',
      channelRef,
      authorKey: platformUserKey('teams', message.authorId),
    });
  return taskMessage(result.reply.text);
}

/**
 * "teams:message:<conversation>/<message id>": the record key of a logged Teams message. Its message is
 * keyed like every other sight of that message (src/domain/platform-message-key.ts).
 */
export function messageSourceKey(channelRef: string, messageId: string): string {
  return `teams:message:${channelRef}/${messageId}`;
}

function companyIdOf(customer: FormCustomer | undefined): string | null {
  return customer && 'companyId' in customer ? customer.companyId : null;
}

/** The typed customer as the log form takes it, or the sentence to show under the field. */
async function formCustomer(
  deps: CommandDeps,
  typed: string,
  createNew: boolean,
): Promise<{ customer: FormCustomer | undefined } | { error: string }> {
  if (!typed) return { customer: undefined }; // submitLogForm says what is missing
  const matches = await lookupCustomer(deps.db, typed, { limit: 5 });
  const exact = confidentMatch(matches, { requireExact: true });
  if (exact) return { customer: { companyId: exact.companyId } };
  if (createNew) return { customer: { newName: typed } };
  const names = [...new Set(matches.map((m) => m.companyName))].slice(0, 3);
  return {
    error: names.length
      ? `No customer is called exactly "${typed}". Did you mean ${names.map((n) => `"${n}"`).join(', ')}? Type the full name, or tick "Create this customer" to add "${typed}".`
      : `No customer matches "${typed}". Check the spelling, or tick "Create this customer" to add it.`,
  };
}

/**
 * Emails of the conversation's members (Bot Connector pagedmembers), the message's author first.
 * Empty when Teams does not answer: the form then opens without a guess.
 */
async function participantEmails(
  context: TurnContext,
  authorAadId: string | undefined,
  logger: Logger,
): Promise<string[]> {
  try {
    const page = await TeamsInfo.getPagedMembers(context, MAX_MEMBERS);
    const members = [...page.members].sort(
      (a, b) => Number(b.aadObjectId === authorAadId) - Number(a.aadObjectId === authorAadId),
    );
    return members.flatMap((m) =>
      m.email ? [m.email] : m.userPrincipalName?.includes('@') ? [m.userPrincipalName] : [],
    );
  } catch (err) {
    logger.info(
      { err: (err as Error).message, conversationId: context.activity.conversation.id },
      'Log to CRM: could not read the conversation members; no customer guess from emails',
    );
    return [];
  }
}

function taskForm(
  values: LogFormCardValues,
  errors?: Partial<Record<LogFormField | 'form', string>>,
): MessagingExtensionActionResponse {
  return {
    task: {
      type: 'continue',
      value: {
        title: 'Log to CRM',
        width: 'medium',
        height: 'large',
        card: CardFactory.adaptiveCard(renderLogFormCard(values, errors)),
      },
    },
  };
}

function taskMessage(text: string): MessagingExtensionActionResponse {
  return { task: { type: 'message', value: text } };
}
