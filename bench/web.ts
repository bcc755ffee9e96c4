/**
 * One run of the browser example's configuration (LIFT on the bundled model) on three hosts:
 * onnxruntime-node (CPU), onnxruntime-web in Node (WebAssembly, in both graph layouts), and the
 * example page in headless Chromium (onnxruntime-web in a Web Worker). The same steps, batches,
 * seed and thread count everywhere; writes bench/results/web.json with tokens/s, the median step
 * time and the losses, which must agree across hosts.
 *
 *   npm run bench:web                  # 30 steps, 2 threads
 *   STEPS=60 THREADS=4 npm run bench:web
 */
// onnxruntime-node before onnxruntime-web: see test/examples/browser.test.ts.
import { defaultRegistry, train, validateRunConfig, type StepRecord } from '../src/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OnnxRuntimeWebBackend } from '../src/adapters/backends/onnxruntime-web/backend.js';
import { buildPage } from '../examples/browser/build.js';
import { chromiumMissing, launchChromium, openAndTrain } from '../examples/browser/drive.js';
import { paramsFrom } from '../examples/browser/src/params.js';
import { pageRunConfig } from '../examples/browser/src/run-config.js';
import { servePage } from '../examples/browser/serve.js';
import { machine, median, writeResult } from './util.js';

const root = resolve(import.meta.dirname, '..');
const steps = Number(process.env.STEPS ?? 30);
const threads = Number(process.env.THREADS ?? 2);
const query = `steps=${steps}&threads=${threads}`;
const params = paramsFrom(new URLSearchParams(query));

interface HostFigures {
  host: string;
  tokensPerSecond: number;
  medianStepSeconds: number;
  trainSeconds: number;
  losses: number[];
}

/** Median of the step-to-step differences of the elapsed clock (the first step's compile excluded). */
function medianStep(elapsed: readonly number[]): number {
  return median(elapsed.slice(1).map((t, i) => t - elapsed[i]!));
}

async function inNode(host: string, backendName: string, web?: OnnxRuntimeWebBackend): Promise<HostFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'lift-bench-web-'));
  try {
    const registry = defaultRegistry();
    if (web) registry.registerBackend(backendName, web, 0);
    const raw = pageRunConfig(params, { model: join(root, 'fixtures/model'), train: join(root, 'fixtures/data/target_train.jsonl') });
    const run = validateRunConfig({ ...raw, backend: { name: backendName, threads }, output: { dir } });
    const elapsed: number[] = [];
    const { result } = await train(run, { registry, logger: { step: (r: StepRecord) => void elapsed.push(r.elapsedSeconds) } });
    return { host, tokensPerSecond: result.tokensPerSecond, medianStepSeconds: medianStep(elapsed), trainSeconds: elapsed.at(-1)!, losses: result.losses.map((l) => l.loss) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inChromium(): Promise<HostFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'lift-bench-page-'));
  const server = await servePage(await buildPage(join(dir, 'page')));
  const browser = await launchChromium();
  try {
    const r = await openAndTrain(browser, `${server.url}?${query}&autostart=1`, 1_800_000);
    if (r.state !== 'done') throw new Error(`the page failed: ${r.error}`);
    return { host: `onnxruntime-web in Chromium (Web Worker, ${r.threads} threads)`, tokensPerSecond: r.tokensPerSecond, medianStepSeconds: medianStep(r.elapsed), trainSeconds: r.trainSeconds, losses: r.losses };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const hosts: HostFigures[] = [];
hosts.push(await inNode('onnxruntime-node (CPU)', 'onnxruntime-cpu'));
hosts.push(await inNode('onnxruntime-web in Node (initializer layout, the default)', 'web-initializers', new OnnxRuntimeWebBackend({ numThreads: threads })));
hosts.push(await inNode('onnxruntime-web in Node (in-place layout: master weights fed every run)', 'web-in-place', new OnnxRuntimeWebBackend({ numThreads: threads, inputsInPlace: true })));
const missing = chromiumMissing();
if (missing) console.log(`Chromium skipped: ${missing}`);
else hosts.push(await inChromium());

const reference = hosts[0]!.losses;
const maxRelativeLossDifference = Math.max(...hosts.flatMap((h) => h.losses.map((l, i) => Math.abs(l - reference[i]!) / Math.abs(reference[i]!))));
for (const h of hosts) {
  console.log(`${h.host}: ${h.tokensPerSecond.toFixed(0)} tokens/s, median step ${(h.medianStepSeconds * 1000).toFixed(0)} ms, ${h.trainSeconds.toFixed(1)} s, final loss ${h.losses.at(-1)!.toFixed(6)}`);
}
console.log(`largest relative loss difference from onnxruntime-node: ${maxRelativeLossDifference.toExponential(2)}`);
const file = writeResult('web', { machine: machine(), run: pageRunConfig(params), threads, hosts, maxRelativeLossDifference });
console.log(`wrote ${file}`);
