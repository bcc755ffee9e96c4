/**
 * Reliability corpus: training and evaluation data files. A file that leaves nothing to train on
 * names itself and why; invalid UTF-8 names its line; records dropped for length are counted and
 * reported, never silently.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA, Workspace, assertFailed, assertSucceeded, assertUnchanged, outDir, runLift, snapshot } from './harness.js';

const record = (instruction: string, output = '#### 1') => JSON.stringify({ instruction, output });
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('reliability: data files', function () {
  this.timeout(120_000);
  let ws: Workspace;
  before(() => (ws = new Workspace('data')));
  after(() => ws.remove());

  /** A data file with `contents`; `lift train` on it fails with `code` naming the file, writing nothing. */
  async function refused(contents: string | Uint8Array, ext: string, code: string, message: RegExp, data: Record<string, unknown> = {}): Promise<string> {
    const file = ws.path('data') + ext;
    writeFileSync(file, contents);
    const run = ws.run({ data: { train: file, maxLength: 96, ...data } });
    const config = ws.config(run);
    const before = snapshot(file, ws.model, config);
    const r = await runLift(['train', '--config', config, '--quiet']);
    assertFailed(r, code, 1, message);
    assert.match(r.stderr, new RegExp(`lift: error \\[${code}\\]: .*${escape(file)}`), 'the error names the file');
    assert.equal(existsSync(outDir(run)), false, 'nothing was written');
    assertUnchanged(before, code);
    return r.stderr;
  }

  it('a data file that does not exist', async () => {
    const missing = join(ws.root, 'missing.jsonl');
    const run = ws.run({ data: { train: missing, maxLength: 96 } });
    const r = await runLift(['train', '--config', ws.config(run)]);
    assertFailed(r, 'E_DATA', 1, /missing\.jsonl: cannot read/);
  });
  it('an empty file says it holds no record', () => refused('', '.jsonl', 'E_DATA', /no example to train on: it holds no record/));
  it('a file of blank lines says it holds no record', () => refused('\n\n  \n', '.jsonl', 'E_DATA', /it holds no record/));
  it('an empty JSON array says it holds no record', () => refused('[]', '.json', 'E_DATA', /it holds no record/));
  it('every record longer than maxLength: the file, the count and the cause', () =>
    refused([record('x '.repeat(200)), record('y '.repeat(300))].join('\n'), '.jsonl', 'E_DATA', /all 2 record\(s\) are dropped: each one's prompt alone fills maxLength 96 tokens; raise data.maxLength/));
  it('invalid UTF-8 names its line', () => {
    const bytes = Buffer.concat([Buffer.from(record('fine') + '\n' + record('also fine') + '\n'), Buffer.from('{"instruction": "bad \xff\xfe byte", "output": "1"}\n', 'latin1')]);
    return refused(bytes, '.jsonl', 'E_DATA', /line 3: invalid UTF-8/);
  });
  it('a truncated UTF-8 sequence at the end of the file names its line', () =>
    refused(Buffer.concat([Buffer.from(record('ok') + '\n'), Buffer.from([0x7b, 0xe2, 0x82])]), '.jsonl', 'E_DATA', /line 2: invalid UTF-8/));
  it('a line that is not JSON names its line', () => refused([record('a'), '{"instruction": "b", "output": ', record('c')].join('\n'), '.jsonl', 'E_DATA', /line 2: invalid JSON/));
  it('a record without its output field', () => refused([record('a'), JSON.stringify({ instruction: 'b' })].join('\n'), '.jsonl', 'E_DATA', /line 2: field 'output' must be a string/));
  it('a record that is not an object', () => refused([record('a'), '[1, 2]'].join('\n'), '.jsonl', 'E_DATA', /line 2: expected an object/));
  it('a .json file that is an object, not an array', () => refused(JSON.stringify({ instruction: 'a', output: 'b' }), '.json', 'E_DATA', /must be an array of records/));
  it('a truncated .json array names where it breaks', () => refused('[\n' + record('a') + ',\n' + record('b').slice(0, 12), '.json', 'E_DATA', /line 3: invalid JSON/));
  it('skipInvalid with every record malformed', () =>
    refused(['{"a": 1}', '{"b": 2}'].join('\n'), '.jsonl', 'E_DATA', /every record is malformed \(2 skipped\)/, { skipInvalid: true }));
  it('a data path that is a directory', async () => {
    const dir = ws.folder('data-dir');
    const r = await runLift(['train', '--config', ws.config(ws.run({ data: { train: dir, maxLength: 96 } }))]);
    assertFailed(r, 'E_DATA', 1, /EISDIR/);
  });
  it('an eval file that holds nothing names the eval file', async () => {
    const evalFile = ws.path('eval') + '.jsonl';
    writeFileSync(evalFile, '');
    const run = ws.run({ data: { train: ws.data, eval: evalFile, maxLength: 96 } });
    const r = await runLift(['train', '--config', ws.config(run)]);
    assertFailed(r, 'E_DATA', 1, new RegExp(`${escape(evalFile)}: no example to train on`));
    assert.equal(existsSync(outDir(run)), false);
  });

  it('records dropped for length are counted and reported with the file, and the rest trains', async () => {
    const file = ws.path('mixed') + '.jsonl';
    const kept = readFileSync(ws.data, 'utf8').trim().split('\n').slice(0, 6);
    writeFileSync(file, [...kept, record('z '.repeat(300)), record('w '.repeat(300))].join('\n') + '\n');
    const run = ws.run({ data: { train: file, maxLength: 96 }, steps: 1 });
    const r = await runLift(['train', '--config', ws.config(run), '--quiet']);
    assertSucceeded(r);
    assert.match(r.stderr, new RegExp(`lift: note: ${escape(file)}: dropped 2 of 8 record\\(s\\) whose prompt alone fills maxLength 96 tokens.*records 6, 7`));
  });

  it('the bundled data at a short maxLength reports what it drops', async () => {
    const run = ws.run({ data: { train: DATA, maxLength: 64 }, steps: 1 });
    const r = await runLift(['train', '--config', ws.config(run), '--quiet']);
    assertSucceeded(r);
    assert.match(r.stderr, /target_val\.jsonl: dropped \d+ of 200 record\(s\)/);
    assert.match(r.stderr, /target_val\.jsonl: cut the response of \d+ record\(s\)/);
  });
});
