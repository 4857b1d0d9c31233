import type { EraseResult } from '../services/erase-customer.service.ts';
import { count } from './count-noun.ts';

/**
 * What an erasure did, in one sentence, as chat `forget` and `rapport erase` say it: what was deleted
 * (quarantined raw mail that named them included, classifier models that had learned from their words) and
 * what of other customers' was redacted.
 */
export function erasureSummary(name: string, counts: EraseResult['counts']): string {
  const n = (key: string) => counts[key] ?? 0;
  const deleted = [
    count(n('contacts'), 'contact'),
    count(n('records'), 'record'),
    count(n('messages'), 'message'),
    count(n('followUps'), 'follow-up'),
    count(n('quarantinedMails'), 'quarantined mail'),
  ].join(', ');
  const models =
    n('withdrawnModels') > 0
      ? ` ${count(n('withdrawnModels'), 'classifier model')} that had learned from their words deleted (the next retrain learns again without them).`
      : '';
  return `${name} was erased: ${deleted} deleted; ${count(n('redactedMessages'), 'message')} and ${count(n('redactedRecords'), 'record')} of other customers redacted.${models} Rapport will not import them again.`;
}
