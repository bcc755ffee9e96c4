/**
 * The onnxruntime-web backend registered without loading onnxruntime-web: the package is an
 * optional peer, and Node users who never ask for this backend must not need it installed. The
 * runtime is imported on init (the registry's resolveBackend) or first compile; a missing
 * package is E_BACKEND_MISSING with the install command.
 */
import type { Backend, BackendCapabilities, Executable } from '../../../core/contracts.js';
import { BackendError } from '../../../core/errors.js';
import type { Graph, Value } from '../../../core/graph/graph.js';
import type { WebBackendOptions } from './backend.js';
import { WEB_INPUTS_IN_PLACE } from './capabilities.js';

export const WEB_INSTALL_HINT = 'install it with `npm install onnxruntime-web@1.30` (the version matching onnxruntime-node)';

export class LazyOnnxRuntimeWebBackend implements Backend {
  readonly name = 'onnxruntime-web';
  readonly capabilities: BackendCapabilities;
  private backend?: Promise<Backend>;

  constructor(private readonly options: WebBackendOptions = {}) {
    this.capabilities = Object.freeze({ inputsInPlace: options.inputsInPlace ?? WEB_INPUTS_IN_PLACE });
  }

  async init(): Promise<void> {
    const b = await this.resolve();
    await b.init?.();
  }

  async compile(graph: Graph, outputs: readonly Value[], options?: WebBackendOptions): Promise<Executable> {
    const b = await this.resolve();
    await b.init?.();
    return b.compile(graph, outputs, options);
  }

  async dispose(): Promise<void> {
    if (this.backend) await (await this.backend).dispose?.();
  }

  private resolve(): Promise<Backend> {
    this.backend ??= import('./backend.js').then(
      (m) => new m.OnnxRuntimeWebBackend(this.options),
      (e: unknown) => {
        this.backend = undefined; // installed later in the same process: try again
        const code = (e as { code?: string }).code;
        const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)/.test(String(e));
        const why = String((e as Error).message ?? e).replace(/\s+/g, ' ');
        throw missing
          ? new BackendError(`the onnxruntime-web backend needs the onnxruntime-web package, which is not installed (${why}); ${WEB_INSTALL_HINT}`, {}, 'E_BACKEND_MISSING')
          : new BackendError(`onnxruntime-web could not be loaded: ${why}`);
      },
    );
    return this.backend;
  }
}
