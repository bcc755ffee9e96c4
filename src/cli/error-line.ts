/**
 * The one line `lift` prints for an error, for every error there is: lift-sft's typed errors as
 * they are; a file-system failure as E_IO naming the path; running out of memory as
 * E_OUT_OF_MEMORY; anything else (a bug, or a library's own error) as E_INTERNAL with its message
 * and a hint to rerun with --debug, which adds the stack trace.
 */
import { LiftError, ioErrorOf } from '../core/errors.js';

export interface ErrorLine {
  code: string;
  message: string;
  /** 2 for usage errors, 1 otherwise. */
  exitCode: number;
}

export function errorLine(e: unknown): ErrorLine {
  if (e instanceof LiftError) return { code: e.code, message: e.message, exitCode: e.code === 'E_USAGE' ? 2 : 1 };
  const io = ioErrorOf(e);
  if (io) return { code: io.code, message: io.message, exitCode: 1 };
  const err = e instanceof Error ? e : new Error(String(e));
  const text = oneLine(err.message);
  if (err instanceof RangeError && /allocation failed|invalid (typed )?array length|out of memory/i.test(text)) {
    return { code: 'E_OUT_OF_MEMORY', message: `not enough memory (${text}): use a smaller batchSize, maxLength or model`, exitCode: 1 };
  }
  return { code: 'E_INTERNAL', message: `unexpected ${err.name}: ${text} (rerun with --debug for the stack trace)`, exitCode: 1 };
}

/** Runtime messages (ONNX Runtime's among them) can span lines; the error line must not. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim() || '(no message)';
}
