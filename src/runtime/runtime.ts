import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Redis } from 'ioredis';
import type { Config } from '../config/env.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../logger.ts';
import type { PipelineHooks } from '../services/pipeline-hooks.ts';
import type { ReadinessCheck } from './readiness.ts';

/**
 * Everything a running Rapport process shares between its parts: the contract every plugin
 * (connectors/, jobs/) is written against, assembled by app/. `Connectors` is the chat-connector
 * registry's type; it is a parameter because the registry lives in connectors/, which src/ never
 * imports (components use `ConnectorRuntime` from connectors/connector-runtime.ts).
 */
export interface Runtime<Connectors = unknown> {
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
   * The data-dir lock's tool token while this process holds the embedded database (PGlite): `rapport`
   * commands prove they run on this machine with it. Absent with PostgreSQL.
   */
  toolToken?: string;
  /**
   * What services tell the pipeline after a write. No-op until the pipeline component sets the
   * BullMQ implementation (it starts first, so connectors created after it get the real one).
   */
  hooks: PipelineHooks;
  /** Chat connectors enabled in this process, for posting (workers) and rendering (web). */
  registry: Connectors;
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
export type ComponentFactory<Connectors = unknown> = (runtime: Runtime<Connectors>) => Promise<Component | undefined>;
