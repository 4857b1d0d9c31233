/**
 * The worker thread of {@link ClassifierThread} (classifier-thread.ts): the classifier's CPU work, so
 * that it never holds up the main thread's HTTP acks. Reads batches of message texts with the model
 * the main thread sends (wink-nlp, chrono-node, the SVM), and retrains (training, calibration, the
 * gate). No database, no Redis: data in, results out. Keeps the one model it was last sent, decoded once.
 */
import { parentPort } from 'node:worker_threads';
import { loadClassifier, type Classifier } from '../src/classifier/classifier.ts';
import { buildDefaultModel } from '../src/classifier/default-model.ts';
import type { ModelArtifact } from '../src/classifier/model-artifact.ts';
import { readMessage, type MessageReading, type ReadingContext } from '../src/classifier/read-message.ts';
import { retrainModel, type RetrainInput, type RetrainResult } from '../src/classifier/retrain.ts';
import { lowerThreadPriority } from './thread-priority.ts';

// Background work: when the cores are busy, the main thread's acks go first (thread-priority.ts).
lowerThreadPriority();

/** A batch to read (`artifact` comes along when the thread does not have that version yet), or a retrain. */
export type ClassifierRequest =
  | {
      id: number;
      kind: 'read';
      version: string;
      artifact?: ModelArtifact;
      texts: readonly string[];
      ctx: ReadingContext;
    }
  | { id: number; kind: 'retrain'; input: RetrainInput }
  | { id: number; kind: 'build-default' };

export type ClassifierResponse =
  | { id: number; readings: MessageReading[] }
  | { id: number; retrained: RetrainResult }
  | { id: number; built: ModelArtifact }
  | { id: number; needModel: true }
  | { id: number; error: string };

let model: Classifier | undefined;

function answer(req: ClassifierRequest): ClassifierResponse {
  if (req.kind === 'retrain') return { id: req.id, retrained: retrainModel(req.input) };
  if (req.kind === 'build-default') return { id: req.id, built: buildDefaultModel() };
  if (req.artifact && model?.version !== req.artifact.version) model = loadClassifier(req.artifact);
  if (model?.version !== req.version) return { id: req.id, needModel: true };
  const classifier = model;
  return {
    id: req.id,
    readings: req.texts.map((text, i) => readMessage(classifier, text, req.ctx, req.ctx.saidAt?.[i])),
  };
}

parentPort!.on('message', (req: ClassifierRequest) => {
  let res: ClassifierResponse;
  try {
    res = answer(req);
  } catch (err) {
    res = { id: req.id, error: (err as Error).message };
  }
  parentPort!.postMessage(res);
});
