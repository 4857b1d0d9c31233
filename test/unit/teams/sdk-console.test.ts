import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withSdkConsoleIn } from '../../../connectors/teams/sdk-console.ts';
import { createLogger } from '../../../src/logger.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Bot Framework SDK console output', () => {
  it('inside a Teams request becomes one debug log entry without a stack; elsewhere console is untouched', async () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const out = new PassThrough();
    let logged = '';
    out.on('data', (d) => (logged += d));
    const logger = createLogger('debug', out);

    // What botframework-connector does with an expired token before answering 401.
    const expired = Object.assign(new Error('jwt expired'), { name: 'TokenExpiredError' });
    await withSdkConsoleIn(logger, async () => {
      await Promise.resolve();
      console.error(expired);
    });
    expect(stderr).not.toHaveBeenCalled();
    const entry = JSON.parse(logged.trim().split('\n').at(-1)!);
    expect(entry).toMatchObject({ level: 20, sdk: 'botbuilder', said: 'TokenExpiredError: jwt expired' });
    expect(logged).not.toContain('    at ');

    console.error('not from a Teams request');
    expect(stderr).toHaveBeenCalledWith('not from a Teams request');
  });
});
