import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RapportError } from '../../src/errors.ts';
import { startTestProcess } from '../helpers/test-process.ts';

// Issue 20: a busy port gave "Something went wrong on our side… (listen EADDRINUSE…)".
describe('starting on a port another program holds', () => {
  let other: Server;
  let port: number;
  beforeAll(async () => {
    other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    port = (other.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => other.close(resolve));
  });

  it('says which port is busy and which setting changes it', async () => {
    const err = await startTestProcess('pglite', { PORT: String(port) }, { name: 'busy-port' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RapportError);
    expect((err as Error).message).toMatch(
      new RegExp(`port ${port} on 127\\.0\\.0\\.1.*already using it.*PORT setting`),
    );
  });
});
