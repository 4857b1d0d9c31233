import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Config } from '../src/config/env.ts';
import type { Database } from '../src/db/database.ts';
import type { Logger } from '../src/logger.ts';
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
}

/** A part of the process (connectors, workers, schedulers) with a start and an orderly stop. */
export interface Component {
  name: string;
  readiness?: ReadinessCheck[];
  /** Stops taking new work and lets in-flight work finish (the caller bounds the wait). */
  stop(): Promise<void>;
}

/** Builds a component for a runtime; returns undefined when it does not apply (not configured, wrong role). */
export type ComponentFactory = (runtime: Runtime) => Promise<Component | undefined>;
