/**
 * The thread side of WorkerTaskPool: a generic "import the module, call the export" loop. The
 * pool's setup (workerData.setup, a PortableRef) is called once, on first use, and what it
 * returns (e.g. `{ ops }`, DenseOps of the backend) is passed to every call as `env`. A call's
 * result goes back with the buffers it holds transferred (see transferables); an error goes back
 * as data (serializeError) and is revived on the calling thread as the same typed error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type PortableRef, loadPortable, serializeError } from '../../core/tasks.js';

interface CallMessage {
  id: number;
  call: PortableRef;
}

const setup = (workerData as { setup?: PortableRef } | null)?.setup;
let env: Promise<unknown> | undefined;
const environment = () => (env ??= setup ? loadPortable<(o: unknown) => unknown>(setup).then((make) => make(setup.options)) : Promise.resolve({}));

parentPort!.on('message', (msg: CallMessage) => {
  void (async () => {
    try {
      const fn = await loadPortable<(options: unknown, env: unknown) => unknown>(msg.call);
      const result = await fn(msg.call.options, await environment());
      parentPort!.postMessage({ id: msg.id, ok: true, result }, transferables(result));
    } catch (e) {
      parentPort!.postMessage({ id: msg.id, ok: false, error: serializeError(e) });
    }
  })();
});

/**
 * The buffers of `result` that move back instead of being copied: every non-shared ArrayBuffer in
 * it (in arrays and plain objects, at any depth) that stands alone or that a typed array of the
 * result spans whole (a view of part of a buffer may share it with what the thread keeps).
 * SharedArrayBuffer memory is seen by both threads and never moves.
 */
function transferables(result: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const visit = (v: unknown): void => {
    if (v instanceof ArrayBuffer) out.add(v);
    else if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) out.add(v.buffer);
    } else if (v !== null && typeof v === 'object' && !seen.has(v)) {
      seen.add(v);
      const proto = Object.getPrototypeOf(v) as unknown;
      if (Array.isArray(v) || proto === Object.prototype || proto === null) for (const x of Object.values(v)) visit(x);
    }
  };
  visit(result);
  return [...out];
}
