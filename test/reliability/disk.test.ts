/**
 * Reliability corpus: disk faults. A read-only location and a full disk are E_IO errors naming
 * the path, with nothing half-written left behind, the lock released, and the run resumable once
 * the disk has room. Full and read-only disks are real: small tmpfs mounts, which need root (and
 * mount); without them the full-disk cases are skipped, saying so in their names, and the
 * read-only cases use a directory without write permission instead.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workspace, assertFailed, assertSucceeded, assertUnchanged, runLift, snapshot, tree } from './harness.js';

const isRoot = process.getuid?.() === 0;

/** Whether this process can mount a tmpfs (root with the capability, mount present). */
function canMount(): boolean {
  if (!isRoot) return false;
  const probe = mkdtempSync(join(tmpdir(), 'lift-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const MOUNT = canMount();
const SKIP = ' — skipped: a full disk needs a small tmpfs, and mounting one needs root';

describe('reliability: disk faults', function () {
  this.timeout(120_000);
  let ws: Workspace;
  const mounts: string[] = [];
  before(() => (ws = new Workspace('disk')));
  after(() => {
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', [m], { stdio: 'ignore' });
      } catch {
        // already unmounted
      }
      rmSync(m, { recursive: true, force: true });
    }
    ws.remove();
  });

  /** A fresh tmpfs of `size` (e.g. '300k'). */
  function tmpfs(size: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'lift-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    mounts.push(dir);
    return dir;
  }
  const remount = (dir: string, options: string) => execFileSync('mount', ['-o', `remount,${options}`, dir]);

  /** A folder the run cannot write into: a read-only tmpfs as root, a mode-555 folder otherwise. */
  function readOnly(files: (dir: string) => void = () => {}): string {
    if (MOUNT) {
      const dir = tmpfs('1m');
      files(dir);
      remount(dir, 'ro');
      return dir;
    }
    const dir = ws.folder('ro');
    files(dir);
    chmodSync(dir, 0o555);
    return dir;
  }

  it(isRoot && !MOUNT ? 'a read-only output location — skipped: as root only a read-only mount refuses writes, and mount is unavailable' : 'a read-only output location: E_IO naming it, nothing written', async function () {
    if (isRoot && !MOUNT) this.skip();
    const parent = readOnly();
    const out = join(parent, 'out');
    const config = ws.config(ws.run({ output: { dir: out, checkpointEvery: 2 } }));
    const before = snapshot(parent, config);
    const r = await runLift(['train', '--config', config, '--quiet']);
    assertFailed(r, 'E_IO', 1, new RegExp(`${out}: cannot create the directory: .*(read-only|permission denied).*\\((EROFS|EACCES)\\)`));
    assertUnchanged(before, 'read-only');
  });

  it(isRoot && !MOUNT ? 'a read-only run directory on resume — skipped: as root only a read-only mount refuses writes, and mount is unavailable' : 'a read-only run directory on resume: E_IO, nothing changed', async function () {
    if (isRoot && !MOUNT) this.skip();
    const src = ws.path('src');
    assertSucceeded(await runLift(['train', '--config', ws.config(ws.run({ output: { dir: src, checkpointEvery: 2 } })), '--quiet']));
    const parent = readOnly((d) => cpSync(src, join(d, 'run'), { recursive: true }));
    const before = snapshot(parent);
    const r = await runLift(['train', '--resume', join(parent, 'run'), '--quiet']);
    assertFailed(r, 'E_IO', 1, /\((EROFS|EACCES)\)/);
    assertUnchanged(before, 'read-only resume');
  });

  it(MOUNT ? 'a disk that fills during the export: E_IO naming the file, no temporary left, lock released; with room again the resume finishes' : `a disk that fills during the export${SKIP}`, async function () {
    if (!MOUNT) this.skip();
    // a checkpoint of LIFT rank 2 on the tiny model takes ~105 KB, two of them fit (the older goes
    // once the last is written); the exported model (~240 KB with its tokenizer) does not
    const disk = tmpfs('300k');
    const out = join(disk, 'out');
    const r = await runLift(['train', '--config', ws.config(ws.run({ output: { dir: out, checkpointEvery: 2 } })), '--quiet']);
    assertFailed(r, 'E_IO', 1, new RegExp(`${join(out, 'model', 'model.safetensors')}: cannot write: no space left on the device.*\\(ENOSPC\\)`));
    const left = [...tree(out).keys()];
    assert.deepEqual(left.filter((p) => p.endsWith('.tmp')), [], 'no half-written file');
    assert.ok(!left.includes('.lift/lock'), 'the lock is released');
    assert.ok(left.includes('checkpoint-4/state.json'), 'the last checkpoint is complete');
    remount(disk, 'size=4m');
    const again = await runLift(['train', '--resume', out, '--quiet']);
    assertSucceeded(again);
    assert.ok(existsSync(join(out, 'model', 'model.safetensors')));
  });

  it(MOUNT ? 'a disk that is already full: E_IO, and the run leaves nothing behind' : `a disk that is already full${SKIP}`, async function () {
    if (!MOUNT) this.skip();
    const disk = tmpfs('64k');
    // fill it to the last block
    try {
      writeFileSync(join(disk, 'filler'), Buffer.alloc(1 << 20));
    } catch {
      // ENOSPC: full now
    }
    const before = snapshot(disk);
    const r = await runLift(['train', '--config', ws.config(ws.run({ output: { dir: join(disk, 'out'), checkpointEvery: 2 } })), '--quiet']);
    assertFailed(r, 'E_IO', 1, /\(ENOSPC\)/);
    assertUnchanged(before, 'full disk');
  });

  it(MOUNT ? 'a disk that fills while checkpointing: the previous checkpoint stays complete and the run resumes from it' : `a disk that fills while checkpointing${SKIP}`, async function () {
    if (!MOUNT) this.skip();
    // full fine-tuning: each checkpoint holds every target weight and two moments (~150 KB on the tiny model)
    const disk = tmpfs('400k');
    const out = join(disk, 'out');
    const run = ws.run({ method: { name: 'full' }, steps: 4, output: { dir: out, checkpointEvery: 1 } });
    const r = await runLift(['train', '--config', ws.config(run), '--quiet']);
    assertFailed(r, 'E_IO', 1, /\(ENOSPC\)/);
    const latest = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')).checkpoint as string;
    assert.ok(existsSync(join(out, latest, 'state.json')), `latest.json names ${latest}, which is complete`);
    assert.deepEqual([...tree(out).keys()].filter((p) => p.endsWith('.tmp')), []);
    remount(disk, 'size=8m');
    assertSucceeded(await runLift(['train', '--resume', out, '--quiet']));
    assert.deepEqual(readdirSync(out).filter((e) => e.startsWith('checkpoint-')), ['checkpoint-4']);
  });
});
