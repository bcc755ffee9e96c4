/**
 * The web backend's declared layout, apart from onnxruntime-web itself so that the lazy
 * registration (lazy.ts) knows it without loading the runtime.
 *
 * onnxruntime-web copies every fed tensor into the WebAssembly heap, so it never reads inputs in
 * place. Measured on the bundled model (npm run bench:web, LIFT, 2 threads, quiet machine): a step
 * in the initializer layout took 258 ms, in the layout that feeds the master weights 267 ms; but
 * each mask refresh rebuilds the initializer layout's sessions, about 0.65 s. The initializer
 * layout wins from a refresh interval of about 70 steps (the default is 200), and it holds the
 * weights once in a heap that has 4 GiB at most, rather than once more per run.
 */
export const WEB_INPUTS_IN_PLACE = false;
