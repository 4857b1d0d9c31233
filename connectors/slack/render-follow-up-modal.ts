import type { ModalView } from '@slack/types';
import type { ViewStateValue } from '@slack/bolt';
import type { FollowUpFormField } from '../../src/commands/handlers/follow-up-form.handler.ts';
import { SLACK_LIMITS, truncate } from './render-blocks.ts';
import { customerFromOption, customerInput, blockValue } from './render-log-modal.ts';

/** callback_id of the new-follow-up modal (the "New follow-up" global shortcut). */
export const FOLLOW_UP_VIEW_ID = 'rapport_new_follow_up';

/** block_id of each field of the follow-up form. */
export const FOLLOW_UP_BLOCKS: Record<FollowUpFormField, string> = {
  customer: 'customer',
  title: 'title',
  dueAt: 'due',
  assignee: 'assignee',
};

/** What the follow-up modal carries to its submission (private_metadata). */
export interface FollowUpModalState {
  teamId: string;
}

const plain = (text: string, max: number) => ({
  type: 'plain_text' as const,
  text: truncate(text, max) || ' ',
  emoji: true,
});

/**
 * The new-follow-up modal: customer (the same external select as the log modal), what, due date and
 * time (a date-time picker, shown in the user's own timezone by Slack; default `initialDue`), and the
 * assignee (a users_select, default the person who clicked).
 */
export function renderFollowUpModal(opts: {
  state: FollowUpModalState;
  initialDue: Date;
  assigneeUserId: string;
}): ModalView {
  return {
    type: 'modal',
    callback_id: FOLLOW_UP_VIEW_ID,
    title: plain('New follow-up', 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    private_metadata: JSON.stringify(opts.state),
    blocks: [
      customerInput(),
      {
        type: 'input',
        block_id: FOLLOW_UP_BLOCKS.title,
        label: plain('What', 2000),
        element: {
          type: 'plain_text_input',
          action_id: 'title',
          max_length: 500,
          placeholder: plain('e.g. Send the quote for 50 seats', SLACK_LIMITS.placeholderText),
        },
      },
      {
        type: 'input',
        block_id: FOLLOW_UP_BLOCKS.dueAt,
        label: plain('Due', 2000),
        element: {
          type: 'datetimepicker',
          action_id: 'due',
          initial_date_time: Math.floor(opts.initialDue.getTime() / 1000),
        },
      },
      {
        type: 'input',
        block_id: FOLLOW_UP_BLOCKS.assignee,
        label: plain('Assignee', 2000),
        element: {
          type: 'users_select',
          action_id: 'assignee',
          initial_user: opts.assigneeUserId,
          placeholder: plain('Who follows up', SLACK_LIMITS.placeholderText),
        },
      },
    ],
  };
}

/** The follow-up form as the modal's state holds it (the assignee as a Slack user id). */
export function readFollowUpModal(values: Record<string, Record<string, ViewStateValue>>): {
  customer: ReturnType<typeof customerFromOption>;
  title?: string;
  dueAt?: Date;
  assigneeUserId?: string;
} {
  const due = blockValue(values, FOLLOW_UP_BLOCKS.dueAt)?.selected_date_time;
  return {
    customer: customerFromOption(blockValue(values, FOLLOW_UP_BLOCKS.customer)?.selected_option?.value),
    title: blockValue(values, FOLLOW_UP_BLOCKS.title)?.value ?? undefined,
    dueAt: typeof due === 'number' ? new Date(due * 1000) : undefined,
    assigneeUserId: blockValue(values, FOLLOW_UP_BLOCKS.assignee)?.selected_user ?? undefined,
  };
}
