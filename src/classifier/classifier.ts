import { svmBackendByName } from './backends/backend-registry.ts';
import { plattProbability } from './calibration.ts';
import { signalProbability } from './churn-risk-head.ts';
import { RapportError } from '../errors.ts';
import { Featurizer } from './featurizer.ts';
import { UNCLASSIFIED } from './labeled-example.ts';
import type { ModelArtifact } from './model-artifact.ts';
import { rowOf } from './sparse-vector.ts';

/** The answer for one message. */
export interface Classification {
  /** Best label, or `unclassified` when `confidence` is below the model's abstain threshold. */
  readonly label: string;
  /** Best label even when abstaining (for review screens and evaluation). */
  readonly topLabel: string;
  /** Calibrated probability that `topLabel` is right. */
  readonly confidence: number;
  /** The SVM's raw margin for `topLabel` (what `confidence` is calibrated from). */
  readonly margin: number;
  /**
   * Calibrated probability that the customer threatens to leave, whatever the label (a complaint
   * can be one); `null` for models without a churn-risk head.
   */
  readonly churnRisk: number | null;
  /** `churnRisk` at or above the head's threshold. */
  readonly churnRiskFlag: boolean;
  /** Calibrated one-vs-rest probability per label. */
  readonly scores: Record<string, number>;
}

/** A loaded model ready to classify. */
export interface Classifier {
  readonly version: string;
  readonly labels: readonly string[];
  readonly threshold: number;
  classify(text: string): Classification;
  /** Like {@link Classifier.classify} without the per-label scores. */
  classifyTop(text: string): TopClassification;
  /**
   * {@link Classifier.classifyTop} for many messages: they are tokenised together, which is several
   * times faster per message (see tokenizeTermsBatch). The fast path for bulk work.
   */
  classifyBatch(texts: readonly string[]): TopClassification[];
}

/** A {@link Classification} without the per-label scores. */
export type TopClassification = Omit<Classification, 'scores'>;

/** Builds a classifier from an artifact (decodes weights once; classification then allocates little). */
export function loadClassifier(artifact: ModelArtifact): Classifier {
  const featurizer = Featurizer.fromState(artifact.featurizer);
  const svm = svmBackendByName(artifact.backend).load(artifact.weights, artifact.weightsShape);
  const labels = artifact.labels;
  if (svm.classCount !== labels.length) {
    throw new RapportError(
      'invalid_input',
      `Model ${artifact.version} has ${labels.length} labels but weights for ${svm.classCount}; retrain it.`,
    );
  }
  const { calibration } = artifact;
  const margins = new Float64Array(labels.length);

  const head = artifact.signals?.churnRisk;
  const headLookup = head ? new Map(head.indices.map((j, k) => [j, k])) : undefined;
  /** The answer from `margins` (just computed) for a message with `featureCount` known features. */
  const answer = (featureCount: number, churnRisk: number | null): TopClassification => {
    let best = 0;
    for (let c = 1; c < margins.length; c++) if (margins[c] > margins[best]) best = c;
    // Nothing the model knows (an empty text, an emoji, a language it never saw): the margins are the
    // biases alone, and whichever label has the largest would win by threshold accident.
    const confidence = featureCount === 0 ? 0 : plattProbability(margins[best], calibration);
    return {
      label: featureCount > 0 && confidence >= calibration.threshold ? labels[best] : UNCLASSIFIED,
      topLabel: labels[best],
      confidence,
      margin: margins[best],
      churnRisk,
      churnRiskFlag: head !== undefined && churnRisk !== null && churnRisk >= head.threshold,
    };
  };
  const top = (text: string, vector = featurizer.transform(text)) => {
    svm.decision(vector, margins);
    return answer(vector.indices.length, head ? signalProbability(head, vector, headLookup) : null);
  };

  return {
    version: artifact.version,
    labels,
    threshold: calibration.threshold,
    classifyTop: (text) => top(text),
    classifyBatch(texts) {
      // One matrix for the batch; rows are scored in place unless the churn-risk head needs a vector.
      const matrix = featurizer.transformMatrix(texts);
      const { rowStart } = matrix;
      const answers: TopClassification[] = new Array(texts.length);
      for (let i = 0; i < texts.length; i++) {
        if (svm.decisionRow && !head) {
          svm.decisionRow(matrix, i, margins);
          answers[i] = answer(rowStart[i + 1] - rowStart[i], null);
        } else answers[i] = top(texts[i], rowOf(matrix, i));
      }
      return answers;
    },
    classify(text) {
      const answer = top(text);
      const scores: Record<string, number> = {};
      labels.forEach((l, c) => {
        scores[l] = plattProbability(margins[c], calibration);
      });
      return { ...answer, scores };
    },
  };
}
