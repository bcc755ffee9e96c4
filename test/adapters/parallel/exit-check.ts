/** Runs one job on worker threads and returns without disposing the runner: the process must still exit. */
import { WorkerKernelRunner } from '../../../src/adapters/parallel/worker-runner.js';
import { AdamW } from '../../../src/plugins/adamw/index.js';

const runner = new WorkerKernelRunner({ workers: 2, minWorkerElements: 0 });
const params = new Map([0, 1, 2].map((i) => [`w${i}`, new Float32Array(1000).fill(0.5)]));
const grads = new Map([0, 1, 2].map((i) => [`w${i}`, new Float32Array(1000).fill(0.1)]));
await new AdamW().stepOn(runner, params, grads, 1e-3, 1);
process.stdout.write(`stepped ${params.get('w0')![0]}\n`);
