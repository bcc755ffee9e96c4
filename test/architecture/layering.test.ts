import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Dependency direction: cli → index → adapters → core ← plugins (DESIGN.md "Layout").
// cli (the `lift` application) may import anything; index.ts (the composition root) anything but
// cli; an adapter only adapters and core; core only core; a plugin only core and itself.
const root = resolve(import.meta.dirname, '../..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g)];
  return specs
    .map((m) => m[1] ?? m[2] ?? m[3]!)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(src, resolve(dirname(file), s)));
}

/** The layer of a path inside src: cli, index, adapters, core, or plugins/<name>. */
function layer(pathInSrc: string): string {
  const [top, sub] = pathInSrc.split('/');
  if (top === 'plugins') return `plugins/${sub}`;
  // The public API: index.ts, the composition root and the library functions it exports.
  if (/^(index|container)\.(ts|js)$/.test(top!) || top === 'api') return 'index';
  return top!;
}

/** Why an import from `from` to `to` (both paths inside src) breaks the direction, or null. */
function wrongArrow(from: string, to: string): string | null {
  const a = layer(from);
  const b = layer(to);
  if (a === 'cli') return null;
  if (a === 'index') return b === 'cli' ? 'index imports the cli, which sits above it' : null;
  if (a === 'adapters' && b !== 'adapters' && b !== 'core') return `an adapter imports ${b === 'index' ? 'index.ts, which sits above it' : b === 'cli' ? 'the cli, which sits above it' : 'a plugin'}`;
  if (a === 'core' && b !== 'core') return 'core imports outside core';
  if (a.startsWith('plugins/') && b !== 'core' && b !== a) return 'a plugin imports outside core and itself';
  return null;
}

function violations(dir: string): string[] {
  return files(dir).flatMap((f) => {
    const from = relative(src, f);
    if (from === 'plugins/index.ts') return []; // the plugins' composition list
    return relativeImports(f).flatMap((to) => {
      const why = wrongArrow(from, to);
      return why ? [`${from} → ${to}: ${why}`] : [];
    });
  });
}

describe('architecture: import direction', () => {
  it('finds the source files it checks', () => {
    assert.ok(files(join(src, 'core')).length > 5);
    assert.ok(files(join(src, 'cli')).length > 5);
    assert.ok(files(join(src, 'adapters')).length > 5);
  });

  it('core imports no adapter, no plugin, no index and no cli', () => {
    assert.deepEqual(violations(join(src, 'core')), []);
  });

  it('each plugin imports only core and itself', () => {
    assert.deepEqual(violations(join(src, 'plugins')), []);
  });

  it('adapters import only adapters and core: never index.ts, the cli or a plugin', () => {
    assert.deepEqual(violations(join(src, 'adapters')), []);
  });

  it('index.ts imports anything but the cli; the cli sits above everything', () => {
    assert.deepEqual(violations(src), []);
    assert.ok(relativeImports(join(src, 'cli', 'main.ts')).includes('index.js'), 'the cli uses the public API');
  });

  it('flags the wrong arrows and allows the right ones', () => {
    // core ← plugins
    assert.ok(wrongArrow('core/graph/ops.ts', 'adapters/backends/onnxruntime/backend.js'));
    assert.ok(wrongArrow('core/trainer.ts', 'plugins/lift/index.js'));
    assert.ok(wrongArrow('core/registry.ts', 'index.js'));
    assert.ok(wrongArrow('core/training/trainer.ts', 'cli/main.js'));
    assert.ok(wrongArrow('plugins/lift/index.ts', 'plugins/sparse-adam/index.js'));
    assert.ok(wrongArrow('plugins/lift/index.ts', 'adapters/huggingface/checkpoint.js'));
    assert.ok(wrongArrow('plugins/lora/index.ts', 'index.js'));
    assert.ok(wrongArrow('plugins/lora/index.ts', 'cli/report/index.js'));
    assert.equal(wrongArrow('plugins/lift/strategy.ts', 'plugins/lift/svd.js'), null);
    assert.equal(wrongArrow('plugins/lift/index.ts', 'core/contracts.js'), null);
    // adapters → core
    assert.ok(wrongArrow('adapters/huggingface/checkpoint.ts', 'index.js'));
    assert.ok(wrongArrow('adapters/backends/onnxruntime/backend.ts', 'cli/workspace.js'));
    assert.ok(wrongArrow('adapters/huggingface/checkpoint.ts', 'plugins/lora/index.js'));
    assert.equal(wrongArrow('adapters/backends/onnxruntime/backend.ts', 'core/graph/onnx.js'), null);
    assert.equal(wrongArrow('adapters/huggingface/checkpoint.ts', 'adapters/huggingface/safetensors.js'), null);
    // index → adapters, core, plugins; never cli
    assert.ok(wrongArrow('index.ts', 'cli/main.js'));
    assert.equal(wrongArrow('index.ts', 'adapters/backends/onnxruntime/backend.js'), null);
    assert.equal(wrongArrow('index.ts', 'plugins/index.js'), null);
    assert.equal(wrongArrow('index.ts', 'core/registry.js'), null);
    // the library functions (api/) and the composition root belong to the public API's layer
    assert.ok(wrongArrow('api/compare.ts', 'cli/report/index.js'));
    assert.ok(wrongArrow('adapters/huggingface/checkpoint.ts', 'api/workspace.js'));
    assert.ok(wrongArrow('core/training/trainer.ts', 'container.js'));
    assert.equal(wrongArrow('api/train.ts', 'container.js'), null);
    // cli → anything
    assert.equal(wrongArrow('cli/main.ts', 'index.js'), null);
    assert.equal(wrongArrow('cli/commands/train.ts', 'adapters/huggingface/checkpoint.js'), null);
    assert.equal(wrongArrow('cli/commands/compare.ts', 'core/training/trainer.js'), null);
    assert.equal(wrongArrow('cli/main.ts', 'plugins/lift/index.js'), null);
  });
});
