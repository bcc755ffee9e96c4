/**
 * Reliability corpus: command-line arguments, and the one-line rule for errors that are not
 * lift-sft's own (a file-system failure, a bug): each is one `lift: error [E_CODE]: ...` line and
 * a non-zero exit, with the stack trace only under --debug.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorLine } from '../../src/cli/error-line.js';
import { Workspace, assertFailed, assertUnchanged, runLift, snapshot } from './harness.js';

describe('reliability: command-line arguments', function () {
  this.timeout(120_000);
  let ws: Workspace;
  before(() => (ws = new Workspace('cli')));
  after(() => ws.remove());

  const usage: [string, string[], RegExp][] = [
    ['an unknown flag of train', ['train', '--confg', 'x.json'], /unknown option '--confg'/],
    ['a flag without its value', ['train', '--config'], /option '--config <file>' argument missing/],
    ['a positional argument train does not take', ['train', 'run.json'], /too many arguments/],
    ['an unknown command', ['trian'], /unknown command 'trian'/],
    ['no command', [], /missing command/],
    ['--resume with --config: the new config would be ignored', ['train', '--resume', 'runs/x', '--config', 'x.json'], /'--resume <dir>' cannot be used with option '--config <file>'/],
    ['--resume with --force', ['train', '--resume', 'runs/x', '--force'], /'--resume <dir>' cannot be used with option '--force'/],
    ['train with neither --config nor --resume', ['train'], /pass --config <run\.json> for a new run or --resume <output dir>/],
    ['an unknown flag of compare', ['compare', '--stepz', '3'], /unknown option '--stepz'/],
    ['an unknown flag of schema', ['schema', '--methd', 'lora'], /unknown option '--methd'/],
  ];
  for (const [what, argv, message] of usage) {
    it(`${what}: E_USAGE, exit 2`, async () => {
      const r = await runLift(argv);
      assertFailed(r, 'E_USAGE', 2, message);
      assert.equal(r.stdout, '');
    });
  }

  it('a bad compare value: E_CONFIG with its path, nothing written', async () => {
    const out = ws.path('compare');
    const r = await runLift(['compare', '--steps', '0', '--out', out]);
    assertFailed(r, 'E_CONFIG', 1, /\/steps: must be >= 1/);
    assert.equal(existsSync(out), false);
  });

  it('schema of an unknown method: E_REGISTRY', async () => assertFailed(await runLift(['schema', '--method', 'dora']), 'E_REGISTRY', 1, /unknown method 'dora'/));

  it('--resume of a directory that does not exist: E_RESUME, and it is not created', async () => {
    const dir = join(ws.root, 'gone');
    assertFailed(await runLift(['train', '--resume', dir]), 'E_RESUME', 1, /is not a directory: --resume takes the output directory/);
    assert.equal(existsSync(dir), false);
  });

  it('--resume of a directory without run.json: E_RESUME, nothing changed', async () => {
    const dir = ws.folder('no-run', { 'notes.txt': 'mine' });
    const before = snapshot(dir);
    assertFailed(await runLift(['train', '--resume', dir]), 'E_RESUME', 1, /run\.json is missing/);
    assertUnchanged(before, 'resume without run.json');
  });

  it('--debug adds the stack trace after the one line', async () => {
    const r = await runLift(['train', '--config', join(ws.root, 'none.json'), '--debug']);
    assert.equal(r.code, 1);
    const lines = r.stderr.split('\n');
    assert.match(lines[0]!, /^lift: error \[E_CONFIG\]: /);
    assert.ok(r.stderr.includes('ConfigError') && /\n\s+at /.test(r.stderr), r.stderr);
  });

  it('a compare in which a method fails exits 1 with E_COMPARE_FAILED, and the report is written', async () => {
    const out = ws.path('compare');
    const argv = ['compare', '--model', ws.model, '--train', ws.data, '--test', ws.data, '--source', ws.data, '--steps', '4', '--batch-size', '2', '--max-length', '96'];
    const r = await runLift([...argv, '--test-limit', '2', '--source-limit', '2', '--max-new-tokens', '4', '--rank', '2', '--methods', 'random', '--lr', 'random=1e30', '--quiet', '--out', out]);
    assertFailed(r, 'E_COMPARE_FAILED', 1, /1 of 1 methods failed: random/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(report.methods[0].status, 'failed');
    assert.match(report.methods[0].error, /NaN|Infinity|diverged/);
    assert.equal(existsSync(join(out, '.lift', 'lock')), false, 'the compare released its lock');
  });

  describe('errors that are not lift-sft\'s own still make one line', () => {
    it('a bug: E_INTERNAL with its message and the --debug hint', () => {
      const line = errorLine(new TypeError("Cannot read properties of undefined (reading 'x')\n    more detail"));
      assert.deepEqual([line.code, line.exitCode], ['E_INTERNAL', 1]);
      assert.equal(line.message, "unexpected TypeError: Cannot read properties of undefined (reading 'x') more detail (rerun with --debug for the stack trace)");
    });
    it('a file-system failure: E_IO naming the path and the cause', () => {
      const e = Object.assign(new Error("ENOSPC: no space left on device, write '/data/run/x'"), { code: 'ENOSPC', path: '/data/run/x', syscall: 'write' });
      const line = errorLine(e);
      assert.equal(line.code, 'E_IO');
      assert.equal(line.message, '/data/run/x: cannot write: no space left on the device: free space or choose a directory on another disk (ENOSPC)');
    });
    it('running out of memory: E_OUT_OF_MEMORY', () => {
      const line = errorLine(new RangeError('Array buffer allocation failed'));
      assert.equal(line.code, 'E_OUT_OF_MEMORY');
      assert.match(line.message, /not enough memory/);
    });
    it('a thrown non-Error value', () => assert.equal(errorLine('a string').code, 'E_INTERNAL'));
  });
});
