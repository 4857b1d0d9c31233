import { describe, expect, it } from 'vitest';
import {
  expectedCalibrationError,
  fitPlatt,
  plattProbability,
  thresholdForPrecision,
} from '../../../src/classifier/calibration.ts';
import { loadClassifier } from '../../../src/classifier/classifier.ts';
import { confidenceWord } from '../../../src/classifier/confidence-words.ts';
import { buildDefaultModel, loadHeldOutExamples, loadSeedExamples } from '../../../src/classifier/default-model.ts';
import { assignFolds } from '../../../src/classifier/group-folds.ts';
import { UNCLASSIFIED } from '../../../src/classifier/labeled-example.ts';
import { trainModel } from '../../../src/classifier/train.ts';
import { TOY_EXAMPLES } from './toy-data.ts';

describe('calibration', () => {
  it('fits a sigmoid whose probability rises with the margin', () => {
    const margins = [-1.5, -1, -0.8, -0.5, -0.2, 0, 0.1, 0.3, 0.5, 0.8, 1, 1.5];
    const right = [false, false, false, false, true, false, true, false, true, true, true, true];
    const platt = fitPlatt(margins, right);
    expect(platt.a).toBeLessThan(0);
    let previous = -1;
    for (let m = -2; m <= 2; m += 0.25) {
      const p = plattProbability(m, platt);
      expect(p).toBeGreaterThan(previous);
      previous = p;
    }
    expect(plattProbability(-2, platt)).toBeLessThan(0.2);
    expect(plattProbability(2, platt)).toBeGreaterThan(0.8);
  });

  it('answers unclassified for a message that fits no label, and a label for one that does', () => {
    const artifact = trainModel(TOY_EXAMPLES, {
      calibrationFolds: 0,
      calibrationSet: {
        examples: [
          { text: 'my invoice is wrong', label: 'billing' },
          { text: 'book a call', label: 'meeting' },
          { text: 'a crash again', label: 'bug' },
        ],
        outOfScope: ['the weather is lovely', 'my cat sleeps a lot', 'pizza or pasta tonight'],
      },
    });
    const classifier = loadClassifier(artifact);
    expect(classifier.threshold).toBeGreaterThan(0);
    expect(classifier.classify('lovely pasta tonight').label).toBe(UNCLASSIFIED);
    const sure = classifier.classify('question about my refund');
    expect(sure.label).toBe('billing');
    expect(sure.confidence).toBeGreaterThanOrEqual(classifier.threshold);
  });
});

describe('calibration on grouped splits (default CRM model)', () => {
  // English: its lines name their hand-written body (group); the other languages' do not yet.
  const seed = loadSeedExamples('en');
  const heldOut = loadHeldOutExamples('en');

  it('keeps each hand-written body in one fold and spreads labels over folds', () => {
    const fold = assignFolds(seed, 10, 1);
    const foldOfGroup = new Map<string, number>();
    seed.forEach((e, i) => {
      expect(foldOfGroup.get(e.group!) ?? fold[i]).toBe(fold[i]);
      foldOfGroup.set(e.group!, fold[i]);
    });
    for (let f = 0; f < 10; f++) {
      const labels = new Set(seed.filter((_, i) => fold[i] === f).map((e) => e.label));
      expect(labels.size).toBe(7);
    }
  });

  it('measures out-of-fold accuracy honestly: random folds score near-copies, grouped folds do not', () => {
    const grouped = trainModel(seed).metrics.outOfFold!;
    const random = trainModel(seed.map(({ text, label }) => ({ text, label }))).metrics.outOfFold!;
    expect(grouped.grouped).toBe(true);
    expect(random.accuracy).toBeGreaterThan(0.95);
    expect(grouped.accuracy).toBeLessThan(0.75);
  });

  it('says "likely" only when it is right at least three times in four on bodies the calibration never saw', () => {
    const rows: { confidence: number; right: boolean }[] = [];
    for (const foldSeed of [1, 2]) {
      const fold = assignFolds(heldOut, 2, foldSeed);
      for (let f = 0; f < 2; f++) {
        const calibrateOn = heldOut.filter((_, i) => fold[i] !== f);
        const scoreOn = heldOut.filter((_, i) => fold[i] === f);
        const classifier = loadClassifier(trainModel(seed, { calibrationSet: { examples: calibrateOn } }));
        classifier.classifyBatch(scoreOn.map((e) => e.text)).forEach((answer, i) => {
          rows.push({ confidence: answer.confidence, right: answer.topLabel === scoreOn[i].label });
        });
      }
    }
    const likely = rows.filter((r) => confidenceWord(r.confidence) === 'likely');
    const unsure = rows.filter((r) => confidenceWord(r.confidence) === 'unsure');
    const rate = (xs: typeof rows) => xs.filter((r) => r.right).length / xs.length;
    expect(likely.length).toBeGreaterThan(rows.length / 3);
    expect(rate(likely)).toBeGreaterThanOrEqual(0.75);
    expect(rate(unsure)).toBeLessThan(rate(likely));
    expect(
      expectedCalibrationError(
        rows.map((r) => r.confidence),
        rows.map((r) => r.right),
      ),
    ).toBeLessThan(0.08);
  });

  it('ships a default model whose held-out confidence is calibrated to within noise (cross-fitted ECE)', () => {
    const report = buildDefaultModel().metrics.heldOutCalibration!;
    expect(report.n).toBe(loadHeldOutExamples().length);
    expect(report.ece).toBeLessThanOrEqual(0.055);
    expect(Math.abs(report.meanConfidence - report.accuracy)).toBeLessThan(0.03);
    expect(report.answeredPrecision).toBeGreaterThanOrEqual(0.78);
    expect(report.abstained).toBeLessThan(0.25);
  });

  it('keeps the abstain threshold steady when one correction is added', () => {
    const base = trainModel(seed, { calibrationSet: { examples: heldOut } }).calibration.threshold;
    const oneMore = trainModel([...seed, { text: 'the export keeps timing out, fix it', label: 'issue' }], {
      calibrationSet: { examples: heldOut },
    }).calibration.threshold;
    expect(Math.abs(oneMore - base)).toBeLessThan(0.02);
  });

  it('puts the precision threshold where the answered confidences average the target', () => {
    const confidences = [0.95, 0.9, 0.85, 0.7, 0.6, 0.5, 0.3];
    const t = thresholdForPrecision(confidences, 0.8);
    const answered = confidences.filter((c) => c >= t);
    expect(answered.reduce((s, c) => s + c, 0) / answered.length).toBeGreaterThanOrEqual(0.8);
    expect(answered.length).toBe(5);
    expect(thresholdForPrecision([0.9, 0.95], 0.8)).toBe(0);
  });
});
