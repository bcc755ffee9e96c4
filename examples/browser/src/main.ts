/**
 * The page: starts the training worker, shows its progress (step, loss chart, tokens/s), asks it
 * for greedy answers and for the fine-tuned model as a download. Every failure is shown on the
 * page as one line with its code. The page's own thread only draws: training runs in the worker.
 */
import { drawLossChart } from './chart.js';
import type { FromWorker, ToWorker } from './protocol.js';
import { FIXED_PROMPT, type PageParams, paramsFrom } from './params.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const query = new URLSearchParams(location.search);
const params = paramsFrom(query);
const losses: number[] = [];
/** Seconds since the first step began, at the end of each step (the worker's clock). */
const elapsed: number[] = [];
let worker: Worker | undefined;

type State = 'idle' | 'training' | 'done' | 'error';
function setState(state: State): void {
  document.body.dataset.state = state;
  $<HTMLButtonElement>('start').disabled = state === 'training' || (state === 'error' && !worker);
  $<HTMLButtonElement>('ask').disabled = state !== 'done';
  $<HTMLButtonElement>('download').disabled = state !== 'done';
}

function showError(code: string, message: string): void {
  $('error').textContent = `lift: error [${code}]: ${message}`;
  $('status').textContent = 'failed';
  setState('error');
}

/** The main thread's longest gap between timer ticks while training: the page's responsiveness. */
const heartbeat = { last: performance.now(), maxGapMs: 0 };
setInterval(() => {
  const now = performance.now();
  if (document.body.dataset.state === 'training') heartbeat.maxGapMs = Math.max(heartbeat.maxGapMs, now - heartbeat.last);
  heartbeat.last = now;
  document.body.dataset.maxGapMs = heartbeat.maxGapMs.toFixed(0);
}, 50);

function onMessage(msg: FromWorker): void {
  switch (msg.type) {
    case 'status':
      $('status').textContent = msg.text;
      break;
    case 'loaded':
      $('threads').textContent = String(msg.threads);
      $('status').textContent = `${msg.parameters.toLocaleString('en')} parameters, ${msg.records.toLocaleString('en')} training records`;
      break;
    case 'step':
      losses.push(msg.loss);
      elapsed.push(msg.elapsedSeconds);
      $('step').textContent = `${msg.step}/${msg.totalSteps}`;
      $('loss').textContent = msg.loss.toFixed(4);
      $('tps').textContent = msg.tokensPerSecond.toFixed(0);
      drawLossChart($('chart') as unknown as SVGSVGElement, losses);
      break;
    case 'done': {
      // The run's own losses, at full precision, for anyone comparing runs (the Chromium test does).
      $('chart').dataset.losses = JSON.stringify(msg.losses);
      $('chart').dataset.trainSeconds = String(msg.trainSeconds);
      $('chart').dataset.elapsed = JSON.stringify(elapsed);
      $('tps').textContent = msg.tokensPerSecond.toFixed(0);
      $('status').textContent = `done: ${msg.trainableParams.toLocaleString('en')} trainable parameters, ${msg.trainSeconds.toFixed(1)} s`;
      setState('done');
      break;
    }
    case 'answer':
      $('answer').textContent = msg.text;
      $('answer').dataset.seconds = msg.seconds.toFixed(3);
      $('status').textContent = `answered in ${msg.seconds.toFixed(2)} s`;
      $<HTMLButtonElement>('ask').disabled = false;
      break;
    case 'file': {
      const url = URL.createObjectURL(new Blob([msg.bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = msg.name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      break;
    }
    case 'error':
      showError(msg.code, msg.message);
      break;
  }
}

function startWorker(): Worker | undefined {
  // (From file://, this script never runs: index.html's inline script shows what to do.)
  try {
    const w = new Worker(new URL('worker.js', location.href), { type: 'module' });
    w.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
    w.onerror = (ev) => {
      ev.preventDefault();
      showError('E_WORKER', `the training worker failed (${ev.message || 'worker.js could not be loaded'}); serve the built page with \`npm run example:browser\``);
    };
    return w;
  } catch (e) {
    showError('E_WORKER', `the training worker could not start (${(e as Error).message}); serve the built page with \`npm run example:browser\``);
    return undefined;
  }
}

function formParams(): PageParams {
  const num = (id: string, fallback: number) => {
    const v = Number($<HTMLInputElement>(id).value);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return { ...params, method: $<HTMLSelectElement>('method').value, steps: num('steps', params.steps), lr: num('lr', params.lr), rank: num('rank', params.rank) };
}

function start(): void {
  if (!worker) return;
  losses.length = 0;
  elapsed.length = 0;
  heartbeat.maxGapMs = 0;
  $('answer').textContent = '';
  $('error').textContent = '';
  delete $('chart').dataset.losses;
  setState('training');
  const memoryLimit = Number(query.get('memoryLimit'));
  const msg: ToWorker = { type: 'train', params: formParams(), ...(memoryLimit > 0 ? { memoryLimit } : {}) };
  worker.postMessage(msg);
}

$<HTMLSelectElement>('method').value = params.method;
$<HTMLInputElement>('steps').value = String(params.steps);
$<HTMLInputElement>('lr').value = String(params.lr);
$<HTMLInputElement>('rank').value = String(params.rank);
$<HTMLInputElement>('prompt').value = query.get('prompt') ?? FIXED_PROMPT;
setState('idle');
worker = startWorker();
if (!worker) setState('error');
$('start').addEventListener('click', start);
$('ask').addEventListener('click', () => {
  $<HTMLButtonElement>('ask').disabled = true;
  const msg: ToWorker = { type: 'answer', prompt: $<HTMLInputElement>('prompt').value, maxNewTokens: 48 };
  worker?.postMessage(msg);
});
$('download').addEventListener('click', () => worker?.postMessage({ type: 'download' } satisfies ToWorker));
if (worker && query.get('autostart') === '1') start();
