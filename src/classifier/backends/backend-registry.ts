import { ClassifierError } from '../classifier-error.js';
import { linearSvmBackend } from './linear-svm.backend.js';
import { mlSvmBackend } from './ml-svm.backend.js';
import type { SvmBackend, SvmBackendName } from './svm-backend.js';

/** Names accepted by `--backend`. */
export const SVM_BACKEND_NAMES: readonly SvmBackendName[] = ['linear', 'ml-svm'];

/** The backend with this name, or an `INVALID_ARGUMENT` error listing the valid ones. */
export function svmBackendByName(name: string): SvmBackend {
  if (name === 'linear') return linearSvmBackend;
  if (name === 'ml-svm') return mlSvmBackend;
  throw new ClassifierError('INVALID_ARGUMENT', `Unknown backend "${name}"; use one of: ${SVM_BACKEND_NAMES.join(', ')}.`);
}
