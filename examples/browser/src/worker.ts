/**
 * The training worker: loads the model, tokenizer and data from the page's own origin, fine-tunes
 * with lift-sft on onnxruntime-web (WebAssembly), and answers prompts and download requests with
 * the fine-tuned model. Runs off the page's thread, so the page stays responsive while it trains.
 */
import {
  type InMemoryModel,
  LiftError,
  OnnxRuntimeWebBackend,
  type SftRecord,
  type Tokenizer,
  assertModelFits,
  encodeSafetensors,
  greedyAnswer,
  modelFromBytes,
  parseSftRecords,
  tokenizerFromJson,
  trainInMemory,
  validateRunConfig,
} from 'lift-sft/web';
import type { FromWorker, ToWorker } from './protocol.js';
import { PAGE_ASSETS, type PageParams } from './params.js';
import { pageRunConfig } from './run-config.js';

interface Loaded {
  model: InMemoryModel;
  tokenizer: Tokenizer;
  records: SftRecord[];
}

let backend: OnnxRuntimeWebBackend | undefined;
let loaded: Loaded | undefined;
/** The fine-tuned model (every target merged), once a run finished. */
let tuned: InMemoryModel | undefined;
let method = '';

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, { transfer });
}

/** A file of the page's own origin; a missing one is an error naming it. */
async function fetchOk(path: string): Promise<Response> {
  const url = new URL(path, self.location.href);
  const res = await fetch(url);
  if (!res.ok) throw new LiftError('E_DATA', `${url.pathname}: ${res.status} ${res.statusText}; the page is served without its assets (build it with npm run example:browser)`);
  return res;
}

async function load(memoryLimit: number | undefined): Promise<Loaded> {
  const dir = PAGE_ASSETS.model;
  post({ type: 'status', text: 'loading model, tokenizer and data' });
  const [config, tokenizerJson, tokenizerConfig, data] = await Promise.all([
    fetchOk(`${dir}/config.json`).then((r) => r.json()),
    fetchOk(`${dir}/tokenizer.json`).then((r) => r.json()),
    fetchOk(`${dir}/tokenizer_config.json`).then((r) => r.json()),
    fetchOk(PAGE_ASSETS.train).then((r) => r.text()),
  ]);
  const weightsRes = await fetchOk(`${dir}/model.safetensors`);
  // Before the body is read: a model the heap cannot train is refused without downloading it.
  const size = Number(weightsRes.headers.get('content-length') ?? NaN);
  if (Number.isFinite(size)) assertModelFits(`${dir}/model.safetensors`, size, memoryLimit);
  const bytes = new Uint8Array(await weightsRes.arrayBuffer());
  const model = modelFromBytes(config, bytes, dir);
  const tokenizer = tokenizerFromJson(tokenizerJson, tokenizerConfig, dir);
  const { records } = parseSftRecords(data, PAGE_ASSETS.train);
  return { model, tokenizer, records };
}

async function train(params: PageParams, memoryLimit: number | undefined): Promise<void> {
  const threads = params.threads > 0 ? params.threads : (navigator.hardwareConcurrency ?? 1);
  // onnxruntime-web's thread count is fixed by its first session: one backend per worker.
  backend ??= new OnnxRuntimeWebBackend({ numThreads: threads, ...(memoryLimit ? { memoryLimitBytes: memoryLimit } : {}) });
  loaded ??= await load(memoryLimit);
  post({ type: 'status', text: 'starting onnxruntime-web' });
  await backend.init();
  let parameters = 0;
  for (const t of loaded.model.weights.values()) parameters += t.data.length;
  // Without cross-origin isolation there is no SharedArrayBuffer, and onnxruntime-web runs one thread.
  post({ type: 'loaded', parameters, records: loaded.records.length, threads: self.crossOriginIsolated ? threads : 1, isolated: self.crossOriginIsolated });
  const run = validateRunConfig(pageRunConfig(params));
  method = run.method.name;
  post({ type: 'status', text: `training ${method}` });
  let trainSeconds = 0;
  const result = await trainInMemory(run, loaded, {
    backend,
    logger: {
      step: (r) => {
        trainSeconds = r.elapsedSeconds;
        post({ type: 'step', step: r.step, totalSteps: r.totalSteps, loss: r.loss, tokensPerSecond: r.tokensPerSecond, elapsedSeconds: r.elapsedSeconds });
      },
    },
  });
  tuned = { config: loaded.model.config, weights: result.weights() };
  post({
    type: 'done',
    losses: result.losses.map((l) => l.loss),
    tokensPerSecond: result.tokensPerSecond,
    trainSeconds,
    trainableParams: result.trainableParams,
  });
}

async function answer(prompt: string, maxNewTokens: number): Promise<void> {
  if (!tuned || !loaded || !backend) throw new LiftError('E_INVALID_ARGUMENT', 'no fine-tuned model yet: train first');
  const t0 = performance.now();
  const text = await greedyAnswer(backend, tuned, loaded.tokenizer, prompt, { maxNewTokens });
  post({ type: 'answer', text, seconds: (performance.now() - t0) / 1000 });
}

function download(): void {
  if (!tuned) throw new LiftError('E_INVALID_ARGUMENT', 'no fine-tuned model yet: train first');
  const parts = encodeSafetensors(tuned.weights, { metadata: { 'lift_sft.method': method, 'lift_sft.host': 'onnxruntime-web in a browser' } });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  post({ type: 'file', name: 'model.safetensors', bytes: out.buffer }, [out.buffer]);
}

/** One line with its code for the page to show: typed errors as they are, anything else as E_INTERNAL. */
function report(e: unknown): void {
  const code = e instanceof LiftError ? e.code : 'E_INTERNAL';
  const message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();
  post({ type: 'error', code, message });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const work =
    msg.type === 'train' ? train(msg.params, msg.memoryLimit) : msg.type === 'answer' ? answer(msg.prompt, msg.maxNewTokens) : Promise.resolve().then(download);
  work.catch(report);
};
