/**
 * The tfjs examples and the `lift-sft/tfjs` entry point: the README's program is
 * examples/tfjs/quickstart.ts word for word and does what it prints; the comparison script runs
 * (shortened) and its counts are the budget formulas; tfjs is reachable only through the subpath,
 * so `import 'lift-sft'` never loads it.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const root = resolve(import.meta.dirname, '../../../..');
const run = async (file: string, ...args: string[]) =>
  (await promisify(execFile)(process.execPath, ['--import', 'tsx', join(root, file), ...args], { cwd: root })).stdout;

/** k = min((m + n)·rank, m·n) for an [out, in] = [m, n] matrix. */
const budget = (m: number, n: number, rank: number) => Math.min((m + n) * rank, m * n);
const num = (s: string) => Number(s.replace(/,/g, ''));

describe('tfjs examples and entry point', function () {
  this.timeout(120_000);

  it("README's \"Inside TensorFlow.js\" program is examples/tfjs/quickstart.ts, word for word", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/<!-- tfjs example: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
    assert.deepEqual(blocks.map((b) => b[1]), ['examples/tfjs/quickstart.ts']);
    assert.equal(blocks[0]![2], readFileSync(join(root, 'examples/tfjs/quickstart.ts'), 'utf8'));
  });

  it('examples/tfjs/quickstart.ts trains k = (out + in)·rank entries per kernel and fits its problem', async () => {
    const out = await run('examples/tfjs/quickstart.ts');
    // hidden: [16, 32] in tfjs = [32, 16] as [out, in]; out: [32, 3] = [3, 32]; rank 2
    const k = budget(32, 16, 2) + budget(3, 32, 2);
    const head = out.match(/^lift in tfjs: (\d+) of (\d+) kernel entries train \(hidden\/kernel, out\/kernel\), optimizer state (\d+) bytes, (\d+) mask refreshes$/m);
    assert.ok(head, out);
    assert.deepEqual(head.slice(1).map(Number), [k, 16 * 32 + 32 * 3, 2 * 4 * k, 3]);
    const fit = out.match(/^loss (\d\.\d{4}) → (\d\.\d{4}), accuracy ([\d.]+)% → ([\d.]+)%$/m);
    assert.ok(fit, out);
    const [lossBefore, lossAfter, accBefore, accAfter] = fit.slice(1).map(Number) as [number, number, number, number];
    assert.ok(lossAfter < lossBefore / 4, `loss ${lossBefore} → ${lossAfter}`);
    assert.ok(accBefore < 60 && accAfter > 90, `accuracy ${accBefore}% → ${accAfter}%`);
  });

  it('examples/tfjs/finetune.ts runs (shortened) and prints each method with its measured counts', async () => {
    const out = await run('examples/tfjs/finetune.ts', '--steps', '12', '--epochs', '1');
    assert.match(out, /^pretrained on the source domain in [\d.]+ s \(final loss \d\.\d{4}\): source accuracy [\d.]+%, shifted-domain accuracy [\d.]+% \(chance 25\.0%\)$/m);
    const rows = new Map([...out.matchAll(/^\| ([^|]+?) \| ([\d,]+) \| ([\d,]+) \| ([\d.]+)% → ([\d.]+)% \| ([\d.]+)% → ([\d.]+)% \| [\d.]+ \|$/gm)].map((m) => [m[1]!, m.slice(2).map(num)]));
    assert.deepEqual([...rows.keys()], ['lift', 'full', 'tfjs adam (all variables)'], out);
    // the four Dense kernels as [out, in]: embed [32, 88], hidden1 [64, 32], hidden2 [64, 64], classifier [4, 64]
    const kernels: [number, number][] = [[32, 88], [64, 32], [64, 64], [4, 64]];
    const k = kernels.reduce((s, [m, n]) => s + budget(m, n, 4), 0);
    const dense = kernels.reduce((s, [m, n]) => s + m * n, 0);
    const biases = 64 + 64 + 4;
    assert.deepEqual(rows.get('lift')!.slice(0, 2), [k, 2 * k]);
    assert.deepEqual(rows.get('full')!.slice(0, 2), [dense, 2 * dense]);
    // tfjs' Adam: two accumulators per trainable value and its step counter
    assert.deepEqual(rows.get('tfjs adam (all variables)')!.slice(0, 2), [dense + biases, 2 * (dense + biases) + 1]);
  });

  describe('the lift-sft/tfjs entry point', () => {
    const src = join(root, 'src');
    const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
    const specifiers = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);

    it('only the tfjs adapter imports @tensorflow/tfjs, and nothing src/index.ts reaches imports it', () => {
      const importers = files(src).filter((f) => specifiers(f).some((s) => s.startsWith('@tensorflow/')));
      assert.deepEqual(importers.map((f) => relative(src, f)).sort(), ['adapters/hosts/tfjs/host.ts', 'adapters/hosts/tfjs/variables.ts']);
      const seen = new Set<string>();
      const walk = (file: string) => {
        if (seen.has(file) || !existsSync(file)) return;
        seen.add(file);
        for (const s of specifiers(file)) if (s.startsWith('.')) walk(resolve(dirname(file), s).replace(/\.js$/, '.ts'));
      };
      walk(join(src, 'index.ts'));
      assert.ok(seen.size > 20, 'the walk found the public API');
      assert.deepEqual([...seen].filter((f) => importers.includes(f)).map((f) => relative(src, f)), []);
    });

    it("package.json exports './tfjs' where the build writes the adapter, and tsconfig maps it for examples", () => {
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      assert.deepEqual(pkg.exports['./tfjs'], { types: './dist/adapters/hosts/tfjs/index.d.ts', default: './dist/adapters/hosts/tfjs/index.js' });
      const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
      // rootDir src and outDir dist: src/adapters/hosts/tfjs/index.ts is built to dist/adapters/hosts/tfjs/index.js
      assert.deepEqual([build.compilerOptions.rootDir, build.compilerOptions.outDir], ['src', 'dist']);
      const ts = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'));
      assert.deepEqual(ts.compilerOptions.paths['lift-sft/tfjs'], ['./src/adapters/hosts/tfjs/index.ts']);
      assert.equal(pkg.peerDependenciesMeta['@tensorflow/tfjs'].optional, true, 'tfjs stays an optional peer');
      assert.equal(pkg.dependencies?.['@tensorflow/tfjs-node'] ?? pkg.peerDependencies?.['@tensorflow/tfjs-node'], undefined, 'tfjs-node is never required');
    });
  });
});
