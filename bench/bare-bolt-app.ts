/**
 * The baseline of `npm run bench:slack`: a bare Bolt app over HTTP (ExpressReceiver, signature
 * checks) whose /crm listener only acknowledges. Run as its own process next to Rapport so both see
 * the same machine: `tsx bench/bare-bolt-app.ts <port> <signing secret>`; prints "listening" when up.
 */
import { App, ExpressReceiver, LogLevel } from '@slack/bolt';

const [port, signingSecret] = process.argv.slice(2);
const receiver = new ExpressReceiver({ signingSecret, endpoints: '/slack/events', processBeforeResponse: false });
const app = new App({
  token: 'xoxb-bare-bolt',
  receiver,
  // No auth.test (Slack is not reachable from here): the ids it would return.
  tokenVerificationEnabled: false,
  botId: 'BBARE',
  botUserId: 'UBARE',
  logLevel: LogLevel.ERROR,
});
app.command('/crm', async ({ ack }) => {
  await ack();
});
await app.start(Number(port));
console.log('listening');
process.on('SIGTERM', () => {
  app.stop().then(() => process.exit(0));
});
