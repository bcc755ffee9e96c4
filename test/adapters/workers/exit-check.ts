/** Selects masks on the CPU backend's task pool and returns without disposing it: the process must still exit. */
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import type { WorkerTaskPool } from '../../../src/adapters/workers/pool.js';
import { Rng } from '../../../src/core/rng.js';
import { tensor } from '../../../src/core/tensor.js';
import { createTargets, targetMasks } from '../../../src/core/training/targets.js';
import { MagnitudeStrategy } from '../../../src/plugins/magnitude/index.js';
import { sparseParametrization } from '../../../src/plugins/sparse/index.js';

const backend = new OnnxRuntimeBackend({ taskThreads: 2 });
const pool = backend.taskPool()!;
const specs = [0, 1, 2].map((i) => ({ name: `w${i}`, rows: 8, cols: 8, source: tensor('float32', [8, 8], Float32Array.from({ length: 64 }, (_, j) => (j * 7 + i) % 13)) }));
const targets = await createTargets(specs, sparseParametrization, { rank: 1 }, { strategy: new MagnitudeStrategy(), maskRng: new Rng(1), initRng: new Rng(2), pool: { size: pool.size, minElements: 0, run: (c, t) => pool.run(c, t), dispose: () => pool.dispose() } });
process.stdout.write(`selected ${targetMasks(targets).get('w0')!.length} on ${(pool as WorkerTaskPool).started} threads\n`);
