import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { assertCudaAvailable, cudaProviderPath } from '../../../src/adapters/backends/onnxruntime/cuda.js';
import { LiftError } from '../../../src/core/errors.js';
import { Graph } from '../../../src/core/graph/graph.js';
import * as op from '../../../src/core/graph/ops.js';
import { Registry } from '../../../src/core/registry.js';

function cudaInstalled(): boolean {
  try {
    assertCudaAvailable();
    return true;
  } catch {
    return false;
  }
}

describe('onnxruntime backend: CUDA provider', () => {
  it('fails with E_CUDA_MISSING and install instructions when the provider library is absent', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ort-bin-'));
    assert.throws(
      () => assertCudaAvailable(empty),
      (e: unknown) =>
        e instanceof LiftError &&
        e.code === 'E_CUDA_MISSING' &&
        e.message.includes('ONNXRUNTIME_NODE_INSTALL=cuda12') &&
        e.message.includes('CUDA 12') &&
        e.message.includes(cudaProviderPath(empty)),
    );
  });

  it('accepts a folder that holds the provider library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-bin-'));
    writeFileSync(cudaProviderPath(dir), '');
    assert.doesNotThrow(() => assertCudaAvailable(dir));
  });

  it('compile with executionProvider cuda fails without the provider, never falling back to CPU', async () => {
    const g = new Graph('cuda-check');
    const x = g.input('x', 'float32', [2]);
    const y = op.add(x, x);
    const compiling = new OnnxRuntimeBackend().compile(g, [y], { executionProvider: 'cuda' });
    if (cudaInstalled()) {
      const exe = await compiling; // a machine with the provider: it must really compile for CUDA
      assert.equal(exe.outputs.length, 1);
    } else {
      await assert.rejects(compiling, (e: unknown) => e instanceof LiftError && e.code === 'E_CUDA_MISSING');
    }
  });

  it('resolveBackend reports the CUDA failure and falls to the next hint only when asked', async () => {
    const reg = new Registry();
    reg.registerBackend('cpu', new OnnxRuntimeBackend({ executionProvider: 'cpu' }), 1);
    reg.registerBackend('cuda', new OnnxRuntimeBackend({ executionProvider: 'cuda' }), 2);
    if (!cudaInstalled()) {
      await assert.rejects(reg.resolveBackend(['cuda']), (e: unknown) => e instanceof LiftError && /cuda: .*not installed/.test(e.message));
      assert.equal((await reg.resolveBackend(['cuda', 'cpu'])).name, 'cpu');
    }
    await assert.rejects(reg.resolveBackend(['tpu']), /tpu: not registered \(registered: cpu, cuda\)/);
  });
});
