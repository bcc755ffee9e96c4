/**
 * The page's parameters, from its form or its address (?method=lora&steps=5). Imports nothing
 * from lift-sft, so the page's own script stays small: the worker does the training.
 */

export interface PageParams {
  method: string;
  steps: number;
  batchSize: number;
  maxLength: number;
  lr: number;
  /** Budget rank (LoRA's rank; k = (m+n)·rank entries for the sparse methods). */
  rank: number;
  /** LIFT's filter rank r'. */
  filterRank: number;
  /** Mask refresh interval of the sparse methods (0: never). */
  interval: number;
  seed: number;
  /** WebAssembly threads; 0: as many as the browser reports cores. */
  threads: number;
}

export const PAGE_DEFAULTS: PageParams = {
  method: 'lift',
  steps: 40,
  batchSize: 8,
  maxLength: 96,
  lr: 2e-3,
  rank: 4,
  filterRank: 8,
  interval: 10,
  seed: 0,
  threads: 0,
};

/** Where the page finds its model and data, relative to its own address. */
export const PAGE_ASSETS = { model: 'model', train: 'data/train.jsonl' } as const;

/** The prompt the page fills in and the tests ask: an instruction of the target task. */
export const FIXED_PROMPT = 'Mia has 4 eggs. She buys 9 more. She gives 6 to Ned. How many eggs does Mia have now?';

/** Parameters from a query string (?method=lora&steps=5), defaults elsewhere; bad numbers fall back too. */
export function paramsFrom(query: URLSearchParams): PageParams {
  const out: PageParams = { ...PAGE_DEFAULTS };
  for (const key of Object.keys(PAGE_DEFAULTS) as (keyof PageParams)[]) {
    const raw = query.get(key);
    if (raw === null || raw === '') continue;
    if (key === 'method') out.method = raw;
    else if (Number.isFinite(Number(raw))) (out[key] as number) = Number(raw);
  }
  return out;
}
