/** Shared benchmark plumbing: timing, medians and atomic JSON results. */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../src/core/atomic-write.js';

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs fn `warmup` times untimed, then `repeats` times; returns each run's seconds. */
export async function timeRuns(fn: () => Promise<unknown>, repeats: number, warmup = 2): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
}

export function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

export function writeResult(name: string, result: unknown): string {
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileAtomic(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}

/**
 * Runs one measurement in a fresh process and resolves with the JSON object it prints as the last
 * line of its stdout. Rejects, naming the run by `label`, when the process fails, exits non-zero
 * (with the tail of its stderr) or prints no result. `onSpawn` sees the child (e.g. to watch it).
 */
export function runJsonChild<T>(
  command: string,
  args: readonly string[],
  label: string,
  options: { env?: NodeJS.ProcessEnv; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    options.onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${label} exited ${code}:\n${err.slice(-4000)}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as T);
      } catch {
        reject(new Error(`${label} printed no result:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}
