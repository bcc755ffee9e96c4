/**
 * Summarizes an ONNX Runtime profile (the JSON that compile option profileFilePrefix makes):
 * kernel time per op type and the slowest nodes, averaged over the profiled runs, next to the
 * wall time of each run. Usage: tsx bench/profile-summary.ts <profile.json> [top nodes, default 25]
 */
import { readFileSync } from 'node:fs';

interface OrtEvent {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string; output_type_shape?: unknown; input_type_shape?: unknown; provider?: string };
}

export interface ProfileSummary {
  runs: number;
  /** Mean wall time of one model_run, ms. */
  runMs: number;
  /** Mean kernel time of one run (sum over nodes), ms: below runMs when kernels run in parallel or between-kernel overhead exists. */
  kernelMs: number;
  byOp: { op: string; ms: number; share: number; nodes: number }[];
  topNodes: { node: string; op: string; ms: number; shapes: string }[];
}

export function summarizeProfile(path: string, top = 25, skipRuns = 0): ProfileSummary {
  const events = JSON.parse(readFileSync(path, 'utf8')) as OrtEvent[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const kept = runs.slice(skipRuns);
  const from = kept[0]?.ts ?? 0;
  const n = Math.max(1, kept.length);
  const byOp = new Map<string, { us: number; nodes: Set<string> }>();
  const byNode = new Map<string, { us: number; op: string; shapes: string }>();
  let kernelUs = 0;
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const op = e.args?.op_name ?? '?';
    const node = e.name.slice(0, -'_kernel_time'.length);
    kernelUs += e.dur;
    const o = byOp.get(op) ?? { us: 0, nodes: new Set<string>() };
    o.us += e.dur;
    o.nodes.add(node);
    byOp.set(op, o);
    const nd = byNode.get(node) ?? { us: 0, op, shapes: JSON.stringify(e.args?.input_type_shape ?? '') };
    nd.us += e.dur;
    byNode.set(node, nd);
  }
  const runUs = kept.reduce((s, e) => s + e.dur, 0);
  return {
    runs: kept.length,
    runMs: runUs / n / 1e3,
    kernelMs: kernelUs / n / 1e3,
    byOp: [...byOp]
      .map(([op, v]) => ({ op, ms: v.us / n / 1e3, share: v.us / Math.max(1, kernelUs), nodes: v.nodes.size }))
      .sort((a, b) => b.ms - a.ms),
    topNodes: [...byNode]
      .map(([node, v]) => ({ node, op: v.op, ms: v.us / n / 1e3, shapes: v.shapes }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const s = summarizeProfile(process.argv[2]!, Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 1));
  console.log(`${s.runs} runs, mean run ${s.runMs.toFixed(1)} ms, kernel sum ${s.kernelMs.toFixed(1)} ms`);
  console.log('op type                          ms/run   share  nodes');
  for (const o of s.byOp) console.log(`${o.op.padEnd(30)} ${o.ms.toFixed(1).padStart(8)} ${(o.share * 100).toFixed(1).padStart(6)}% ${String(o.nodes).padStart(6)}`);
  console.log('\nslowest nodes');
  for (const t of s.topNodes) console.log(`${t.ms.toFixed(1).padStart(8)} ms  ${t.op.padEnd(22)} ${t.node.slice(0, 50).padEnd(50)} ${t.shapes.slice(0, 120)}`);
}
