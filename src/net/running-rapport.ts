import type { ServingHolder } from '../db/data-dir-lock.ts';
import { localRequest } from './local-http.ts';
import { TOOL_TOKEN_HEADER } from './this-machine.ts';

/**
 * What the running Rapport answered a CLI command sent to it: `reached` false with the sentence to print
 * when its HTTP server could not be reached; else its status, body, the body as JSON (undefined when it is
 * not JSON) and `error`, the sentence for a refusal (the answer's own `error`, or its HTTP status).
 */
export type RunningAnswer =
  | { reached: false; error: string }
  | { reached: true; ok: boolean; status: number; body: string; json: unknown; error: string };

/**
 * Sends one CLI command (`rapport exec`, `import`, `mail`, `doctor`...) to the Rapport process that holds
 * the embedded database, at `path` of the URL its data-dir lock names, as the operator's tools: with the
 * lock's tool token (which only a user who can read the data dir has) and the console token when one is
 * set. Every such command says the same things when it cannot be asked.
 */
export async function askRunningRapport(
  holder: ServingHolder,
  path: string,
  opts: {
    token?: string;
    method?: 'GET' | 'POST';
    headers?: Record<string, string>;
    body?: string;
  },
): Promise<RunningAnswer> {
  const url = holder.url;
  const headers = {
    ...opts.headers,
    ...(holder.toolToken ? { [TOOL_TOKEN_HEADER]: holder.toolToken } : {}),
    ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
  };
  let status: number;
  let body: string;
  try {
    ({ status, body } = await localRequest(new URL(path, url), { method: opts.method, headers, body: opts.body }));
  } catch (err) {
    return {
      reached: false,
      error: `Could not reach the running Rapport at ${url} (${(err as Error).message}). Is it still running?`,
    };
  }
  const json = jsonOrUndefined(body);
  const said = (json as { error?: unknown } | undefined)?.error;
  return {
    reached: true,
    ok: status >= 200 && status <= 299,
    status,
    body,
    json,
    error: typeof said === 'string' && said ? said : `Rapport answered HTTP ${status}.`,
  };
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
