import type { Redis } from 'ioredis';
import { RapportError } from '../src/errors.ts';

/** Whose the prefix is now: this deployment's, nobody's (Redis lost its data), or another deployment's. */
export type PrefixState = { state: 'ours' } | { state: 'lost' } | { state: 'foreign'; owner: string };

/**
 * A deployment owns its Redis key prefix (RAPPORT_QUEUE_PREFIX): the install id stored in its database
 * is written under the prefix by the first process that starts, and every later process checks it.
 * Two databases on one prefix consumed each other's jobs and removed each other's reminders as
 * "orphans"; now the second one is refused with a sentence. The key is also how a process notices that
 * Redis lost its data (FLUSHALL, a restart without persistence): it is gone. It lives `ttlMs` unless a
 * process of the deployment renews it (every look does), so a deployment that was shut down (or a
 * data dir that was reset) does not hold the prefix forever.
 */
export class PrefixOwner {
  /** The Redis key holding the owner's install id; inside the prefix, so a Cluster keeps it in the prefix's slot. */
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    readonly installId: string,
    private readonly ttlMs = 60_000,
  ) {
    this.key = `${prefix}:rapport:install`;
  }

  /**
   * Writes our install id unless the prefix has an owner; throws the sentence if that owner is another
   * deployment. One script, so a key deleted between a write and a read (FLUSHALL, its TTL running
   * out) is never taken for an owner called "unknown": that refused a process starting at that moment.
   */
  async claim(): Promise<void> {
    const owner = await this.look(true);
    if (owner !== this.installId) throw prefixTakenError(this.prefix, owner ?? 'unknown');
  }

  /** Whose the prefix is; renews our claim when it is ours. */
  async check(): Promise<PrefixState> {
    const owner = await this.look(false);
    if (owner === null) return { state: 'lost' };
    if (owner !== this.installId) return { state: 'foreign', owner };
    return { state: 'ours' };
  }

  /** The owner, in one atomic step that renews our claim and, with `claim`, takes a prefix nobody holds. */
  private async look(claim: boolean): Promise<string | null> {
    return (await this.redis.eval(LOOK, 1, this.key, this.installId, this.ttlMs, claim ? 1 : 0)) as string | null;
  }
}

/** KEYS[1] owner key; ARGV install id, TTL ms, 1 to claim a free prefix. Returns the owner (nil: nobody). */
const LOOK = `
local owner = redis.call('GET', KEYS[1])
if not owner and ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
if owner == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return owner
`;

/** The sentence a second deployment on a taken prefix gets. */
export function prefixTakenError(prefix: string, owner: string): RapportError {
  return new RapportError(
    'conflict',
    `The Redis key prefix "${prefix}" belongs to another Rapport deployment (install ${owner}, another database). ` +
      `Two deployments on one prefix take each other's jobs. Give this one a prefix of its own with ` +
      `RAPPORT_QUEUE_PREFIX (e.g. RAPPORT_QUEUE_PREFIX="{rapport-2}"), or point DATABASE_URL at that deployment's database.`,
    { prefix, owner },
  );
}
