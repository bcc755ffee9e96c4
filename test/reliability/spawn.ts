/**
 * `lift` as a separate process, for the cases a process of its own is the point of: concurrency
 * and kill -9. It runs src/cli/main.ts through tsx (not bin/lift.js, which would prefer a dist/
 * build that may be older than the sources under test).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
const MAIN = resolve(ROOT, 'src/cli/main.ts');

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export function spawnLift(argv: string[]): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Finished>((ok) => child.on('close', (code, signal) => ok({ code, signal, stderr })));
  return { child, done };
}
