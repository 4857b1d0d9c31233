import type { CommandContext } from '../../src/commands/command-context.ts';
import type { ConsoleViewer } from './console-access.ts';

/**
 * The actor a console request runs commands as: the signed-in person. Only the operator's own tools
 * (`rapport exec --as`, the console token) may name someone else, as the CLI may.
 */
export function consoleActor(viewer: ConsoleViewer, requested: unknown, timezone: string): CommandContext['actor'] {
  const named = typeof requested === 'string' && requested.trim() ? requested.trim().slice(0, 80) : undefined;
  if (viewer.tool && named)
    return { platform: 'console', platformUserId: named, displayName: named, timezone, timezoneIsDefault: true };
  const signedIn = viewer.via !== 'local' && viewer.via !== 'token';
  return {
    platform: 'console',
    platformUserId: viewer.consoleId,
    displayName: viewer.name,
    email: viewer.email,
    timezone,
    timezoneIsDefault: true,
    ...(signedIn ? { consoleRole: viewer.role } : {}),
  };
}
