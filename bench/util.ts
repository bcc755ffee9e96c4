/** Shared benchmark plumbing: timing, medians and atomic JSON results. */
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
