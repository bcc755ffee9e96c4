/**
 * onnxruntime-node ships only the CPU provider; the CUDA provider libraries are an optional
 * download that this project's .npmrc skips. Asking for CUDA without them must fail loudly,
 * never fall back to CPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendError } from '../../../core/errors.js';

export const CUDA_INSTALL_HINT =
  'install the CUDA provider with `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node` ' +
  '(needs network access, an NVIDIA driver and the CUDA 12 runtime with cuDNN 9 on the library path)';

/** The folder that holds onnxruntime-node's native libraries for this platform. */
export function ortBinaryDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

export function cudaProviderPath(binDir = ortBinaryDir()): string {
  return join(binDir, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so');
}

/** Throws E_CUDA_MISSING unless the CUDA provider library is installed. */
export function assertCudaAvailable(binDir = ortBinaryDir()): void {
  const lib = cudaProviderPath(binDir);
  if (!existsSync(lib)) {
    throw new BackendError(
      `the ONNX Runtime CUDA execution provider is not installed (${lib} is missing); ${CUDA_INSTALL_HINT}`,
      { library: lib },
      'E_CUDA_MISSING',
    );
  }
}
