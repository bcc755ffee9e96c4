/**
 * The PyTorch side of `npm run bench`: finds a python3 that imports torch and runs
 * bench/pytorch/train_step.py in a child process (one measurement per process, like bench/child.ts).
 * Install on Debian: `apt-get install -y python3-torch libopenblas0-pthread`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runJsonChild } from './util.js';

export const TORCH_INSTALL_HINT = 'apt-get install -y python3-torch libopenblas0-pthread (Debian), or pip install torch; LIFT_BENCH_PYTHON=/path/to/python3 picks the interpreter';

export interface TorchPython {
  python: string;
  version: string;
}

/** The first of $LIFT_BENCH_PYTHON, python3, /usr/bin/python3 that imports torch; null when none does. */
export function findTorchPython(candidates = [process.env.LIFT_BENCH_PYTHON, 'python3', '/usr/bin/python3']): TorchPython | null {
  for (const python of candidates) {
    if (!python) continue;
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

export interface TorchTraining {
  framework: 'pytorch';
  torch: string;
  threads: number;
  method: 'full' | 'lora' | 'lift';
  batch: number;
  seq: number;
  tokensPerStep: number;
  stepSeconds: number[];
  medianStepSeconds: number;
  tokensPerSecond: number;
  trainableParams: number;
  optimizerStateBytes: number;
  losses: number[];
  maxRssBytes: number;
}

export interface TorchGemm {
  framework: 'pytorch';
  torch: string;
  threads: number;
  blas: string;
  peaks: { m: number; k: number; n: number; seconds: number; gflops: number }[];
}

export function runTorch<T>(python: string, spec: Record<string, unknown>): Promise<T> {
  return runJsonChild<T>(python, [join(import.meta.dirname, 'pytorch', 'train_step.py'), JSON.stringify(spec)], `pytorch ${JSON.stringify(spec)}`);
}
