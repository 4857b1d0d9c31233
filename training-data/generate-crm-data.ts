/**
 * Writes crm-seed.jsonl and crm-heldout.jsonl from crm-phrasings.ts. Deterministic (seeded), so the
 * committed files can be regenerated exactly:
 *
 *   npx tsx training-data/generate-crm-data.ts
 *
 * Each hand-written body is dressed in a few registers (bare chat line, lowercase chat without
 * punctuation, email with greeting and sign-off, a prefix or suffix, occasional capitals) and its
 * slots are filled. Each line names its body in `group` (`need/s12`), so cross-validation can keep
 * the variants of one body in one fold. Seed and held-out use disjoint bodies and partly disjoint slot values.
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '../src/classifier/seeded-random.ts';
import { CRM_PHRASINGS } from './crm-phrasings.ts';

const random = seededRandom(20240501);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];

const SLOTS = {
  seed: {
    product: ['Rapport', 'the CRM', 'your platform', 'the Pro plan', 'the analytics module'],
    day: ['Tuesday', 'Friday', 'next Monday', 'tomorrow', 'the 14th', 'March 3'],
    time: ['10am', '3pm', '9:30', '2:00 PM', 'noon'],
    amount: ['$5,000', '€1200', '$499', '£10k', '$25,000'],
    competitor: ['HubSpot', 'Pipedrive', 'Zoho', 'a competitor', 'Salesforce'],
    n: ['5', '20', '50', '12', '100'],
    person: ['Anna', 'Tom', 'Priya', 'Marco', 'Lea'],
  },
  heldOut: {
    product: ['Rapport', 'your software', 'the app', 'the Enterprise tier'],
    day: ['Wednesday', 'Thursday morning', 'the 21st', 'next week', 'June 2'],
    time: ['11:00', '4pm', '8.30am', '1 pm'],
    amount: ['$3,200', '€800', '£2,500'],
    competitor: ['Freshsales', 'Copper', 'another vendor', 'Monday.com'],
    n: ['8', '30', '75', '250'],
    person: ['Jonas', 'Fatima', 'Chen', 'Olga'],
  },
};
const NAMES = ['Sam', 'Alex', 'team', 'Julia', 'support'];
const SENDERS = ['Maria', 'David Klein', 'Yuki', 'Omar', 'Sophie (Ops)'];
const PREFIXES = ['Hey, ', 'Hi! ', 'Quick one: ', 'Hello team, ', 'Re: our account - ', 'FYI ', 'Good morning, '];
const SUFFIXES = [' Thanks!', ' Let me know.', ' Thanks in advance.', ' Cheers', ' Best, {sender}', ' Regards'];
const EMAIL_CONTEXT = [
  'I hope you are well.',
  'Following up on my last message.',
  'Writing on behalf of our operations team.',
  '',
];

type Register = (body: string) => string;
const sentence = (b: string) => (/[.?!]$/.test(b) ? b : `${b}.`);
const REGISTERS: Register[] = [
  (b) => b,
  (b) => b.toLowerCase().replace(/[.,!?]/g, ''),
  (b) =>
    `Hi ${pick(NAMES)},\n\n${pick(EMAIL_CONTEXT)} ${sentence(b)}\n\nBest regards,\n${pick(SENDERS)}`.replace(
      '\n\n ',
      '\n\n',
    ),
  (b) => `${pick(PREFIXES)}${b.charAt(0).toLowerCase()}${b.slice(1)}`,
  (b) => `${sentence(b)}${pick(SUFFIXES).replace('{sender}', pick(SENDERS))}`,
  (b) => (random() < 0.5 ? b.toUpperCase() : `${b}!!`),
];

function fill(body: string, slots: Record<string, string[]>): string {
  return body.replace(/\{(\w+)\}/g, (_, name: string) => pick(slots[name] ?? [name]));
}

function generate(part: 'seed' | 'heldOut', perBody: number): string {
  const lines: string[] = [];
  for (const [label, phrasings] of Object.entries(CRM_PHRASINGS)) {
    const seen = new Set<string>();
    phrasings[part].forEach((body, bodyIndex) => {
      // Variants of one body share a group: folds that split them would test memory, not generalisation.
      const group = `${label}/${part === 'seed' ? 's' : 'h'}${bodyIndex}`;
      // The first variant is always plain or email; the rest cycle through the other registers.
      const registers = [...REGISTERS].sort(() => random() - 0.5);
      for (let v = 0; v < perBody; v++) {
        const text = registers[v % registers.length](fill(body, SLOTS[part]));
        if (seen.has(text)) continue;
        seen.add(text);
        lines.push(JSON.stringify({ text, label, group }));
      }
    });
  }
  return `${lines.join('\n')}\n`;
}

const here = new URL('.', import.meta.url);
writeFileSync(new URL('crm-seed.jsonl', here), generate('seed', 3));
writeFileSync(new URL('crm-heldout.jsonl', here), generate('heldOut', 2));
