/**
 * The worker thread of {@link ThreadMessageReader} (thread-message-reader.ts): reads batches of
 * message texts with the model the main thread sends, so that classification's CPU work (wink-nlp,
 * chrono-node, the SVM) never holds up the main thread's HTTP acks. No database, no Redis: text in,
 * readings out. Keeps the one model it was last sent, decoded once.
 */
import { parentPort } from 'node:worker_threads';
import { loadClassifier, type Classifier } from '../src/classifier/classifier.ts';
import type { ModelArtifact } from '../src/classifier/model-artifact.ts';
import { readMessage, type MessageReading, type ReadingContext } from '../src/classifier/read-message.ts';

/** A batch to read; `artifact` comes along when the thread does not have that version yet. */
export interface ReadRequest {
  id: number;
  version: string;
  artifact?: ModelArtifact;
  texts: readonly string[];
  ctx: ReadingContext;
}

export type ReadResponse =
  | { id: number; readings: MessageReading[] }
  | { id: number; needModel: true }
  | { id: number; error: string };

let model: Classifier | undefined;

function answer(req: ReadRequest): ReadResponse {
  if (req.artifact && model?.version !== req.artifact.version) model = loadClassifier(req.artifact);
  if (model?.version !== req.version) return { id: req.id, needModel: true };
  const classifier = model;
  return { id: req.id, readings: req.texts.map((text) => readMessage(classifier, text, req.ctx)) };
}

parentPort!.on('message', (req: ReadRequest) => {
  let res: ReadResponse;
  try {
    res = answer(req);
  } catch (err) {
    res = { id: req.id, error: (err as Error).message };
  }
  parentPort!.postMessage(res);
});
