/** Messages between the page and its training worker. */
import type { PageParams } from './params.js';

export type ToWorker =
  | { type: 'train'; params: PageParams; memoryLimit?: number }
  | { type: 'answer'; prompt: string; maxNewTokens: number }
  | { type: 'download' };

export interface StepInfo {
  step: number;
  totalSteps: number;
  loss: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'loaded'; parameters: number; records: number; threads: number; isolated: boolean }
  | ({ type: 'step' } & StepInfo)
  /** trainSeconds: from the first step to the last (session builds and refreshes included, loading not). */
  | { type: 'done'; losses: number[]; tokensPerSecond: number; trainSeconds: number; trainableParams: number }
  | { type: 'answer'; text: string; seconds: number }
  | { type: 'file'; name: string; bytes: ArrayBuffer }
  | { type: 'error'; code: string; message: string };
