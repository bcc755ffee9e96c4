/**
 * Serves the built browser example over http on this machine, with the headers that make the
 * page cross-origin isolated (COOP/COEP): only then does the browser give it SharedArrayBuffer,
 * which onnxruntime-web needs for WebAssembly threads.
 *
 *   npm run example:browser            # builds, then serves http://127.0.0.1:8080 (PORT=... to change)
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPage } from './build.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.jsonl': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `root`; paths in `hide` answer 404 as if the build lacked them (tests of a broken deployment). */
export async function servePage(root: string, options: { port?: number; host?: string; hide?: readonly string[] } = {}): Promise<PageServer> {
  const base = resolve(root);
  const hide = new Set(options.hide ?? []);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const file = resolve(base, path);
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    try {
      if ((file !== base && !file.startsWith(base + sep)) || hide.has(path)) throw new Error('not served');
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(`not found: /${path}\n`);
    }
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(options.port ?? 0, options.host ?? '127.0.0.1', ok));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/`,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await buildPage();
  const { url } = await servePage(out, { port: Number(process.env.PORT ?? 8080) });
  console.log(`lift-sft browser example (${join('examples/browser/dist')}) at ${url} — Ctrl-C to stop`);
}
