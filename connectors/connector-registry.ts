import type { ChatConnector, ConnectorHealth, Target } from './chat-connector.ts';
import { DeliveryError } from './chat-connector.ts';
import type { IdentifyHeldAuthor } from '../src/services/held-chat-messages.service.ts';

/** The chat connectors enabled in this process, found by a target's platform prefix. */
export class ConnectorRegistry {
  private readonly byPlatform = new Map<string, ChatConnector>();
  private readonly heldAuthors = new Map<string, IdentifyHeldAuthor>();

  register(connector: ChatConnector): void {
    this.byPlatform.set(connector.platform, connector);
  }

  /** How this platform's connector asks again who a held message's author is (any role: workers run the held-author job). */
  registerHeldAuthors(platform: string, identify: IdentifyHeldAuthor): void {
    this.heldAuthors.set(platform, identify);
  }

  /** The platform's held-author lookup; undefined when that platform is not enabled in this process. */
  heldAuthorsOf(platform: string): IdentifyHeldAuthor | undefined {
    return this.heldAuthors.get(platform);
  }

  get platforms(): string[] {
    return [...this.byPlatform.keys()];
  }

  /** The connector that posts to `target`. @throws DeliveryError not_found when that platform is not enabled here. */
  forTarget(target: Target): ChatConnector {
    const platform = target.split(':', 1)[0];
    const connector = this.byPlatform.get(platform);
    if (!connector)
      throw new DeliveryError('not_found', `No ${platform} connector is enabled in this process (target ${target}).`);
    return connector;
  }

  /** Private conversations with a person, one per enabled platform that knows one of their ids (`slack:T1/U2`, ...). */
  directTargetsFor(platformUserKeys: string[]): Target[] {
    const out: Target[] = [];
    for (const key of platformUserKeys) {
      const target = this.byPlatform.get(key.split(':', 1)[0])?.directTarget?.(key);
      if (target && !out.includes(target)) out.push(target);
    }
    return out;
  }

  async health(): Promise<Record<string, ConnectorHealth>> {
    const entries = await Promise.all(
      [...this.byPlatform].map(
        async ([p, c]) => [p, await c.health().catch((e: Error) => ({ ok: false, detail: e.message }))] as const,
      ),
    );
    return Object.fromEntries(entries);
  }
}
