/**
 * `npm run bench:train-speed`: one SASRec training step (Adam, sampled CE) of identical shape in tfjs
 * on Node (wasm and cpu backends) and in PyTorch on CPU (bench/torch_reference.py), in the same run;
 * records ms/step, the tfjs/torch ratio, and the tfjs wasm step profiled per kernel (tf.profile).
 */
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { SasrecModel, mulberry32 } from '../src/models/sasrec/model.js';
import { BatchSampler } from '../src/train/batches.js';
import { useNodeBackend, type NodeBackend } from '../src/train/backend-node.js';
import { sasrecObjective } from '../src/train/losses.js';
import { trainStep } from '../src/train/sasrec.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

const o = new Command()
  .option('--batch <n>', 'users per step', '32')
  .option('--len <n>', 'sequence length', '200')
  .option('--items <n>', 'catalog size (ML-1M: 3416)', '3416')
  .option('--negatives <n>', 'sampled-CE negatives', '512')
  .option('--steps <n>', 'timed steps per backend', '3')
  .option('--cpu-steps <n>', 'timed steps on the slow cpu backend (0 = skip)', '1')
  .option('--name <name>', 'results file name', 'train-speed')
  .parse()
  .opts();
const B = Number(o.batch), L = Number(o.len), N = Number(o.items), K = Number(o.negatives);
const shape = `B=${B} L=${L} D=64 blocks=2 heads=1 items=${N} sampled-ce ${K} negatives`;
const command = `npm run bench:train-speed -- ${process.argv.slice(2).join(' ')}`.trim();

const rnd = mulberry32(7);
// users of length L+1, so every position of every row has a target (as the torch side)
const train = Array.from({ length: B }, () => Int32Array.from({ length: L + 1 }, () => 1 + Math.floor(rnd() * N)));
const users = Array.from({ length: B }, (_, i) => i);

async function tfjsStep(backend: NodeBackend, steps: number, profile: boolean) {
  await useNodeBackend(backend);
  const m = new SasrecModel({ numItems: N, maxLen: L, loss: 'sampled-ce', numNegatives: K, batchSize: B });
  m.setObjective(sasrecObjective(m.config));
  const s = new BatchSampler(train, N, L, 1);
  const opt = tf.train.adam(1e-3, 0.9, 0.98);
  await trainStep(m, opt, s, users, m.config); // warm-up: kernels, Adam slots
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await trainStep(m, opt, s, users, m.config);
    times.push(performance.now() - t);
  }
  let top: { kernel: string; ms: number }[] = [];
  if (profile) {
    const p = await tf.profile(async () => void (await trainStep(m, opt, s, users, m.config)));
    const agg = new Map<string, number>();
    for (const k of p.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    top = [...agg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kernel, ms]) => ({ kernel, ms: Math.round(ms) }));
  }
  opt.dispose();
  m.dispose();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], top };
}

const wasm = await tfjsStep('wasm', Number(o.steps), true);
console.error(`tfjs wasm ${wasm.ms.toFixed(0)} ms/step; top kernels ${JSON.stringify(wasm.top)}`);
// --cpu-steps 0 skips the pure-JS backend (at B=32 L=200 one step did not finish in 8 minutes here)
const cpu = Number(o.cpuSteps) > 0 ? await tfjsStep('cpu', Number(o.cpuSteps), false) : undefined;
if (cpu) console.error(`tfjs cpu ${cpu.ms.toFixed(0)} ms/step`);
let torch: { ms_per_step: number; threads: number; torch: string } | undefined;
try {
  const out = execFileSync('/usr/bin/python3', ['bench/torch_reference.py', 'speed', '--batch', String(B), '--len', String(L), '--items', String(N), '--negatives', String(K), '--steps', String(o.steps), '--threads', '1'], { encoding: 'utf8' });
  torch = JSON.parse(out.trim().split('\n').pop()!);
  console.error(`torch cpu ${torch!.ms_per_step.toFixed(0)} ms/step`);
} catch (e) {
  console.error(`torch skipped: ${(e as Error).message.split('\n')[0]}`);
}
const row = (model: string, metrics: Record<string, number | string>, extra: Record<string, unknown> = {}): BenchRow => ({ benchmark: 'train-speed', dataset: `synthetic ML-1M shape (${shape})`, model, metrics, command, date: BENCH_DATE, machine: BENCH_MACHINE, ...extra });
const rows: BenchRow[] = [
  row('sasrec-sampled-ce tfjs-wasm', { ms_per_step: wasm.ms, ...(torch ? { ratio_vs_torch: wasm.ms / torch.ms_per_step } : {}) }, { topKernelsMs: wasm.top, note: 'Node, tfjs-backend-wasm 4.22 (single thread, SIMD)' }),
];
if (cpu) rows.push(row('sasrec-sampled-ce tfjs-cpu', { ms_per_step: cpu.ms, ...(torch ? { ratio_vs_torch: cpu.ms / torch.ms_per_step } : {}), wasm_speedup: cpu.ms / wasm.ms }));
if (torch) rows.push(row('sasrec-sampled-ce torch-cpu', { ms_per_step: torch.ms_per_step, threads: torch.threads }, { torch: torch.torch }));
await recordBench(String(o.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const parts = [`${m.ms_per_step.toFixed(0)} ms/step`];
  if (m.ratio_vs_torch) parts.push(`${m.ratio_vs_torch.toFixed(2)}x torch`);
  if (m.wasm_speedup) parts.push(`wasm is ${m.wasm_speedup.toFixed(1)}x faster`);
  if (r.topKernelsMs) parts.push(`profile: ${(r.topKernelsMs as { kernel: string; ms: number }[]).map((k) => `${k.kernel} ${k.ms}ms`).join(', ')}`);
  parts.push(`${shape}; shares 2 cores with a training run`);
  return parts.join('; ');
});
