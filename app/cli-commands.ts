import { registerCliCommand } from './cli-registry.ts';

// Every `rapport` sub-command, one line each.
registerCliCommand(
  'start',
  'start the bot (HTTP server, connectors, workers for RAPPORT_ROLE)',
  async () => (await import('./commands/start.command.ts')).startCommand,
);
registerCliCommand(
  'migrate',
  'apply pending database migrations and exit',
  async () => (await import('./commands/migrate.command.ts')).migrateCommand,
);
registerCliCommand(
  'doctor',
  'check configuration, database, Redis, connectors and failed jobs; say how to fix what is wrong',
  async () => (await import('./commands/doctor.command.ts')).doctorCommand,
);
registerCliCommand(
  'exec',
  'run one chat command and print the reply: rapport exec [--as REP] [--json] "lookup acme"',
  async () => (await import('./commands/exec-cli.command.ts')).execCliCommand,
);
registerCliCommand(
  'export',
  'print everything stored about a customer: rapport export CUSTOMER [json|csv]',
  async () => (await import('./commands/exec-cli.command.ts')).exportCliCommand,
);
registerCliCommand(
  'report',
  'insights of a period (topics, at-risk customers, response times, sentiment): rapport report --since 30d [--customer NAME] [--json|--csv]',
  async () => (await import('./commands/report.command.ts')).reportCommand,
);
registerCliCommand(
  'erase',
  'erase a customer for good (GDPR): rapport erase CUSTOMER --yes',
  async () => (await import('./commands/erase.command.ts')).eraseCommand,
);
registerCliCommand(
  'tombstone',
  'let an erased customer be recorded again: rapport tombstone remove "NAME|EMAIL|DOMAIN"',
  async () => (await import('./commands/exec-cli.command.ts')).tombstoneCliCommand,
);
registerCliCommand(
  'admin',
  'console accounts: rapport admin create NAME [--role admin|rep] | password NAME | list',
  async () => (await import('./commands/admin.command.ts')).adminCommand,
);
registerCliCommand(
  'train',
  'train a classifier: rapport train --data FILE [--c 0.5] [--char-ngrams 2-5] [--cv K] [--out model.json] [--activate]',
  async () => (await import('./commands/classifier-cli.command.ts')).trainCliCommand,
);
registerCliCommand(
  'evaluate',
  'evaluate a classifier: rapport evaluate --data FILE [--model model.json|VERSION] [--json]',
  async () => (await import('./commands/classifier-cli.command.ts')).evaluateCliCommand,
);
registerCliCommand(
  'model',
  'classifier models: rapport model list | activate VERSION | show VERSION | retrain [--dry-run] | label list|add',
  async () => (await import('./commands/classifier-cli.command.ts')).modelCliCommand,
);
registerCliCommand(
  'import',
  'log emails from files, or import customers from CSV: rapport import --mbox FILE | --eml DIR | --customers FILE.csv [--dry-run]',
  async () => (await import('./commands/import.command.ts')).importDispatchCommand,
);
registerCliCommand(
  'mail',
  'support inbox: rapport mail unconfirmed | make-customer DOMAIN|ADDRESS [--name N] | quarantine [--resolved] | retry [ID...] | drop ID... --yes',
  async () => (await import('../connectors/imap/mail.command.ts')).mailCommand,
);
registerCliCommand(
  'secrets',
  'seal the tokens the database keeps with RAPPORT_SECRET_KEY (after setting or rotating it): rapport secrets reseal',
  async () => (await import('./commands/secrets.command.ts')).secretsCommand,
);
