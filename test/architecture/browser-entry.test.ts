/**
 * lift-sft/web (src/web.ts) and the browser example's worker bundle for the browser: esbuild on
 * the browser platform fails on any Node module in their import graphs, and neither may pull in
 * onnxruntime-node or transformers.js (whose web build would bring a second ONNX Runtime).
 */
import { strict as assert } from 'node:assert';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '../..');

async function inputsOf(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
    conditions: ['onnxruntime-web-use-extern-wasm'],
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    logLevel: 'silent',
  }).catch((e: { errors?: { text: string; location?: { file: string } | null }[] }) => {
    // esbuild names each unresolvable import and the file that has it.
    const lines = (e.errors ?? []).map((x) => `${x.location?.file ?? '?'}: ${x.text}`);
    throw new Error(`${entry} does not bundle for the browser:\n  ${lines.join('\n  ')}`);
  });
  return Object.keys(result.metafile.inputs);
}

describe('architecture: the browser entry points bundle for the browser', function () {
  this.timeout(60_000);

  for (const entry of ['src/web.ts', 'examples/browser/src/worker.ts']) {
    it(`${entry}: no Node module, no onnxruntime-node, no transformers.js`, async () => {
      const inputs = await inputsOf(entry);
      assert.ok(inputs.some((f) => f.includes('src/core/training/trainer.ts')), 'the trainer is in the bundle');
      assert.ok(inputs.some((f) => f.includes('node_modules/onnxruntime-web/')), 'onnxruntime-web is in the bundle');
      assert.deepEqual(
        inputs.filter((f) => /node_modules\/(onnxruntime-node|@huggingface\/transformers|sharp)\//.test(f) || f.startsWith('node:')),
        [],
      );
    });
  }

  it('the page script stays small: it imports nothing of lift-sft (the worker trains)', async () => {
    const inputs = await inputsOf('examples/browser/src/main.ts');
    assert.deepEqual(inputs.filter((f) => f.includes('node_modules/') || f.startsWith('src/')), []);
  });
});
