/**
 * Who can read a place Rapport posts to, as far as the platform tells: `internal` = only people of the
 * installing company (no other workspace/tenant, no guests, no anonymous users, nothing pending to be
 * shared); `external` = someone outside is (or may soon be) in it; `unknown` = the platform could not
 * say. Only `internal` is safe for internal posts: everything else is treated like `external`.
 */
export type Audience = 'internal' | 'external' | 'unknown';
