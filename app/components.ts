import type { ComponentFactory } from './runtime.ts';

/**
 * The parts a process may run, in start order. Each factory decides from the role and the
 * configuration whether it applies. Connectors (intake) come before workers; shutdown runs in reverse.
 */
export const componentFactories: ComponentFactory[] = [];
