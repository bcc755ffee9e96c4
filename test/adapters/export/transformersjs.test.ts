/**
 * The real client in Node: @huggingface/transformers (the project's own dependency), offline,
 * loads the exported fine-tuned bundled model with AutoModelForCausalLM and with
 * pipeline('text-generation') and generates exactly the tokens lift-sft's own greedy generator
 * generates, one prompt at a time and as a left-padded batch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxRuntimeBackend } from '../../../src/adapters/backends/onnxruntime/backend.js';
import { saveModelDir } from '../../../src/adapters/huggingface/checkpoint.js';
import { writeOnnxModel } from '../../../src/adapters/export/onnx.js';
import { generateGreedy } from '../../../src/core/model/generate.js';
import { qwen2Config, randomWeights } from '../../core/model/helpers.js';
import { type ExportedModel, exportedModel, liftGreedy } from './exported-model.js';

interface TjsTensor {
  dims: number[];
  data: BigInt64Array;
  tolist(): bigint[][];
}
interface TjsTokenizer {
  (texts: string | string[], o?: Record<string, unknown>): { input_ids: TjsTensor; attention_mask: TjsTensor };
  padding_side: string;
  decode(ids: number[], o?: Record<string, unknown>): string;
}

/** New tokens of each row of a generate() result, cut after the first EOS (transformers.js keeps a finished row going). */
function newTokens(out: TjsTensor, promptLength: number, eos: readonly number[]): number[][] {
  return out.tolist().map((row) => {
    const gen = row.slice(promptLength).map(Number);
    const at = gen.findIndex((t) => eos.includes(t));
    return at < 0 ? gen : gen.slice(0, at + 1);
  });
}

describe('transformers.js (Node) runs the ONNX export', function () {
  this.timeout(180_000);
  let m: ExportedModel;
  let tjs: typeof import('@huggingface/transformers');
  let tok: TjsTokenizer;
  let ids: number[][];
  let ours: number[][];

  before(async () => {
    m = await exportedModel();
    tjs = await import('@huggingface/transformers');
    tjs.env.allowRemoteModels = false; // offline: a missing file fails instead of downloading
    tjs.env.allowLocalModels = true;
    tok = (await tjs.AutoTokenizer.from_pretrained(m.dir)) as unknown as TjsTokenizer;
    ids = m.prompts.map((p) => Array.from(tok(p).input_ids.data, Number));
    ours = await liftGreedy(m, ids);
  });

  it('AutoModelForCausalLM: the greedy tokens of lift-sft, one prompt and a left-padded batch', async () => {
    const model = await tjs.AutoModelForCausalLM.from_pretrained(m.dir, { dtype: 'fp32' });
    try {
      const eos = m.config.eosTokenId;
      assert.ok(new Set(ids.map((r) => r.length)).size === ids.length, 'prompts of different lengths, so the batch pads');
      for (let b = 0; b < ids.length; b++) {
        const enc = tok(m.prompts[b]!);
        const out = (await model.generate({ ...enc, max_new_tokens: m.maxNewTokens, do_sample: false } as never)) as unknown as TjsTensor;
        assert.deepEqual(newTokens(out, ids[b]!.length, eos), [ours[b]], `prompt ${b}`);
      }
      tok.padding_side = 'left';
      const enc = tok(m.prompts, { padding: true });
      const out = (await model.generate({ ...enc, max_new_tokens: m.maxNewTokens, do_sample: false } as never)) as unknown as TjsTensor;
      assert.deepEqual(newTokens(out, enc.input_ids.dims[1]!, eos), ours);
      // Not a degenerate comparison: every row answers with several tokens, rows stop at EOS at different steps.
      assert.ok(ours.every((r) => r.length > 5) && ours.some((r) => eos.includes(r.at(-1)!)) && new Set(ours.map((r) => r.length)).size > 1, JSON.stringify(ours));
    } finally {
      await model.dispose();
    }
  });

  it('a Qwen2 export (q/k/v bias, tied embeddings) loads as Qwen2ForCausalLM and generates lift-sft\'s tokens', async () => {
    const config = qwen2Config({ vocabSize: 64, maxPositionEmbeddings: 64, eosTokenId: [2], padTokenId: 0 });
    const weights = randomWeights(config, 21, 0.4);
    const dir = mkdtempSync(join(tmpdir(), 'lift-tjs-qwen2-'));
    try {
      saveModelDir(dir, config, weights);
      writeOnnxModel(dir, config, weights);
      const model = await tjs.AutoModelForCausalLM.from_pretrained(dir);
      assert.equal(model.constructor.name, 'Qwen2ForCausalLM');
      const prompts = [[5, 9, 14, 3, 7], [11, 4]];
      const width = 5;
      const input_ids = new tjs.Tensor('int64', BigInt64Array.from(prompts.flatMap((p) => [...new Array(width - p.length).fill(0), ...p]), BigInt), [2, width]);
      const attention_mask = new tjs.Tensor('int64', BigInt64Array.from(prompts.flatMap((p) => [...new Array(width - p.length).fill(0), ...p.map(() => 1)]), BigInt), [2, width]);
      const out = (await model.generate({ input_ids, attention_mask, max_new_tokens: 12, do_sample: false, eos_token_id: null } as never)) as unknown as TjsTensor;
      const want = await generateGreedy({ backend: new OnnxRuntimeBackend({ intraOpThreads: 1 }), config, weights, tokenizerIds: prompts, maxNewTokens: 12, eosTokenIds: [], padTokenId: 0 });
      assert.deepEqual(out.tolist().map((r) => r.slice(width).map(Number)), want);
      assert.ok(new Set(want.flat()).size > 3, JSON.stringify(want));
      await model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("pipeline('text-generation') reads dtype from config.json and writes lift-sft's text", async () => {
    const generator = (await tjs.pipeline('text-generation', m.dir)) as unknown as (t: string | string[], o: Record<string, unknown>) => Promise<unknown>;
    try {
      const one = (await generator(m.prompts[0]!, { max_new_tokens: m.maxNewTokens, do_sample: false })) as { generated_text: string }[];
      assert.equal(one[0]!.generated_text, tok.decode([...ids[0]!, ...ours[0]!], { skip_special_tokens: true }));
      // A batch runs every row to max_new_tokens (finished rows keep going), so both sides run without EOS.
      const free = await liftGreedy(m, ids, []);
      const batch = (await generator(m.prompts, { max_new_tokens: m.maxNewTokens, do_sample: false, eos_token_id: null })) as { generated_text: string }[][];
      assert.deepEqual(
        batch.map((r) => r[0]!.generated_text),
        ids.map((p, b) => tok.decode([...p, ...free[b]!], { skip_special_tokens: true })),
      );
      assert.ok(free.every((r) => r.length === m.maxNewTokens));
    } finally {
      await (generator as unknown as { dispose(): Promise<void> }).dispose();
    }
  });
});
