/**
 * The page's run: one function from the page's parameters to a run configuration, used by the
 * worker and by the Node runs it is compared with (the Chromium test, the benchmark), so both
 * sides train exactly the same run.
 */
import { Registry, registerBuiltins } from 'lift-sft/web';
import { PAGE_ASSETS, type PageParams } from './params.js';

/**
 * The run configuration (unvalidated) of the page's parameters. The shared budget options go to
 * the methods whose options schema declares them, as `lift compare` does.
 */
export function pageRunConfig(p: PageParams, paths: { model: string; train: string } = PAGE_ASSETS, registry = registerBuiltins(new Registry())) {
  const { properties } = registry.methodSchema(p.method);
  const shared: Record<string, number> = { rank: p.rank, filterRank: p.filterRank, interval: p.interval };
  const options = Object.fromEntries(Object.entries(shared).filter(([k]) => k in properties));
  return {
    model: paths.model,
    data: { train: paths.train, maxLength: p.maxLength },
    method: { name: p.method, options },
    optimizer: { lr: p.lr },
    batchSize: p.batchSize,
    steps: p.steps,
    seed: p.seed,
    evaluation: { generate: false },
    backend: { name: 'onnxruntime-web', threads: p.threads },
    output: { dir: 'browser-run' },
  };
}
