import { ConfigError, loadConfig } from '../../src/config/env.ts';

/** Every problem loadConfig reports for this environment; empty when it loads. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
