/**
 * The messages insights read as the customer's voice (needs and topics, labels and sentiment for health
 * and satisfaction): the customer's own words (`inbound`) and what a rep logged by hand of a call, a
 * meeting or a note about them (`internal`, classified like a customer's message). Our replies are not;
 * held messages (`unknown`) are not until their author is known. Response times read inbound and
 * outbound messages alone (customer-turns.sql.ts): a logged call is not a turn to answer. A message
 * whose author was erased in another customer's conversation (`authorErased`, erase-customer) is no
 * one's voice any more: its label and sentiment were read from words that are gone.
 */
export function customerVoice(alias: string): string {
  return `(${alias}.direction IN ('inbound', 'internal') AND NOT ${alias}."authorErased")`;
}
