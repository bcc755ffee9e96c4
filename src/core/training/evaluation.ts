/** Evaluation on the trainer's schedule: mean token loss of each held-out set, plus the caller's hook. */
import type { EvalRecord, TrainingLogger } from '../contracts.js';
import { collate } from '../data/batch.js';
import type { Tensor } from '../tensor.js';
import type { TrainingSessions } from './session.js';
import type { TrainRequest } from './trainer.js';

export async function evaluateSets(
  req: TrainRequest,
  sessions: TrainingSessions,
  step: number,
  weights: () => Map<string, Tensor<'float32'>>,
  logger?: TrainingLogger,
): Promise<EvalRecord[]> {
  const out: EvalRecord[] = [];
  for (const set of req.evalSets ?? []) {
    const examples = set.examples.slice(0, req.run.evaluation.maxRecords);
    let nll = 0;
    let count = 0;
    for (let i = 0; i < examples.length; i += req.run.batchSize) {
      const batch = collate(examples.slice(i, i + req.run.batchSize), req.padTokenId);
      const res = await (await sessions.get(batch)).run(batch);
      nll += res.loss * res.count;
      count += res.count;
    }
    const rec: EvalRecord = { step, split: set.name, loss: count > 0 ? nll / count : NaN, records: examples.length };
    logger?.eval?.(rec);
    out.push(rec);
  }
  for (const rec of req.evaluate ? await req.evaluate({ step, weights }) : []) {
    logger?.eval?.(rec);
    out.push(rec);
  }
  return out;
}
