/**
 * The browser example, built and served as a user serves it, driven in headless Chromium: it
 * fine-tunes in a Web Worker with the losses of the same run in Node on onnxruntime-node, answers
 * a fixed prompt as the Node model does, and downloads a valid safetensors file of the same
 * weights; a broken deployment or a bad start shows one visible line that says what to do.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
// onnxruntime-node first: under mocha both runtimes share one onnxruntime-common, where
// onnxruntime-web also registers 'cpu' and the first registration of a name wins.
import { defaultRegistry } from '../../src/container.js';
import { buildPage } from '../../examples/browser/build.js';
import { askPage, chromiumMissing, downloadFromPage, launchChromium, openAndTrain, type PageRun } from '../../examples/browser/drive.js';
import { FIXED_PROMPT, paramsFrom } from '../../examples/browser/src/params.js';
import { pageRunConfig } from '../../examples/browser/src/run-config.js';
import { type PageServer, servePage } from '../../examples/browser/serve.js';
import { checkWeights } from '../../src/adapters/huggingface/model-weights.js';
import { decodeSafetensors, parseSafetensorsHeader } from '../../src/adapters/huggingface/safetensors-codec.js';
import { readSafetensors } from '../../src/adapters/huggingface/safetensors.js';
import { greedyAnswer } from '../../src/api/in-memory.js';
import { train } from '../../src/api/train.js';
import { validateRunConfig } from '../../src/core/config/validate.js';
import type { ModelConfig } from '../../src/core/model/config.js';
import type { Tensor } from '../../src/core/tensor.js';

const root = resolve(import.meta.dirname, '../..');
const QUERY = 'steps=3&interval=2';

describe('the browser example in headless Chromium', function () {
  this.timeout(300_000);
  let dir: string;
  let server: PageServer;
  let browser: Browser;
  let node: { losses: number[]; weights: Map<string, Tensor<'float32'>>; answer: string; config: ModelConfig };
  let run: PageRun;

  before(async function () {
    const missing = chromiumMissing();
    if (missing) {
      console.log(`    skipped: ${missing}`);
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'lift-browser-'));
    server = await servePage(await buildPage(join(dir, 'page')));
    browser = await launchChromium();
    // The same run in Node, on onnxruntime-node: the page's parameters, the fixture files.
    const params = paramsFrom(new URLSearchParams(QUERY));
    const raw = pageRunConfig(params, { model: join(root, 'fixtures/model'), train: join(root, 'fixtures/data/target_train.jsonl') });
    const registry = defaultRegistry();
    const { result, model } = await train(validateRunConfig({ ...raw, backend: { name: 'onnxruntime-cpu' }, output: { dir: join(dir, 'node-run') } }), { registry });
    const weights = result.weights();
    const { backend } = await registry.resolveBackend(['onnxruntime-cpu']);
    const answer = await greedyAnswer(backend, { config: model.config, weights }, model.tokenizer, FIXED_PROMPT, { maxNewTokens: 48 });
    node = { losses: result.losses.map((l) => l.loss), weights, answer, config: model.config };
    run = await openAndTrain(browser, `${server.url}?${QUERY}&autostart=1`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fine-tunes in a Web Worker with the Node run\'s losses to 1e-4, from its own origin, the page staying responsive', () => {
    assert.equal(run.error, '');
    assert.equal(run.state, 'done');
    assert.deepEqual(run.problems, []);
    assert.equal(run.losses.length, node.losses.length);
    run.losses.forEach((loss, i) => {
      const want = node.losses[i]!;
      assert.ok(Math.abs(loss - want) <= 1e-4 * Math.abs(want), `step ${i + 1}: page ${loss}, Node ${want}`);
    });
    const origin = new URL(server.url).origin;
    assert.deepEqual(run.requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
    for (const file of ['worker.js', 'ort-wasm-simd-threaded.wasm', 'model/model.safetensors', 'data/train.jsonl']) {
      assert.ok(run.requests.includes(`${origin}/${file}`), `the page fetched ${file}`);
    }
    assert.ok(run.tokensPerSecond > 0);
    // Served cross-origin isolated, so onnxruntime-web may run threads.
    assert.ok(run.threads >= 1);
    assert.ok(run.maxGapMs < 1000, `the page's thread stalled ${run.maxGapMs} ms while the worker trained`);
  });

  it('answers the fixed prompt with the Node model\'s greedy answer', async () => {
    const { text } = await askPage(run.page);
    assert.ok(node.answer.length > 0);
    assert.equal(text, node.answer);
  });

  it('downloads the fine-tuned model as a valid safetensors file with the Node run\'s weights', async () => {
    const file = await downloadFromPage(run.page);
    assert.equal(file.name, 'model.safetensors');
    const header = parseSafetensorsHeader(file.bytes, file.name);
    assert.equal(header.metadata?.['lift_sft.method'], 'lift');
    // Checked as a checkpoint of the model's own config: every tensor present, shaped, nothing else.
    const weights = checkWeights(node.config, decodeSafetensors(file.bytes, file.name), file.name);
    assert.equal(weights.size, node.weights.size);
    const base = readSafetensors(join(root, 'fixtures/model/model.safetensors'));
    let trained = 0;
    for (const [name, want] of node.weights) {
      const got = weights.get(name)!.data;
      for (let i = 0; i < want.data.length; i++) {
        assert.ok(Math.abs(got[i]! - want.data[i]!) <= 1e-4 * Math.max(1, Math.abs(want.data[i]!)), `${name}[${i}]: ${got[i]} vs ${want.data[i]}`);
      }
      if (got.some((v, i) => v !== base.get(name)!.data[i])) trained++;
    }
    // The fine-tuned weights, not the base: LIFT changed every target matrix (4 layers × 7) and nothing else.
    assert.equal(trained, 28);
  });

  describe('bad starts, each one visible line with what to do', () => {
    it('opened from file://: E_FILE_PROTOCOL, pointing at npm run example:browser', async () => {
      const r = await openAndTrain(browser, pathToFileURL(join(dir, 'page', 'index.html')).href + '?autostart=1', 30_000);
      assert.equal(r.state, 'error');
      assert.match(r.error, /^lift: error \[E_FILE_PROTOCOL\]: .*npm run example:browser/);
      assert.ok(await r.page.isVisible('#error'));
    });

    it('served without onnxruntime-web\'s WebAssembly files: E_WASM_MISSING naming them', async () => {
      const broken = await servePage(join(dir, 'page'), { hide: ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'] });
      try {
        const r = await openAndTrain(browser, `${broken.url}?steps=1&autostart=1`, 60_000);
        assert.equal(r.state, 'error');
        assert.match(r.error, /^lift: error \[E_WASM_MISSING\]: .*ort-wasm-simd-threaded\.wasm.*serve them there/);
        assert.ok(await r.page.isVisible('#error'));
      } finally {
        await broken.close();
      }
    });

    it('a model too large for the tab\'s memory: E_OUT_OF_MEMORY before the weights are downloaded', async () => {
      // The bundled model against a 4 MB heap stands in for a multi-GiB model against 4 GiB.
      const r = await openAndTrain(browser, `${server.url}?memoryLimit=4000000&autostart=1`, 60_000);
      assert.equal(r.state, 'error');
      assert.match(r.error, /^lift: error \[E_OUT_OF_MEMORY\]: model\/model\.safetensors holds .* pick a model under/);
    });
  });
});
