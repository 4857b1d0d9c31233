import { describe, expect, it } from 'vitest';
import { buildDefaultModel, loadHeldOutExamples, loadSeedExamples } from '../../../src/classifier/default-model.ts';
import { pairedBootstrapMacroF1 } from '../../../src/classifier/paired-bootstrap.ts';
import { retrainModel, timeSplit, type CorrectionExample } from '../../../src/classifier/retrain.ts';

const seed = loadSeedExamples('en');
const heldOut = loadHeldOutExamples('en');
const current = { artifact: buildDefaultModel(), trainedThrough: null, fromSeed: true };
const T0 = Date.UTC(2026, 10, 1);
const recordId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

// Slang the seed never uses, which the default model files under need or feedback: reps teaching it
// that these are issues is a planted good correction.
const THINGS = [
  'the jira sync',
  'our dashboard',
  'the invoice export',
  'the mobile app',
  'single sign-on',
  'the webhook',
  'the csv import',
  'search',
  'the calendar sync',
  'the pdf export',
  'two-factor login',
  'the api',
  'the slack bot',
  'reporting',
  'the billing page',
  'user invites',
  'the audit log',
  'data import',
  'the chrome extension',
  'notifications',
];
const SLANG = ['{t} is borked', '{t} went kaput again', '{t} is totally fubar', '{t} is janky af'];
const goodCorrections: CorrectionExample[] = THINGS.flatMap((thing, t) =>
  SLANG.map((body, b) => ({
    text: body.replace('{t}', thing),
    label: 'issue',
    recordId: recordId(t * 10 + b),
    // Corrections arrive in no particular order; each record is its own customer.
    correctedAt: new Date(T0 + (((t * 4 + b) * 7919) % 80) * 1000),
    group: `customer-${t * 4 + b}`,
  })),
);
// Reps filing plain cancellations under feedback: planted harmful corrections.
const harmfulCorrections: CorrectionExample[] = seed
  .filter((e) => e.label === 'churn')
  .slice(0, 45)
  .map((e, i) => ({
    text: e.text,
    label: 'feedback',
    recordId: recordId(500 + i),
    correctedAt: new Date(T0 + ((i * 7919) % 45) * 1000),
    group: `customer-${500 + i}`,
  }));

describe('retrain gate', () => {
  it('promotes a model that planted good corrections make better beyond noise', () => {
    const { gate, artifact } = retrainModel({ seedExamples: seed, heldOut, corrections: goodCorrections, current });
    expect(gate.heldOut).toEqual({ n: heldOut.length + 20, corrections: 20 });
    expect(gate.trainedCorrections).toBe(60);
    expect(gate.delta!).toBeGreaterThan(0.01);
    expect(gate.interval![0]).toBeGreaterThan(0);
    expect(gate.activate).toBe(true);
    expect(gate.candidate.perLabel.issue).toBeGreaterThan(gate.baseline!.perLabel.issue);
    expect(artifact.trainingSummary.corrections).toBe(60);
  });

  it('refuses planted harmful corrections and names them', () => {
    const { gate } = retrainModel({ seedExamples: seed, heldOut, corrections: harmfulCorrections, current });
    expect(gate.activate).toBe(false);
    expect(gate.harmful.length).toBeGreaterThan(0);
    const harmfulIds = new Set(harmfulCorrections.map((c) => c.recordId));
    expect(gate.harmful.every((h) => harmfulIds.has(h.recordId) && h.label === 'feedback')).toBe(true);
    // The notice offers `label <id> churn`: what the model before these corrections said.
    expect(gate.harmful.some((h) => h.suggestedLabel === 'churn')).toBe(true);
    expect(gate.harmful.every((h) => h.suggestedLabel !== 'feedback')).toBe(true);
  });

  it('reports abstentions apart from the score: the top label is scored even below the threshold', () => {
    const { gate, artifact } = retrainModel({ seedExamples: seed, heldOut, corrections: goodCorrections, current });
    expect(gate.candidate.threshold).toBe(artifact.calibration.threshold);
    expect(gate.candidate.abstained).toBeGreaterThan(0);
    expect(gate.baseline?.abstained).toBeGreaterThan(0);
    // Counting abstentions as errors would put the gate's figure at or below the held-out macro-F1 with abstaining.
    expect(gate.candidate.macroF1).toBeGreaterThan(artifact.metrics.heldOut!.macroF1);
  });

  it('moves the decision and the threshold only within noise when one more correct correction arrives', () => {
    // Issue 19: one more correct correction turned "+0.9 points" into "−5.1, kept", the threshold
    // jumping between 0.37 and 0.76. Bounds (README, retrain gate): threshold within 0.02, abstention
    // rate within 3 points, the gate's difference within half its 90% interval.
    const before = retrainModel({ seedExamples: seed, heldOut, corrections: goodCorrections.slice(0, 40), current });
    const oneMore: CorrectionExample = {
      text: 'the sso login is borked again',
      label: 'issue',
      recordId: recordId(999),
      correctedAt: new Date(T0 + 100_000),
      group: 'customer-999',
    };
    const after = retrainModel({
      seedExamples: seed,
      heldOut,
      corrections: [...goodCorrections.slice(0, 40), oneMore],
      current,
    });
    const [a, b] = [before.gate, after.gate];
    expect(Math.abs(b.candidate.threshold! - a.candidate.threshold!)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(b.candidate.abstained! - a.candidate.abstained!)).toBeLessThanOrEqual(0.03);
    const halfWidth = (a.interval![1] - a.interval![0]) / 2;
    expect(Math.abs(b.delta! - a.delta!)).toBeLessThanOrEqual(halfWidth);
    // A flip is allowed only when the earlier interval already reached zero.
    if (a.activate !== b.activate) expect(a.interval![0]).toBeLessThanOrEqual(halfWidth);
  });

  it('names the harmful corrections first when a few hide among good ones', () => {
    const mixed = [
      ...goodCorrections.slice(0, 40),
      ...harmfulCorrections.slice(0, 6).map((c) => ({ ...c, correctedAt: new Date(T0 + 5000) })),
    ];
    const { gate } = retrainModel({ seedExamples: seed, heldOut, corrections: mixed, current });
    expect(gate.activate).toBe(false);
    expect(gate.harmful[0].label).toBe('feedback');
  });

  it('holds out the most recently corrected customers whole, never a sibling of a trained one', () => {
    const corrections: CorrectionExample[] = Array.from({ length: 12 }, (_, i) => ({
      text: `message ${i}`,
      label: 'issue',
      recordId: recordId(i),
      correctedAt: new Date(T0 + i * 1000),
      group: `customer-${i % 4}`,
    }));
    const { trained, heldOutCorrections } = timeSplit(corrections);
    expect(heldOutCorrections.map((c) => c.group)).toEqual(['customer-3', 'customer-3', 'customer-3']);
    expect(trained).toHaveLength(9);
    expect(timeSplit(corrections.slice(0, 3)).heldOutCorrections).toEqual([]);
  });

  it('gives a bootstrap interval around zero for identical predictions and above zero for a clear gain', () => {
    const gold = Array.from({ length: 200 }, (_, i) => (i % 2 ? 'a' : 'b'));
    const groups = gold.map((_, i) => `g${i}`);
    const same = pairedBootstrapMacroF1(gold, gold, gold, groups);
    expect([same.delta, same.low, same.high]).toEqual([0, 0, 0]);
    const worse = gold.map((g, i) => (i % 5 === 0 ? (g === 'a' ? 'b' : 'a') : g));
    const clear = pairedBootstrapMacroF1(gold, worse, gold, groups);
    expect(clear.low).toBeGreaterThan(0.1);
    expect(clear.notBetter).toBe(0);
    // Seeded: the same predictions give the same interval on every run.
    expect(pairedBootstrapMacroF1(gold, worse, gold, groups)).toEqual(clear);
  });
});
