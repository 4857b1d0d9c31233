import { createHmac } from 'node:crypto';

/** Signs like Slack: v0=HMAC-SHA256(secret, "v0:<timestamp>:<raw body>"). */
export function slackSignature(body: string, timestamp: number, secret: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** The headers Slack signs a request with, now, for `body`. */
export function signedSlackHeaders(body: string, secret: string): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  return { 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': slackSignature(body, ts, secret) };
}

/** POSTs a correctly signed request to a bot's /slack/events, with extra headers (X-Slack-Retry-Num, ...). */
export function postSignedToSlackEvents(
  baseUrl: string,
  secret: string,
  body: string,
  contentType: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...signedSlackHeaders(body, secret), ...headers },
    body,
    signal,
  });
}

/** An Events API envelope (event_callback) around one event, as Slack posts it to the request URL. */
export function eventCallbackBody(teamId: string, event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({
    token: 'legacy',
    team_id: teamId,
    api_app_id: 'A1',
    event: { event_ts: event.ts ?? `${Math.floor(Date.now() / 1000)}.000001`, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  });
}

/**
 * A `message_changed` event (without `type` and `channel`) as Slack sends it when `user` edits message
 * `ts`: the message as it is now (`text`, edited at `editedTs`) and as it was (`previousText`); the
 * event's own `ts` (`eventTs`) is when the edit was made.
 */
export function messageChangedEvent(edit: {
  user: string;
  ts: string;
  text: string;
  previousText: string;
  editedTs: string;
  eventTs: string;
}): Record<string, unknown> {
  return {
    subtype: 'message_changed',
    hidden: true,
    ts: edit.eventTs,
    message: {
      type: 'message',
      user: edit.user,
      text: edit.text,
      ts: edit.ts,
      edited: { user: edit.user, ts: edit.editedTs },
    },
    previous_message: { type: 'message', user: edit.user, text: edit.previousText, ts: edit.ts },
  };
}

/** A slash command's form body as Slack posts it. */
export function slashCommandBody(opts: {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  triggerId: string;
  responseUrl: string;
  command?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy',
    team_id: opts.teamId,
    team_domain: 'ours',
    channel_id: opts.channelId,
    channel_name: opts.channelId.toLowerCase(),
    user_id: opts.userId,
    user_name: opts.userId.toLowerCase(),
    command: opts.command ?? '/crm',
    text: opts.text,
    api_app_id: 'A1',
    response_url: opts.responseUrl,
    trigger_id: opts.triggerId,
  }).toString();
}

/**
 * Sends `count` `/crm log acme "<tag> call <i>"` (team T1, channel CSALES, five users) open loop, one
 * every `intervalMs` whatever the acks take, each with its own response_url (`responseUrl(<tag>-<i>)`).
 * `before(i)` runs before command i is sent (and may take its time: the schedule does not slip).
 * Returns every ack, when the last command was sent, and when each was (a stall of this process, where
 * an in-process bot under test stalls too, or a slow `before` shows there).
 */
export async function slashCommandBurst(opts: {
  url: string;
  secret: string;
  tag: string;
  count: number;
  intervalMs: number;
  responseUrl: (id: string) => string;
  before?: (i: number) => Promise<void>;
}): Promise<{ acks: Array<{ status: number; text: string }>; lastSentAt: number; sentAt: number[] }> {
  const sent: Array<Promise<{ status: number; text: string }>> = [];
  const started = Date.now();
  const sentAt: number[] = [];
  for (let i = 0; i < opts.count; i++) {
    await opts.before?.(i);
    sentAt.push(Date.now());
    const body = slashCommandBody({
      teamId: 'T1',
      channelId: 'CSALES',
      userId: `U${i % 5}`,
      text: `log acme "${opts.tag} call ${i}"`,
      triggerId: `${opts.tag}-${i}`,
      responseUrl: opts.responseUrl(`${opts.tag}-${i}`),
    });
    sent.push(
      postSignedToSlackEvents(opts.url, opts.secret, body, 'application/x-www-form-urlencoded').then(async (res) => ({
        status: res.status,
        text: await res.text(),
      })),
    );
    const next = started + (i + 1) * opts.intervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  const lastSentAt = Date.now();
  return { acks: await Promise.all(sent), lastSentAt, sentAt };
}
