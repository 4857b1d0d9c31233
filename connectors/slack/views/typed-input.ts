import type { AckFn, SlackViewAction, ViewOutput, ViewResponseAction } from '@slack/bolt';
import { INPUT_ACTION_ID, INPUT_BLOCK_ID, type InputModalState } from '../render-blocks.ts';

/** What Bolt hands a view listener (view_closed acks take no body; submissions may answer errors). */
type ViewAck = AckFn<void> | AckFn<ViewResponseAction>;

/**
 * Acknowledges a submitted free-text modal (a button that asks for text: Change due, Snooze until…):
 * empty text keeps the modal open with a field error and returns undefined; otherwise the modal closes
 * and the typed text comes back with the state the button stored (its command and where it was clicked).
 */
export async function ackTypedInput(
  ack: ViewAck,
  view: ViewOutput | SlackViewAction['view'],
): Promise<{ text: string; state: InputModalState } | undefined> {
  const text = view.state.values[INPUT_BLOCK_ID]?.[INPUT_ACTION_ID]?.value?.trim();
  if (!text) {
    await ack({ response_action: 'errors', errors: { [INPUT_BLOCK_ID]: 'Type something first.' } });
    return undefined;
  }
  await ack();
  return { text, state: JSON.parse(view.private_metadata) as InputModalState };
}
