import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
import type { PipelineHooks } from '../src/services/pipeline-hooks.ts';
import type { ConnectorRegistry } from '../connectors/connector-registry.ts';
import type { ReadinessCheck } from './readiness.ts';

/** Everything a running Rapport process shares between its parts. */
export interface Runtime {
  config: Config;
  logger: Logger;
  db: Database;
  /** The Redis URL in use (REDIS_URL, the default, or a private redis-server). */
  redisUrl: string;
  /** Shared non-blocking Redis connection (readiness, locks, rate limits). */
  redis: Redis;
  metrics: Registry;
  app: Express;
  /**
   * What services tell the pipeline after a write. No-op until the pipeline component sets the
   * BullMQ implementation (it starts first, so connectors created after it get the real one).
   */
  hooks: PipelineHooks;
  /** Chat connectors enabled in this process, for posting (workers) and rendering (web). */
  registry: ConnectorRegistry;
}

/** A part of the process (connectors, workers, schedulers) with a start and an orderly stop. */
export interface Component {
  name: string;
  readiness?: ReadinessCheck[];
  /** Called once every component exists (workers begin taking jobs only when the connectors they post to are registered). */
  start?(): Promise<void>;
  /** Stops taking new work and lets in-flight work finish (the caller bounds the wait). */
  stop(): Promise<void>;
}

/** Builds a component for a runtime; returns undefined when it does not apply (not configured, wrong role). */
export type ComponentFactory = (runtime: Runtime) => Promise<Component | undefined>;
