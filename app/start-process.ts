import type { Server } from 'node:http';
import type { Config } from '../src/config/env.ts';
import type { Logger } from '../src/logger.ts';
import { RapportError } from '../src/errors.ts';
import type { Database } from '../src/db/database.ts';
import { pingDatabase } from '../src/db/database-status.repository.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { ownToolToken, publishUrlInLock } from '../src/db/data-dir-lock.ts';
import { operatorProof } from '../src/net/this-machine.ts';
import { connectRedis } from '../src/redis/connect-redis.ts';
import { resolveRedis } from '../src/redis/resolve-redis.ts';
import { createHttpApp, finishHttpApp } from './http-server.ts';
import { trackHttpConnections } from './http-drain.ts';
import { createMetricsRegistry } from './metrics.ts';
import type { ReadinessCheck } from '../src/runtime/readiness.ts';
import type { Component } from '../src/runtime/runtime.ts';
import type {
  ConnectorComponentFactory as ComponentFactory,
  ConnectorRuntime as Runtime,
} from '../connectors/connector-runtime.ts';
import { componentFactories } from './components.ts';
import { noopPipelineHooks } from '../src/services/pipeline-hooks.ts';
import { ConnectorRegistry } from '../connectors/connector-registry.ts';

export interface RunningProcess {
  runtime: Runtime;
  url: string;
  /** Orderly shutdown; resolves true when everything stopped within the bound. */
  shutdown(reason: string): Promise<boolean>;
}

/**
 * Starts a Rapport process for its role. The HTTP server listens first so /healthz (alive) answers
 * while the database opens; /readyz and every other route answer 503 until the database (migrated),
 * Redis and the components (connectors for `web`, workers for `worker`, both for `all`) are up.
 */
export async function startProcess(
  config: Config,
  logger: Logger,
  factories: ComponentFactory[] = componentFactories,
): Promise<RunningProcess> {
  const started = Date.now();
  const metrics = createMetricsRegistry(config.role);
  const components: Component[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];
  let phase: 'starting' | 'running' | 'draining' = 'starting';
  let db: Database | undefined;
  let runtime: Runtime | undefined;
  let privateRedisInUse = false;
  /** The data-dir lock's tool token, once the embedded database is open (`rapport doctor` sends it). */
  let toolToken: string | undefined;

  const baseChecks = (): ReadinessCheck[] => [
    {
      name: 'database',
      check: async () => {
        if (!db) return { ok: false, detail: 'opening' };
        await pingDatabase(db.sql);
        return { ok: true, detail: db.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL' };
      },
    },
    {
      name: 'redis',
      check: async () => {
        if (!runtime) return { ok: false, detail: 'connecting' };
        const ok = (await runtime.redis.ping()) === 'PONG';
        return { ok, detail: privateRedisInUse ? 'private redis-server' : 'connected' };
      },
    },
  ];
  const app = createHttpApp({
    logger,
    trustProxy: config.trustProxy,
    metrics,
    readiness: () => [...baseChecks(), ...components.flatMap((c) => c.readiness ?? [])],
    phase: () => phase,
    showDetails: (req) =>
      operatorProof(req, { publicUrl: config.signIn.publicUrl, consoleToken: config.consoleToken, toolToken }) !==
      undefined,
  });
  const server = await listen(app, config.port, config.host);
  const http = trackHttpConnections(server);
  const address = server.address() as { port: number };
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${address.port}`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });

  try {
    db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.databasePoolSize,
      onConnectionError: (err) =>
        logger.warn({ err: err.message }, 'database connection dropped; the pool will reconnect'),
      onModifiedMigrations: (names) =>
        logger.warn(
          { migrations: names },
          'applied migrations were edited afterwards; their changes are not in this database. Add a new migration instead.',
        ),
      onBackfilled: (sentences) => {
        for (const sentence of sentences) logger.info(sentence);
      },
    });
    const openedDb = db;
    cleanups.push(() => openedDb.close());
    if (db.kind === 'pglite') toolToken = ownToolToken(config.dataDir);
    const resolved = await resolveRedis(config, logger);
    if (resolved.privateRedis) {
      privateRedisInUse = true;
      cleanups.push(() => resolved.privateRedis!.stop());
    }
    const redis = connectRedis(resolved.url);
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    cleanups.unshift(() => redis.quit().catch(() => redis.disconnect()));

    runtime = {
      config,
      logger,
      db,
      redisUrl: resolved.url,
      redis,
      metrics,
      app,
      toolToken,
      hooks: noopPipelineHooks,
      registry: new ConnectorRegistry(),
    };
    for (const factory of factories) {
      const component = await factory(runtime);
      if (component) components.push(component);
    }
    for (const c of components) await c.start?.();
    finishHttpApp(app, logger);
  } catch (err) {
    await closeServer();
    for (const c of [...components].reverse()) await c.stop().catch(() => {});
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    throw err;
  }

  phase = 'running';
  if (db.kind === 'pglite') publishUrlInLock(config.dataDir, url);
  logger.info(
    { url, role: config.role, database: db.kind, components: components.map((c) => c.name), ms: Date.now() - started },
    'Rapport is up',
  );

  let stopping: Promise<boolean> | undefined;
  const shutdown = (reason: string): Promise<boolean> => {
    stopping ??= (async () => {
      phase = 'draining';
      logger.info({ reason }, 'shutting down');
      // Stop accepting; answers from now on say Connection: close; idle keep-alive sockets close.
      const closed = http.drain();
      const work = (async () => {
        // Reverse start order: intake (connectors) stops first, then workers, then the queues they feed.
        for (const c of [...components].reverse()) {
          await c.stop().catch((err) => logger.error({ err, component: c.name }, 'component failed to stop'));
        }
        await closed;
      })();
      const inTime = await Promise.race([
        work.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), config.shutdownTimeoutMs).unref()),
      ]);
      if (!inTime) {
        logger.warn(
          { boundMs: config.shutdownTimeoutMs, requestsInFlight: http.inFlight },
          'in-flight work did not finish in time; closing anyway',
        );
        http.closeAll();
      }
      // Pools close only now: every request that was answered has had its database and Redis.
      for (const cleanup of cleanups) await cleanup().catch((err) => logger.error({ err }, 'cleanup failed'));
      logger.info('stopped');
      return inTime;
    })();
    return stopping;
  };
  return { runtime: runtime!, url, shutdown };
}

function listen(app: Runtime['app'], port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, port, host)));
  });
}

/** A busy or forbidden port as a sentence naming the port and the setting that changes it. */
function listenError(err: NodeJS.ErrnoException, port: number, host: string): Error {
  const where = `port ${port} on ${host}`;
  if (err.code === 'EADDRINUSE')
    return new RapportError(
      'unavailable',
      `Cannot listen on ${where}: another program (maybe another Rapport) is already using it. Stop that program, or start Rapport on a free port with the PORT setting, e.g. PORT=${port === 3000 ? 3001 : 3000} rapport start.`,
      { port, host },
    );
  if (err.code === 'EACCES')
    return new RapportError(
      'unavailable',
      `Not allowed to listen on ${where} (ports below 1024 need extra rights). Use a port above 1024 with the PORT setting, e.g. PORT=3000.`,
      { port, host },
    );
  if (err.code === 'EADDRNOTAVAIL')
    return new RapportError(
      'unavailable',
      `Cannot listen on ${where}: this machine has no address ${host}. Set HOST to one of its addresses (127.0.0.1 or 0.0.0.0).`,
      { port, host },
    );
  return err;
}
