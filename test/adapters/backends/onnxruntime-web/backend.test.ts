/**
 * The onnxruntime-web backend in Node: the same training graphs as onnxruntime-node give the
 * same losses for every method, in both graph layouts, through the library API and the registry;
 * and each way it can fail is one typed line that says what to do.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
// onnxruntime-node first: under mocha both runtimes share one onnxruntime-common, where
// onnxruntime-web also registers 'cpu' and the first registration of a name wins.
import { OnnxRuntimeBackend } from '../../../../src/adapters/backends/onnxruntime/backend.js';
import { OnnxRuntimeWebBackend } from '../../../../src/adapters/backends/onnxruntime-web/backend.js';
import { WASM_MEMORY_LIMIT, assertModelFits } from '../../../../src/adapters/backends/onnxruntime-web/errors.js';
import { LazyOnnxRuntimeWebBackend } from '../../../../src/adapters/backends/onnxruntime-web/lazy.js';
import { trainInMemory } from '../../../../src/api/in-memory.js';
import { type LoadedModel, loadModel } from '../../../../src/api/workspace.js';
import { createLift, defaultRegistry } from '../../../../src/container.js';
import type { Backend } from '../../../../src/core/contracts.js';
import { validateRunConfig } from '../../../../src/core/config/validate.js';
import { loadSftRecords } from '../../../../src/core/data/load.js';
import type { SftRecord } from '../../../../src/core/data/record.js';
import { LiftError } from '../../../../src/core/errors.js';
import { train } from '../../../../src/api/train.js';

const root = resolve(import.meta.dirname, '../../../..');
const MODEL = join(root, 'fixtures/model');
const DATA = join(root, 'fixtures/data/target_train.jsonl');
const METHODS = ['lift', 'magnitude', 'random', 'lora', 'full'] as const;

/** Three steps of `method` at batch 4 on `train`; the sparse methods refresh their masks after step 2. */
function runOf(method: string, backend: string, dir: string, train: string) {
  const sparse = method !== 'lora' && method !== 'full';
  const options = method === 'full' ? {} : { rank: 4, ...(sparse ? { interval: 2 } : {}), ...(method === 'lift' ? { filterRank: 8 } : {}) };
  return validateRunConfig({
    model: MODEL,
    data: { train, maxLength: 64 },
    method: { name: method, options },
    optimizer: { lr: method === 'full' ? 5e-4 : 2e-3 },
    batchSize: 4,
    steps: 3,
    evaluation: { generate: false },
    backend: { name: backend },
    output: { dir },
  });
}

function assertClose(actual: readonly number[], expected: readonly number[], rel: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} losses, expected ${expected.length}`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= rel * Math.abs(e), `${what}: loss ${i + 1} is ${a}, onnxruntime-node gives ${e} (relative difference ${Math.abs(a - e) / Math.abs(e)} > ${rel})`);
  });
}

async function code(p: Promise<unknown>): Promise<LiftError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LiftError, `expected a LiftError, got ${(e as Error).stack}`);
    return e;
  }
  assert.fail('expected a failure');
}

describe('onnxruntime-web backend (WebAssembly) in Node', function () {
  this.timeout(180_000);
  let model: LoadedModel;
  let records: SftRecord[];
  let dir: string;
  let data: string;
  const cpu = new OnnxRuntimeBackend({ executionProvider: 'cpu' });
  const web = new OnnxRuntimeWebBackend();
  const nodeLosses = new Map<string, number[]>();

  before(async () => {
    model = await loadModel(MODEL);
    dir = mkdtempSync(join(tmpdir(), 'lift-web-backend-'));
    // 64 records are plenty for three steps of 4, and tokenize in a blink; train() reads the same file.
    data = join(dir, 'train.jsonl');
    writeFileSync(data, readFileSync(DATA, 'utf8').split('\n').slice(0, 64).join('\n') + '\n');
    records = loadSftRecords(data).records;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const losses = async (method: string, backend: Backend) => {
    const result = await trainInMemory(runOf(method, backend.name, join(dir, `${method}-${backend.name}`), data), { model, tokenizer: model.tokenizer, records }, { backend });
    return result.losses.map((l) => l.loss);
  };

  it('declares the initializer layout: it copies what it is fed', () => {
    assert.equal(web.name, 'onnxruntime-web');
    assert.equal(web.capabilities.inputsInPlace, false);
    assert.equal(new LazyOnnxRuntimeWebBackend().capabilities.inputsInPlace, false);
  });

  for (const method of METHODS) {
    it(`${method}: three steps give onnxruntime-node's losses to 1e-4 relative`, async () => {
      const expected = await losses(method, cpu);
      nodeLosses.set(method, expected);
      assertClose(await losses(method, web), expected, 1e-4, method);
      // The steps train: a loss after an update differs from the first (it is not the same batch replayed).
      assert.notEqual(expected[1], expected[0]);
    });
  }

  it('lift in the in-place layout (master weights fed every run) gives the same losses', async () => {
    const inPlace = new OnnxRuntimeWebBackend({ inputsInPlace: true });
    assert.equal(inPlace.capabilities.inputsInPlace, true);
    assertClose(await losses('lift', inPlace), nodeLosses.get('lift') ?? (await losses('lift', cpu)), 1e-4, 'lift in place');
  });

  it("runs through the library API as `backend: { name: 'onnxruntime-web' }`, registered lazily by defaultRegistry", async () => {
    const registry = defaultRegistry();
    assert.ok(registry.backendNames().includes('onnxruntime-web'));
    const { result } = await train(runOf('lift', 'onnxruntime-web', join(dir, 'api-web'), data), { registry });
    assertClose(
      result.losses.map((l) => l.loss),
      nodeLosses.get('lift') ?? (await losses('lift', cpu)),
      1e-4,
      'train() on onnxruntime-web',
    );
  });

  describe('bad input', () => {
    it('a backend name that is not registered lists the registered ones, onnxruntime-web among them', async () => {
      const e = await code(createLift({ backends: ['onnxruntime-webgpu'] }));
      assert.match(e.message, /onnxruntime-webgpu: not registered \(registered: onnxruntime-cpu, onnxruntime-cuda, onnxruntime-web\)/);
    });

    it('missing WebAssembly files: E_WASM_MISSING naming where it looked and what to do (own process: the failure is process-wide)', () => {
      const empty = mkdtempSync(join(tmpdir(), 'lift-no-wasm-'));
      try {
        const backend = join(root, 'src/adapters/backends/onnxruntime-web/backend.ts');
        const script =
          `import { OnnxRuntimeWebBackend } from ${JSON.stringify(backend)};` +
          `try { await new OnnxRuntimeWebBackend({ wasmPaths: ${JSON.stringify(empty + '/')} }).init(); console.log('{}'); }` +
          'catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }';
        const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
        const { code, message } = JSON.parse(out.trim().split('\n').at(-1)!) as { code?: string; message?: string };
        assert.equal(code, 'E_WASM_MISSING');
        assert.ok(message!.includes(empty), message);
        assert.match(message!, /ort-wasm-simd-threaded\.wasm/);
        assert.match(message!, /wasmPaths/);
        assert.doesNotMatch(message!, /\n/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });

    it('a graph larger than the WebAssembly heap: E_OUT_OF_MEMORY before the runtime tries, saying what to do', async () => {
      const small = new OnnxRuntimeWebBackend({ memoryLimitBytes: 1024 * 1024 });
      const e = await code(losses('lift', small));
      assert.equal(e.code, 'E_OUT_OF_MEMORY');
      assert.match(e.message, /graph 'train-4x\d+' does not fit .*smaller model, batch size or maxLength, or train in Node/);
    });

    it('a model too large for a tab is refused from its size alone, before any download', () => {
      assert.doesNotThrow(() => assertModelFits('model.safetensors', 7_138_000));
      assert.throws(
        () => assertModelFits('https://example.org/model.safetensors', 3 * 1024 ** 3),
        (e: LiftError) => e.code === 'E_OUT_OF_MEMORY' && /holds 3\.00 GiB .* at most 4\.00 GiB: pick a model under 2\.00 GiB/.test(e.message),
      );
      assert.equal(WASM_MEMORY_LIMIT, 4 * 1024 ** 3);
    });

    it('Node without onnxruntime-web: the package root imports, and asking for the backend is E_BACKEND_MISSING with the install command', () => {
      // A child process whose module resolution hides the package, as on a machine that never installed it.
      const hooks = mkdtempSync(join(tmpdir(), 'lift-no-web-'));
      try {
        writeFileSync(
          join(hooks, 'hook.mjs'),
          'export async function resolve(s, c, next) {\n' +
            "  if (s === 'onnxruntime-web' || s.startsWith('onnxruntime-web/')) {\n" +
            "    throw Object.assign(new Error(`Cannot find package 'onnxruntime-web' imported from ${c.parentURL}`), { code: 'ERR_MODULE_NOT_FOUND' });\n" +
            '  }\n  return next(s, c);\n}\n',
        );
        writeFileSync(join(hooks, 'register.mjs'), "import { register } from 'node:module';\nregister(new URL('./hook.mjs', import.meta.url));\n");
        const script =
          `const lift = await import(${JSON.stringify(join(root, 'src/index.ts'))});` +
          "try { await lift.defaultRegistry().resolveBackend(['onnxruntime-web']); console.log('{}'); }" +
          'catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, train: typeof lift.train })); }';
        const out = execFileSync(process.execPath, ['--import', 'tsx', '--import', join(hooks, 'register.mjs'), '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
        const { code, message, train } = JSON.parse(out.trim().split('\n').at(-1)!) as { code?: string; message?: string; train?: string };
        assert.equal(train, 'function');
        assert.equal(code, 'E_BACKEND_MISSING');
        assert.match(message!, /onnxruntime-web: the onnxruntime-web backend needs the onnxruntime-web package, which is not installed .*npm install onnxruntime-web@1\.30/);
      } finally {
        rmSync(hooks, { recursive: true, force: true });
      }
    });
  });
});
