import type { LabeledExample } from '../../../src/classifier/labeled-example.ts';

/** A small, perfectly separable three-label set: each label has its own vocabulary. */
export const TOY_EXAMPLES: LabeledExample[] = [
  ...['invoice', 'refund', 'payment', 'billing', 'charge', 'receipt'].flatMap((w) => [
    { text: `question about my ${w}`, label: 'billing' },
    { text: `the ${w} is wrong`, label: 'billing' },
  ]),
  ...['meeting', 'call', 'demo', 'calendar', 'slot', 'appointment'].flatMap((w) => [
    { text: `book a ${w} please`, label: 'meeting' },
    { text: `move the ${w} to friday`, label: 'meeting' },
  ]),
  ...['crash', 'bug', 'error', 'outage', 'freeze', 'timeout'].flatMap((w) => [
    { text: `there is a ${w} in the app`, label: 'bug' },
    { text: `another ${w} today`, label: 'bug' },
  ]),
];
