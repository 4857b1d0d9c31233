import type { ComponentFactory, Runtime } from '../src/runtime/runtime.ts';
import type { ConnectorRegistry } from './connector-registry.ts';

/** The runtime connector and worker components receive: the core `Runtime` with this process's chat-connector registry. */
export type ConnectorRuntime = Runtime<ConnectorRegistry>;

/** Builds a component that registers or posts through chat connectors. */
export type ConnectorComponentFactory = ComponentFactory<ConnectorRegistry>;
