/**
 * The real client in a browser: headless Chromium (Debian's package, driven by playwright-core)
 * loads transformers.js' browser build from a local server, which also serves the exported
 * model folder and ONNX Runtime's wasm; pipeline('text-generation') runs the model on the wasm
 * backend and generates exactly lift-sft's greedy tokens. No request leaves 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { type ExportedModel, exportedModel, liftGreedy } from './exported-model.js';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL = "install Debian's chromium package: apt-get update && apt-get install -y chromium";
const TJS_DIST = join(dirname(createRequire(import.meta.url).resolve('@huggingface/transformers')), '.');
// The browser build bundles ONNX Runtime Web's JavaScript; its wasm comes from the onnxruntime-web transformers.js depends on.
const ORT_DIST = join(dirname(TJS_DIST), 'node_modules', 'onnxruntime-web', 'dist');

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.html': 'text/html', '.onnx': 'application/octet-stream' };

const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module">
import { env, pipeline } from '/lib/transformers.js';
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '/models/';
env.useBrowserCache = false;
env.backends.onnx.wasm.wasmPaths = '/ort/';
env.backends.onnx.wasm.numThreads = 1;
window.generate = async (prompts, maxNew) => {
  // No dtype here: config.json's transformers.js_config says fp32 (the wasm default would be q8).
  const gen = await pipeline('text-generation', 'm');
  const tok = gen.tokenizer;
  const ids = prompts.map((p) => Array.from(tok(p).input_ids.data, Number));
  tok.padding_side = 'left';
  const enc = tok(prompts, { padding: true });
  const out = await gen.model.generate({ ...enc, max_new_tokens: maxNew, do_sample: false });
  const single = await gen(prompts[0], { max_new_tokens: maxNew, do_sample: false });
  await gen.dispose();
  window.decode = (ids) => tok.decode(ids, { skip_special_tokens: true });
  return { ids, width: enc.input_ids.dims[1], rows: out.tolist().map((r) => r.map(Number)), single: single[0].generated_text };
};
window.ready = true;
</script>`;

function serve(routes: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    const prefix = Object.keys(routes).find((p) => url.startsWith(p));
    const file = prefix ? normalize(join(routes[prefix]!, url.slice(prefix.length))) : '';
    if (!prefix || !file.startsWith(routes[prefix]!) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('transformers.js in headless Chromium runs the ONNX export', function () {
  this.timeout(240_000);
  let browser: Browser;
  let server: Server;
  let m: ExportedModel;

  before(async () => {
    // Fails rather than skips: CI must not pass without having run the browser.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; ${INSTALL}`);
    m = await exportedModel();
    server = await serve({ '/lib/': TJS_DIST, '/ort/': ORT_DIST, '/models/m/': m.dir });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  after(async () => {
    await browser?.close();
    server?.close();
  });

  it("pipeline('text-generation') on the wasm backend gives lift-sft's greedy tokens, batched and alone", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`);
    });
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
    const got = (await page.evaluate(
      ([prompts, n]) => (window as unknown as { generate: (p: string[], n: number) => Promise<unknown> }).generate(prompts as string[], n as number),
      [m.prompts, m.maxNewTokens] as const,
    )) as { ids: number[][]; width: number; rows: number[][]; single: string };

    const ours = await liftGreedy(m, got.ids);
    const eos = m.config.eosTokenId;
    const theirs = got.rows.map((row) => {
      const gen = row.slice(got.width);
      const at = gen.findIndex((t) => eos.includes(t));
      return at < 0 ? gen : gen.slice(0, at + 1);
    });
    assert.deepEqual(theirs, ours);
    assert.ok(new Set(got.ids.map((r) => r.length)).size > 1, 'the batch is left-padded');
    const text = await page.evaluate((ids) => (window as unknown as { decode: (i: number[]) => string }).decode(ids), [...got.ids[0]!, ...ours[0]!]);
    assert.equal(got.single, text, 'one prompt through the pipeline: the text of lift-sft\'s tokens');
    assert.deepEqual(errors, []);
    assert.ok(requests.some((u) => u.endsWith('/models/m/onnx/model.onnx')), 'the fp32 model.onnx was loaded');
    assert.ok(requests.every((u) => u.startsWith(origin)), `requests left the local server: ${requests.filter((u) => !u.startsWith(origin)).join(', ')}`);
    await page.close();
  });
});
