import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Dependency direction: adapters → core ← plugins. Core imports no adapter and no plugin;
// a plugin imports only core (never another plugin, never an adapter).
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

function layer(pathInSrc: string): string {
  const [top, sub] = pathInSrc.split('/');
  return top === 'plugins' ? `plugins/${sub}` : top!;
}

/** Why an import from `from` to `to` (both paths inside src) breaks the direction, or null. */
function wrongArrow(from: string, to: string): string | null {
  const a = layer(from);
  const b = layer(to);
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
  });

  it('core imports no adapter and no plugin', () => {
    assert.deepEqual(violations(join(src, 'core')), []);
  });

  it('each plugin imports only core and itself', () => {
    assert.deepEqual(violations(join(src, 'plugins')), []);
  });

  it('flags the wrong arrows and allows the right ones', () => {
    assert.ok(wrongArrow('core/graph/ops.ts', 'adapters/backends/onnxruntime/backend.js'));
    assert.ok(wrongArrow('core/trainer.ts', 'plugins/lift/index.js'));
    assert.ok(wrongArrow('plugins/lift/index.ts', 'plugins/sparse-adam/index.js'));
    assert.ok(wrongArrow('plugins/lift/index.ts', 'adapters/huggingface/checkpoint.js'));
    assert.equal(wrongArrow('plugins/lift/strategy.ts', 'plugins/lift/svd.js'), null);
    assert.equal(wrongArrow('plugins/lift/index.ts', 'core/contracts.js'), null);
    assert.equal(wrongArrow('adapters/cli/main.ts', 'plugins/lift/index.js'), null);
  });
});
