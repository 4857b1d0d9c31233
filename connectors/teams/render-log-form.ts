import { LOG_FORM_KINDS, type LogFormField, type LogFormKind } from '../../src/commands/handlers/log-form.handler.ts';
import { MAX_LOG_TEXT_CHARS } from '../../src/services/log-communication.service.ts';
import type { AdaptiveCardJson } from './render-card.ts';

/** What the "Log to CRM" form shows: the values to start with (or as the rep left them) and the sentences next to bad fields. */
export interface LogFormCardValues {
  customer?: string;
  createNew?: boolean;
  kind?: LogFormKind;
  /** YYYY-MM-DD */
  date?: string;
  notes?: string;
  /** YYYY-MM-DD */
  followUpDate?: string;
  /** Carried in the submit button's data: the record key of the message being logged. */
  sourceKey: string;
  /** Why the customer was prefilled ("this chat is linked to it", "from a participant's email"). */
  hint?: string;
  /** The highest allowed date (today in the rep's timezone). */
  today: string;
  /**
   * The message being logged as Teams described it (author, attachments, link), carried in the submit
   * button's data as JSON (`rapportMessage`), for a submitAction that does not repeat messagePayload.
   */
  message?: string;
}

/** `data.rapportForm` of the form's submit button: tells a submitAction of ours from anything else. */
export const LOG_FORM_ID = 'log-to-crm';

const KIND_TITLES: Record<LogFormKind, string> = {
  call: 'Call',
  meeting: 'Meeting',
  email: 'Email',
  chat: 'Chat',
  note: 'Note',
};

/**
 * The "Log to CRM" task module: an Adaptive Card 1.5 form (customer, create toggle, kind, date, notes,
 * follow-up day) with one submit button. Server-side errors appear as red sentences under their
 * fields (`form`: at the top, for what no field explains), and every value the rep typed is kept.
 */
export function renderLogFormCard(
  v: LogFormCardValues,
  errors: Partial<Record<LogFormField | 'form', string>> = {},
): AdaptiveCardJson {
  const error = (field: LogFormField | 'form') =>
    errors[field]
      ? [{ type: 'TextBlock', text: errors[field], color: 'Attention', wrap: true, spacing: 'None', size: 'Small' }]
      : [];
  const body: unknown[] = [
    ...(Object.keys(errors).length
      ? [
          {
            type: 'TextBlock',
            text: errors.form ?? 'Nothing was logged yet: fix the fields below.',
            color: 'Attention',
            weight: 'Bolder',
            wrap: true,
          },
        ]
      : []),
    {
      type: 'Input.Text',
      id: 'customer',
      label: 'Customer',
      placeholder: 'Company name, contact, email or domain',
      value: v.customer ?? '',
      isRequired: true,
      errorMessage: 'Name the customer.',
      maxLength: 200,
    },
    ...(v.hint
      ? [{ type: 'TextBlock', text: v.hint, isSubtle: true, size: 'Small', wrap: true, spacing: 'None' }]
      : []),
    ...error('customer'),
    {
      type: 'Input.Toggle',
      id: 'createNew',
      title: 'Create this customer if there is none by that name',
      value: v.createNew ? 'true' : 'false',
      valueOn: 'true',
      valueOff: 'false',
    },
    {
      type: 'Input.ChoiceSet',
      id: 'kind',
      label: 'How',
      style: 'compact',
      value: v.kind ?? 'chat',
      choices: LOG_FORM_KINDS.map((k) => ({ title: KIND_TITLES[k], value: k })),
    },
    ...error('kind'),
    { type: 'Input.Date', id: 'date', label: 'When', value: v.date ?? v.today, max: v.today },
    ...error('date'),
    {
      type: 'Input.Text',
      id: 'notes',
      label: 'What happened',
      isMultiline: true,
      value: v.notes ?? '',
      isRequired: true,
      errorMessage: 'Write what happened.',
      maxLength: MAX_LOG_TEXT_CHARS,
    },
    ...error('notes'),
    {
      type: 'Input.Date',
      id: 'followUpDate',
      label: 'Follow up on (optional)',
      value: v.followUpDate ?? '',
      min: v.today,
    },
    ...error('followUpDate'),
  ];
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    actions: [
      {
        type: 'Action.Submit',
        title: 'Log',
        style: 'positive',
        data: { rapportForm: LOG_FORM_ID, sourceKey: v.sourceKey, ...(v.message ? { rapportMessage: v.message } : {}) },
      },
    ],
  };
}
