import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CudaProbe, maxLossDifference, preflight } from '../../bench/check-cuda.js';

const probe = (over: Partial<CudaProbe>): CudaProbe => ({
  nvidiaSmi: () => ({ ok: true, gpus: ['NVIDIA H200, 143771 MiB, 560.35'] }),
  driverGpus: () => true,
  providerLibrary: () => '/ort/bin/libonnxruntime_providers_cuda.so',
  exists: () => true,
  ...over,
});

describe('npm run check:cuda', () => {
  it('without a GPU: one line naming what is missing and how to install the provider', () => {
    const pre = preflight(probe({ nvidiaSmi: () => ({ ok: false, reason: 'missing', detail: '' }), driverGpus: () => false, exists: () => false }));
    assert.equal(pre.ok, false);
    if (pre.ok) return;
    assert.ok(!pre.line.includes('\n'));
    assert.match(pre.line, /^check:cuda: no NVIDIA GPU found \(nvidia-smi is not on PATH/);
    assert.match(pre.line, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.match(pre.line, /docs\/performance\.md/);
  });

  it('with a GPU but no CUDA provider: names the missing library and the install command', () => {
    const pre = preflight(probe({ exists: () => false }));
    assert.equal(pre.ok, false);
    if (pre.ok) return;
    assert.match(pre.line, /^check:cuda: the ONNX Runtime CUDA execution provider is not installed \(\/ort\/bin\/libonnxruntime_providers_cuda\.so is missing\)/);
    assert.match(pre.line, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  it('a failing nvidia-smi is reported with its message', () => {
    const pre = preflight(probe({ nvidiaSmi: () => ({ ok: false, reason: 'failed', detail: 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' }), driverGpus: () => false }));
    assert.equal(pre.ok, false);
    if (!pre.ok) assert.match(pre.line, /nvidia-smi failed: NVIDIA-SMI has failed/);
  });

  it('a GPU and the provider pass the preflight', () => {
    const pre = preflight(probe({}));
    assert.deepEqual(pre, { ok: true, gpus: ['NVIDIA H200, 143771 MiB, 560.35'], nvidiaSmi: true });
  });

  it('the command exits 1 with a single line when the provider library is absent (whatever the machine)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ort-bin-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../bench/check-cuda.ts'), `--provider-dir=${empty}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^check:cuda: /);
    assert.ok(lines[0]!.includes(empty), 'names the missing provider library');
  });

  it('compares losses step by step', () => {
    assert.equal(maxLossDifference([9, 8.5], [9.0004, 8.4999]).toFixed(4), '0.0004');
    assert.ok(Number.isNaN(maxLossDifference([9], [9, 8])));
    assert.ok(Number.isNaN(maxLossDifference([9], [NaN])));
  });
});
