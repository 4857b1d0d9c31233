import { RapportError } from '../../errors.ts';
import { linearSvmBackend } from './linear-svm.backend.ts';
import { mlSvmBackend } from './ml-svm.backend.ts';
import type { SvmBackend, SvmBackendName } from './svm-backend.ts';

/** Names accepted by `--backend`. */
export const SVM_BACKEND_NAMES: readonly SvmBackendName[] = ['linear', 'ml-svm'];

/** The backend with this name, or an `INVALID_ARGUMENT` error listing the valid ones. */
export function svmBackendByName(name: string): SvmBackend {
  if (name === 'linear') return linearSvmBackend;
  if (name === 'ml-svm') return mlSvmBackend;
  throw new RapportError('invalid_input', `Unknown backend "${name}"; use one of: ${SVM_BACKEND_NAMES.join(', ')}.`);
}
