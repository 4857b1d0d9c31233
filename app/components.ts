import type { ConnectorComponentFactory } from '../connectors/connector-runtime.ts';
import { pipelineComponentFactories } from '../jobs/index.ts';
import { consoleComponent } from '../connectors/console/console.component.ts';
import { imapComponentFactory } from '../connectors/imap/index.ts';
import { teamsComponent } from '../connectors/teams/teams.component.ts';
import { slackComponent } from '../connectors/slack/slack.component.ts';

const pipeline = pipelineComponentFactories();

/**
 * The parts a process may run, in start order: the pipeline's queues first (everything else enqueues
 * through them), then workers (they begin taking jobs in `start()`, once every connector is
 * registered), then connectors (intake). Each factory decides from the role and the configuration
 * whether it applies. Shutdown runs in reverse, so intake stops first.
 */
export const componentFactories: ConnectorComponentFactory[] = [
  pipeline.queues,
  pipeline.workers,
  // Slack and Teams first among the HTTP routes: their requests have deadlines (Slack's 3 s ack) and
  // should not walk the console's routes before reaching their own.
  slackComponent,
  teamsComponent,
  consoleComponent,
  imapComponentFactory,
];
