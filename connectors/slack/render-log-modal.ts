import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { ViewStateValue } from '@slack/bolt';
import {
  LOG_FORM_KINDS,
  type FormCustomer,
  type LogFormField,
  type LogFormInput,
  type LogFormKind,
} from '../../src/commands/handlers/log-form.handler.ts';
import { SLACK_LIMITS, truncate } from './render-blocks.ts';

/** callback_id of the log modal (`/crm log` without arguments and the "Log to CRM" message shortcut). */
export const LOG_VIEW_ID = 'rapport_log';
/** action_id of every customer picker; its options come from the lookup service (options/customer.options.ts). */
export const CUSTOMER_ACTION_ID = 'rapport_customer';
/** Fewest characters typed before Slack asks for customer options. */
export const CUSTOMER_MIN_QUERY_LENGTH = 1;
/** Longest text a plain_text_input holds: a longer message is cut to fit the notes field. */
export const PLAIN_TEXT_INPUT_MAX = 3000;

/** block_id of each log-form field; a per-field error from the form goes back to the block of the same field. */
export const LOG_BLOCKS: Record<LogFormField, string> = {
  customer: 'customer',
  kind: 'kind',
  date: 'date',
  notes: 'notes',
  followUpDate: 'follow_up',
};

/** What the log modal carries from opening to submission (private_metadata, at most 3000 characters). */
export interface LogModalState {
  teamId: string;
  /** The channel it was opened from: the answer goes there (ephemeral) and a follow-up's reminder falls back to it. */
  channelId?: string;
  /** Source key of the record; unset means "this modal": slack:view:<team>/<view id>. */
  sourceKey?: string;
}

const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: truncate(text, max) || ' ',
  emoji: true,
});

/** A customer as an option of the external select: value `id:<uuid>` or `new:<typed name>`. */
export function customerOption(label: string, customer: FormCustomer): PlainTextOption {
  return {
    text: plain(label, SLACK_LIMITS.optionText),
    value: 'companyId' in customer ? `id:${customer.companyId}` : `new:${customer.newName}`,
  };
}

/** Reads an option value back (see {@link customerOption}); undefined for nothing picked or a foreign value. */
export function customerFromOption(value: string | undefined | null): FormCustomer | undefined {
  if (value?.startsWith('id:')) return { companyId: value.slice(3) };
  if (value?.startsWith('new:') && value.length > 4) return { newName: value.slice(4) };
  return undefined;
}

/** The customer picker shared by the log and follow-up modals. */
export function customerInput(initial?: PlainTextOption): InputBlock {
  return {
    type: 'input',
    block_id: LOG_BLOCKS.customer,
    label: plain('Customer', 2000),
    element: {
      type: 'external_select',
      action_id: CUSTOMER_ACTION_ID,
      min_query_length: CUSTOMER_MIN_QUERY_LENGTH,
      placeholder: plain('Company, contact, email or domain', SLACK_LIMITS.placeholderText),
      ...(initial ? { initial_option: initial } : {}),
    },
  };
}

const KIND_LABELS: Record<LogFormKind, string> = {
  call: 'Call',
  meeting: 'Meeting',
  email: 'Email',
  chat: 'Chat',
  note: 'Note',
};

/**
 * The log modal: customer (external select, optionally guessed), kind, date (today in the rep's
 * timezone), notes (multi-line, required; prefilled from a message) and an optional follow-up day.
 */
export function renderLogModal(opts: {
  state: LogModalState;
  today: string;
  customer?: PlainTextOption;
  notes?: string;
  kind?: LogFormKind;
  title?: string;
}): ModalView {
  const kindOption = (k: LogFormKind): PlainTextOption => ({
    text: plain(KIND_LABELS[k], SLACK_LIMITS.optionText),
    value: k,
  });
  const blocks: KnownBlock[] = [
    customerInput(opts.customer),
    {
      type: 'input',
      block_id: LOG_BLOCKS.kind,
      label: plain('Kind', 2000),
      element: {
        type: 'static_select',
        action_id: 'kind',
        options: LOG_FORM_KINDS.map(kindOption),
        initial_option: kindOption(opts.kind ?? 'note'),
      },
    },
    {
      type: 'input',
      block_id: LOG_BLOCKS.date,
      label: plain('Date', 2000),
      element: { type: 'datepicker', action_id: 'date', initial_date: opts.today },
    },
    {
      type: 'input',
      block_id: LOG_BLOCKS.notes,
      label: plain('Notes', 2000),
      element: {
        type: 'plain_text_input',
        action_id: 'notes',
        multiline: true,
        max_length: PLAIN_TEXT_INPUT_MAX,
        placeholder: plain(
          'What happened? e.g. Called Jo, wants a quote for 50 seats by Friday',
          SLACK_LIMITS.placeholderText,
        ),
        ...(opts.notes ? { initial_value: truncate(opts.notes, PLAIN_TEXT_INPUT_MAX) } : {}),
      },
    },
    {
      type: 'input',
      block_id: LOG_BLOCKS.followUpDate,
      optional: true,
      label: plain('Follow up on', 2000),
      hint: plain('Optional: a reminder at 9:00 that day.', 2000),
      element: {
        type: 'datepicker',
        action_id: 'follow_up',
        placeholder: plain('No follow-up', SLACK_LIMITS.placeholderText),
      },
    },
  ];
  return {
    type: 'modal',
    callback_id: LOG_VIEW_ID,
    title: plain(opts.title ?? 'Log a conversation', 24),
    submit: plain('Log', 24),
    close: plain('Cancel', 24),
    private_metadata: JSON.stringify(opts.state),
    blocks,
  };
}

type StateValues = Record<string, Record<string, ViewStateValue>>;

/** The first (only) element's value of a block. */
export function blockValue(values: StateValues, blockId: string): ViewStateValue | undefined {
  const block = values[blockId];
  return block ? Object.values(block)[0] : undefined;
}

/** The log form as the modal's state holds it. */
export function readLogModal(values: StateValues, sourceKey: string): LogFormInput {
  return {
    customer: customerFromOption(blockValue(values, LOG_BLOCKS.customer)?.selected_option?.value),
    kind: (blockValue(values, LOG_BLOCKS.kind)?.selected_option?.value ?? undefined) as LogFormKind | undefined,
    date: blockValue(values, LOG_BLOCKS.date)?.selected_date ?? undefined,
    notes: blockValue(values, LOG_BLOCKS.notes)?.value ?? undefined,
    followUpDate: blockValue(values, LOG_BLOCKS.followUpDate)?.selected_date ?? undefined,
    sourceKey,
  };
}

/** Maps form field errors to the modal's block ids (response_action: errors). */
export function blockErrors<F extends string>(
  errors: Partial<Record<F, string>>,
  blocks: Record<F, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([field, message]) => [blocks[field as F], message as string]));
}
