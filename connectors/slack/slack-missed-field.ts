/**
 * Where a Slack message whose event could not be logged sits, for the catch-up to read it back from
 * Slack: a channel's history from `oldest` on, or (`thread`) one thread's replies from `oldest` on.
 */
export interface MissedMark {
  teamId: string;
  channel: string;
  /** A thread's ts: the message was a reply there (a channel's history does not list replies). */
  thread?: string;
  /** The ts to read back from (the missed message's own, inclusive). */
  oldest: string;
  /**
   * Just the message at `oldest`: one a read-back could not log, after which it read the place on. Each
   * is a mark of its own, read back alone.
   */
  only?: boolean;
  /**
   * With `only`: Slack said the message at `oldest` was deleted (`message_deleted`) and the deletion could
   * not be applied then. Read back, it is applied as the event would have been: no history is asked (a
   * history cannot say what was deleted; the event did).
   */
  deleted?: boolean;
}

/**
 * How a deletion mark's field begins. Every release before this one reads a field's first '!'-part as the
 * place ("T/C"), and a place without a '/' as no mark: so they pass over such a field, in Redis (left as it
 * is) and in a spool file alike. Written as a place ("T/C!ts!deleted", this release's predecessor), a
 * release before it read the deletion as a message marked alone, found it gone from the history and
 * dropped the mark: the deletion was never applied while both ran (a rolling deploy).
 */
const DELETED = 'deleted!';

/**
 * A mark's field in the Redis hashes (and a spool file): "T/C" or "T/C/thread", a place; "...!ts", one
 * message of it ({@link MissedMark.only}); "deleted!T/C!ts", a deletion ({@link MissedMark.deleted}).
 */
export function fieldOf(m: MissedMark): string {
  const place = [m.teamId, m.channel, ...(m.thread ? [m.thread] : [])].join('/');
  if (!m.only) return place;
  return m.deleted ? `${DELETED}${place}!${m.oldest}` : `${place}!${m.oldest}`;
}

/** Whether a field is a deletion's in this release's form: one the releases before pass over. */
export function isDeletionField(field: string): boolean {
  return field.startsWith(DELETED);
}

/**
 * The mark a field (and its ts) stands for; undefined for one that is not a mark (passed over, left as
 * it is). Reads the deletion marks of this release's predecessor ("T/C!ts!deleted") too.
 */
export function markOf(field: string, oldest: string): MissedMark | undefined {
  const deletion = isDeletionField(field);
  const [place = '', only, kind] = (deletion ? field.slice(DELETED.length) : field).split('!');
  const [teamId, channel, thread] = place.split('/');
  if (!teamId || !channel || !/^\d+(\.\d+)?$/.test(oldest)) return undefined;
  if (deletion && !only) return undefined;
  return {
    teamId,
    channel,
    ...(thread ? { thread } : {}),
    oldest,
    ...(only ? { only: true } : {}),
    ...(deletion || (only && kind === 'deleted') ? { deleted: true } : {}),
  };
}
