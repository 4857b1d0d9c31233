// How long a throttled Teams post holds the caller (a BullMQ delivery worker), with the SDK's own HTTP
// retries (botbuilder's default pipeline) and with Rapport's connector factory (no in-SDK retries):
//   npx tsx bench/teams-throttle.bench.ts [runs=5] [retryAfterSeconds=1]
// The recording Bot Connector answers every post with 429 and Retry-After.
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type ConversationReference } from 'botbuilder';
import { TeamsConnector } from '../connectors/teams/teams.connector.ts';
import { teamsAuthentication } from '../connectors/teams/teams-authentication.ts';
import { teamsTurnErrorHandler } from '../connectors/teams/teams-turn-error.ts';
import { createLogger } from '../src/logger.ts';
import { TeamsRecorder } from '../test/helpers/teams-recorder.ts';

const runs = Number(process.argv[2] ?? 5);
const retryAfter = String(process.argv[3] ?? 1);
const recorder = await new TeamsRecorder().start();
const reference: Partial<ConversationReference> = {
  channelId: 'msteams',
  serviceUrl: recorder.url,
  conversation: { id: '19:bench@thread.tacv2', isGroup: true, conversationType: 'channel', name: 'bench' },
  bot: { id: '28:rapport', name: 'Rapport' },
};

async function measure(name: string, adapter: CloudAdapter): Promise<void> {
  adapter.onTurnError = teamsTurnErrorHandler(createLogger('silent'));
  const connector = new TeamsConnector(adapter, '', async () => reference);
  const times: number[] = [];
  let attempts = 0;
  let outcome = '';
  for (let i = 0; i < runs; i++) {
    recorder.reset();
    recorder.failNext(...Array.from({ length: 10 }, () => ({ status: 429, headers: { 'retry-after': retryAfter } })));
    const started = performance.now();
    const err = await connector
      .post('teams:19:bench@thread.tacv2', { text: 'x' })
      .catch((e: unknown) => e as { code?: string; retryAfterMs?: number });
    times.push(performance.now() - started);
    attempts = recorder.attempts;
    outcome = `${(err as { code?: string }).code} (retryAfterMs ${(err as { retryAfterMs?: number }).retryAfterMs})`;
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} median ${times[Math.floor(times.length / 2)].toFixed(0).padStart(6)} ms held, ${attempts} requests per post, error: ${outcome}`,
  );
}

console.log(`Teams post answered 429 with Retry-After: ${retryAfter} s, ${runs} runs each`);
await measure('SDK default pipeline (before)', new CloudAdapter(new ConfigurationBotFrameworkAuthentication({})));
await measure(
  'Rapport teamsAuthentication (now)',
  new CloudAdapter(
    teamsAuthentication({ appId: undefined, appPassword: undefined, tenantId: undefined, appType: 'MultiTenant' }),
  ),
);
await recorder.stop();
