// Minimal typings for ml-svm 2.x (the package ships none); only what ml-svm.backend.ts uses.
declare module 'ml-svm' {
  interface SvmOptions {
    C?: number;
    tol?: number;
    maxPasses?: number;
    maxIterations?: number;
    kernel?: string;
    kernelOptions?: Record<string, number>;
    alphaTol?: number;
    random?: () => number;
    whitening?: boolean;
  }
  interface SvmJson {
    options: SvmOptions;
    b: number;
    X: number[][];
    Y: number[];
    alphas: number[];
    minMax?: unknown;
  }
  class SVM {
    constructor(options?: SvmOptions);
    train(features: number[][], labels: number[]): void;
    marginOne(features: number[]): number;
    toJSON(): SvmJson;
    static load(model: SvmJson): SVM;
  }
  export default SVM;
}
