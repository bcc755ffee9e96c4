/**
 * Builds the browser example into a folder a static server can serve: the page and its worker
 * bundled by esbuild (browser platform: a Node module anywhere in their import graph fails the
 * build, naming it), onnxruntime-web's WebAssembly files, and the bundled model, tokenizer and
 * training data, all from the page's own origin.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const here = import.meta.dirname;
const root = resolve(here, '../..');

/** The files the page fetches, by their path in the built folder, from their source in the repository. */
export const PAGE_FILES: Readonly<Record<string, string>> = {
  'index.html': join(here, 'index.html'),
  'model/config.json': join(root, 'fixtures/model/config.json'),
  'model/model.safetensors': join(root, 'fixtures/model/model.safetensors'),
  'model/tokenizer.json': join(root, 'fixtures/model/tokenizer.json'),
  'model/tokenizer_config.json': join(root, 'fixtures/model/tokenizer_config.json'),
  'data/train.jsonl': join(root, 'fixtures/data/target_train.jsonl'),
};

/** onnxruntime-web's WebAssembly build (SIMD, threads): the .mjs glue spawns the thread workers itself. */
export const WASM_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'] as const;

export const DEFAULT_OUT = join(here, 'dist');

export async function buildPage(outDir = DEFAULT_OUT): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: { main: join(here, 'src/main.ts'), worker: join(here, 'src/worker.ts') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The WebAssembly-only build of onnxruntime-web (the backend runs the wasm provider; the
    // default build adds WebGPU's larger binary), in its variant that loads the .wasm and .mjs
    // from next to the bundle rather than inlining the glue: its thread workers start from that
    // .mjs, not from our worker script.
    alias: { 'onnxruntime-web': 'onnxruntime-web/wasm' },
    conditions: ['onnxruntime-web-use-extern-wasm'],
    tsconfig: join(root, 'tsconfig.json'),
    minify: true,
    sourcemap: true,
    logLevel: 'silent',
  });
  for (const [to, from] of Object.entries(PAGE_FILES)) {
    mkdirSync(dirname(join(outDir, to)), { recursive: true });
    copyFileSync(from, join(outDir, to));
  }
  const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  for (const f of WASM_FILES) copyFileSync(join(ortDist, f), join(outDir, f));
  return outDir;
}
