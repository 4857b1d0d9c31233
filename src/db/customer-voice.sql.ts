/**
 * The messages insights read as the customer's voice (needs and topics, labels and sentiment for health
 * and satisfaction): the customer's own words (`inbound`) and what a rep logged by hand of a call, a
 * meeting or a note about them (`internal`, classified like a customer's message). Our replies are not;
 * held messages (`unknown`) are not until their author is known. Response times read inbound and
 * outbound messages alone (customer-turns.sql.ts): a logged call is not a turn to answer.
 */
export function customerVoice(alias: string): string {
  return `${alias}.direction IN ('inbound', 'internal')`;
}
