import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import {
  buildDefaultModel,
  CRM_LABELS,
  loadHeldOutExamples,
  loadSeedExamples,
} from '../../../src/classifier/default-model.ts';
import { evaluatePredictions } from '../../../src/classifier/evaluate.ts';

describe('default CRM model in Chinese, German and Spanish', () => {
  const classifier = loadClassifier(buildDefaultModel());
  const heldOutF1 = (language: 'en' | 'zh' | 'de' | 'es') => {
    const examples = loadHeldOutExamples(language);
    return evaluatePredictions(
      examples.map((e) => e.label),
      // Top label: abstaining is the calibration's decision (a threshold shared by all languages).
      examples.map((e) => classifier.classifyTop(e.text).topLabel),
    ).macroF1;
  };

  it('ships Chinese seed and held-out sets for every label, with no held-out text in the seed', () => {
    const seed = loadSeedExamples('zh');
    const heldOut = loadHeldOutExamples('zh');
    for (const label of CRM_LABELS) {
      expect(seed.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(100);
      expect(heldOut.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(25);
    }
    const seedTexts = new Set(seed.map((e) => e.text));
    expect(heldOut.filter((e) => seedTexts.has(e.text))).toEqual([]);
    expect(seed.every((e) => e.language === 'zh')).toBe(true);
  });

  it("scores Chinese held-out macro-F1 of at least 0.80 and English within a seed's spread of the English-only model", () => {
    expect(heldOutF1('zh')).toBeGreaterThanOrEqual(0.8);
    // The English-only model scores 0.771 at this seed (0.752-0.777 over seeds 1-5 for both models;
    // medians 0.766 English-only, 0.770 this one: bench:classifier).
    expect(heldOutF1('en')).toBeGreaterThanOrEqual(0.765);
  });

  it('labels typical Chinese and German messages', () => {
    expect(classifier.classify('价格太高可能会流失').label).toBe('churn');
    expect(classifier.classify('系统又打不开了，一直报错').label).toBe('issue');
    expect(classifier.classify('麻烦出一份30个账号的报价').label).toBe('purchase');
    expect(classifier.classify('下周三上午10点开个电话会可以吗').label).toBe('scheduling');
    expect(classifier.classify('Wir werden unseren Vertrag zum Monatsende kündigen').label).toBe('churn');
    expect(classifier.classify('Können wir am Freitag um 14 Uhr telefonieren?').label).toBe('scheduling');
    expect(classifier.classify('Por favor, cancelen nuestro contrato, nos vamos a otro proveedor').label).toBe('churn');
  });
});
