import type { UnconfirmedSender } from '../services/make-customer.service.ts';
import type { ReplySection } from './reply-model.ts';

/**
 * An unconfirmed sender as a reply section: "acme.com: 2 people, 3 conversations, "Quote for 40
 * seats"" and a Make customer button (the `make customer` command, run as whoever clicks it).
 */
export function senderSection(u: UnconfirmedSender): ReplySection {
  const people = u.contacts === 1 ? '1 person' : `${u.contacts} people`;
  const talks = u.records === 1 ? '1 conversation' : `${u.records} conversations`;
  const subject = u.subjects[0] ? `, "${u.subjects[0].slice(0, 80)}"` : '';
  return {
    text: `${u.key}: ${people}, ${talks}${subject}`,
    buttons: [
      {
        label: 'Make customer',
        command: `make customer ${u.key}`,
        style: 'primary',
        confirm: `Make ${u.key} a customer? Their conversations move to it and their new mail gets follow-up suggestions.`,
      },
    ],
  };
}
