import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import {
  buildDefaultModel,
  CRM_LABELS,
  loadHeldOutExamples,
  loadSeedExamples,
} from '../../../src/classifier/default-model.ts';

describe('default CRM model', () => {
  const artifact = buildDefaultModel();

  it('ships at least 80 seed examples per label and a separate held-out set', () => {
    const seed = loadSeedExamples();
    const heldOut = loadHeldOutExamples();
    for (const label of CRM_LABELS) {
      expect(seed.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(80);
      expect(heldOut.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(25);
    }
    const seedTexts = new Set(seed.map((e) => e.text));
    expect(heldOut.filter((e) => seedTexts.has(e.text))).toEqual([]);
  });

  it('has the seven CRM labels and a held-out macro-F1 well above chance (1/7)', () => {
    expect([...artifact.labels].sort()).toEqual([...CRM_LABELS].sort());
    expect(artifact.metrics.heldOut?.macroF1).toBeGreaterThan(0.55);
  });

  it('labels typical messages', () => {
    const c = loadClassifier(artifact);
    expect(c.classify('We are moving to HubSpot, please cancel our subscription').topLabel).toBe('churn');
    expect(c.classify('Can we set up a call on Tuesday at 3pm?').topLabel).toBe('scheduling');
    expect(c.classify('Could you send me a quote for 20 licences?').topLabel).toBe('purchase');
  });
});
