/**
 * The CLI's training logger: every step and evaluation as one JSON line in a log file, and a
 * progress bar (cli-progress) when stderr is a terminal, plain periodic lines otherwise.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { EvalRecord, StepRecord, TrainingLogger } from '../core/contracts.js';
import { ioErrorOf } from '../core/errors.js';

export interface CliLoggerOptions {
  /** JSONL file the records are appended to. */
  logFile?: string;
  /** A label shown before the bar (e.g. the method name). */
  label?: string;
  /** Force (true) or suppress (false) the progress bar; default: when stderr is a TTY. */
  progressBar?: boolean;
  /** Without a bar, print a line every this many steps (0: never). */
  printEvery?: number;
  stream?: NodeJS.WriteStream;
  /** Called after every step (e.g. to sample memory). */
  onStep?: (record: StepRecord) => void;
}

export class CliTrainingLogger implements TrainingLogger {
  private bar?: cliProgress.SingleBar;
  private readonly stream: NodeJS.WriteStream;
  private label: string;
  private folderMade = false;

  constructor(private readonly options: CliLoggerOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.label = options.label ?? 'train';
  }

  // The log's folder is made at the first record, not before: a run that fails validation writes nothing.
  private write(record: object): void {
    const file = this.options.logFile;
    if (!file) return;
    try {
      if (!this.folderMade) mkdirSync(dirname(file), { recursive: true });
      this.folderMade = true;
      appendFileSync(file, JSON.stringify(record) + '\n');
    } catch (e) {
      throw ioErrorOf(e, file) ?? e;
    }
  }

  /** Marks a resume in the log: the steps after this line repeat those a killed process logged past its checkpoint. */
  resumed(from: { checkpoint: string | null; step: number }): void {
    this.write({ event: 'resume', fromStep: from.step, checkpoint: from.checkpoint, time: new Date().toISOString() });
  }

  start(info: { method: string; totalSteps: number }): void {
    this.label = this.options.label ?? info.method;
    const useBar = this.options.progressBar ?? Boolean(this.stream.isTTY);
    if (useBar) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${this.label.padEnd(10)} {bar} {value}/{total} | loss {loss} | lr {lr} | {tps} tok/s | eta {eta_formatted}`,
          stream: this.stream,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(info.totalSteps, 0, { loss: '-', lr: '-', tps: '-' });
    }
    this.write({ event: 'start', ...info, time: new Date().toISOString() });
  }

  step(r: StepRecord): void {
    this.options.onStep?.(r);
    this.write({ event: 'step', ...r });
    if (this.bar) {
      this.bar.update(r.step, { loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), tps: Math.round(r.tokensPerSecond) });
    } else {
      const every = this.options.printEvery ?? 0;
      if (every > 0 && (r.step % every === 0 || r.step === r.totalSteps)) {
        this.stream.write(
          `${this.label} step ${r.step}/${r.totalSteps} loss ${r.loss.toFixed(4)} lr ${r.lr.toExponential(2)} ${Math.round(r.tokensPerSecond)} tok/s\n`,
        );
      }
    }
  }

  eval(r: EvalRecord): void {
    this.write({ event: 'eval', ...r });
    const parts = [`${this.label} eval ${r.split} @${r.step}`];
    if (r.loss !== undefined) parts.push(`loss ${r.loss.toFixed(4)}`);
    if (r.accuracy !== undefined) parts.push(`accuracy ${(r.accuracy * 100).toFixed(1)}%`);
    this.message(parts.join(' '));
  }

  message(text: string): void {
    this.stream.write((this.bar ? '\n' : '') + text + '\n');
    this.write({ event: 'message', text });
  }

  end(): void {
    this.bar?.stop();
    this.bar = undefined;
    this.write({ event: 'end', time: new Date().toISOString() });
  }
}
