/**
 * `npm run bench:train-speed`: one SASRec training step (Adam, sampled CE) of identical shape in tfjs
 * on Node (wasm and cpu backends) and in PyTorch on CPU (bench/torch_reference.py), in the same run;
 * records ms/step, the tfjs/torch ratio, and the tfjs wasm step profiled per kernel (tf.profile).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
import { SASREC_DEFAULTS } from '../src/models/sasrec/config.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { mulberry32 } from '../src/random.js';
import { BatchSampler } from '../src/train/batches.js';
import { useNodeBackend, type NodeBackend } from '../src/train/backend-node.js';
import { sasrecObjective } from '../src/train/losses.js';
import { DataParallel } from '../src/train/data-parallel.js';
import { sasrecReplica, sasrecTrainable } from '../src/train/sasrec-task.js';
import { trainStep } from '../src/train/sasrec.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

const o = new Command()
  .option('--batch <n>', 'users per step', '32')
  .option('--len <n>', 'sequence length', '200')
  .option('--items <n>', 'catalog size (ML-1M: 3416)', '3416')
  .option('--negatives <n>', 'sampled-CE negatives', '512')
  .option('--steps <n>', 'timed steps per backend', '3')
  .option('--cpu-steps <n>', 'timed steps on the slow cpu backend (0 = skip)', '1')
  .option('--workers <n>', 'also time a data-parallel step over n threads, against torch with n threads (1 = skip)', '2')
  .option('--exclude-history', 'mask each user\'s history out of the negatives (training default; torch has no such mask, so off here)')
  .option('--name <name>', 'results file name', 'train-speed')
  .parse()
  .opts();
const B = Number(o.batch), L = Number(o.len), N = Number(o.items), K = Number(o.negatives);
const shape = `B=${B} L=${L} D=64 blocks=2 (${SASREC_DEFAULTS.block}, positions ${SASREC_DEFAULTS.positions}) heads=1 items=${N} sampled-ce ${K} negatives${o.excludeHistory ? ' minus history' : ''}`;
// other load on the machine skews every figure here; the row says how busy it was when we started
const load1 = loadavg()[0];
const command = `npm run bench:train-speed -- ${process.argv.slice(2).join(' ')}`.trim();

const rnd = mulberry32(7);
// users of length L+1, so every position of every row has a target (as the torch side)
const train = Array.from({ length: B }, () => Int32Array.from({ length: L + 1 }, () => 1 + Math.floor(rnd() * N)));
const users = Array.from({ length: B }, (_, i) => i);

async function tfjsStep(backend: NodeBackend, steps: number, profile: boolean) {
  await useNodeBackend(backend);
  const m = new SasrecModel({ numItems: N, maxLen: L, loss: 'sampled-ce', numNegatives: K, batchSize: B, excludeHistory: Boolean(o.excludeHistory) });
  m.setObjective(sasrecObjective(m.config));
  const s = new BatchSampler(train, N, L, 1);
  const opt = tf.train.adam(1e-3, 0.9, 0.98);
  const ms = await medianStepMs(() => trainStep(m, opt, s, users, m.config), steps);
  let top: { kernel: string; ms: number }[] = [];
  if (profile) {
    const p = await tf.profile(async () => void (await trainStep(m, opt, s, users, m.config)));
    const agg = new Map<string, number>();
    for (const k of p.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    top = [...agg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([kernel, ms]) => ({ kernel, ms: Math.round(ms) }));
  }
  opt.dispose();
  m.dispose();
  return { ms, top };
}

/** Median wall ms of `steps` calls, after one untimed warm-up call (kernels, Adam slots). */
async function medianStepMs(step: () => Promise<unknown>, steps: number): Promise<number> {
  await step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await step();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const wasm = await tfjsStep('wasm', Number(o.steps), true);
console.error(`tfjs wasm ${wasm.ms.toFixed(0)} ms/step; top kernels ${JSON.stringify(wasm.top)}`);
const W = Number(o.workers);
const parallel = W > 1 ? await parallelStep(W, Number(o.steps)) : undefined;
if (parallel) console.error(`tfjs wasm x${W} threads ${parallel.toFixed(0)} ms/step`);
// --cpu-steps 0 skips the pure-JS backend (at B=32 L=200 one step did not finish in 8 minutes here)
const cpu = Number(o.cpuSteps) > 0 ? await tfjsStep('cpu', Number(o.cpuSteps), false) : undefined;
if (cpu) console.error(`tfjs cpu ${cpu.ms.toFixed(0)} ms/step`);
type TorchTiming = { ms_per_step: number; threads: number; torch: string };
const torchStep = (threads: number): TorchTiming | undefined => {
  try {
    const out = execFileSync('/usr/bin/python3', ['bench/torch_reference.py', 'speed', '--batch', String(B), '--len', String(L), '--items', String(N), '--negatives', String(K), '--steps', String(o.steps), '--threads', String(threads), '--block', SASREC_DEFAULTS.block, '--positions', SASREC_DEFAULTS.positions], { encoding: 'utf8' });
    const t = JSON.parse(out.trim().split('\n').pop()!) as TorchTiming;
    console.error(`torch cpu ${threads} thread(s) ${t.ms_per_step.toFixed(0)} ms/step`);
    return t;
  } catch (e) {
    console.error(`torch skipped: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
};
const torch = torchStep(1);
const torchW = parallel ? torchStep(W) : undefined;

/** One step as trainSasrec runs it with `workers: w` (data-parallel.ts), same shape and batch. */
async function parallelStep(w: number, steps: number): Promise<number> {
  await useNodeBackend('wasm');
  const m = new SasrecModel({ numItems: N, maxLen: L, loss: 'sampled-ce', numNegatives: K, batchSize: B, excludeHistory: Boolean(o.excludeHistory) });
  m.setObjective(sasrecObjective(m.config));
  const dp = await DataParallel.start(sasrecReplica(m.config), w);
  const s = new BatchSampler(train, N, L, 1);
  const opt = tf.train.adam(1e-3, 0.9, 0.98);
  const step = () => {
    const negatives = s.shared(K);
    return dp.step(sasrecTrainable(m), opt, Array.from({ length: w }, (_, k) => ({ batch: s.batch(users.filter((u) => u % w === k)), negatives })), 1);
  };
  const ms = await medianStepMs(step, steps);
  await dp.close();
  opt.dispose();
  m.dispose();
  return ms;
}
const row = (model: string, metrics: Record<string, number | string>, extra: Record<string, unknown> = {}): BenchRow => ({ benchmark: 'train-speed', dataset: `synthetic ML-1M shape (${shape})`, model, metrics: { ...metrics, load1_at_start: load1 }, command, date: BENCH_DATE, machine: BENCH_MACHINE, ...extra });
const rows: BenchRow[] = [
  row('sasrec-sampled-ce tfjs-wasm', { ms_per_step: wasm.ms, ...(torch ? { ratio_vs_torch: wasm.ms / torch.ms_per_step } : {}) }, { topKernelsMs: wasm.top, note: 'Node, tfjs-backend-wasm 4.22 (single thread, SIMD)' }),
];
if (parallel) rows.push(row(`sasrec-sampled-ce tfjs-wasm x${W}`, { ms_per_step: parallel, threads: W, speedup_vs_1_thread: wasm.ms / parallel, ...(torchW ? { ratio_vs_torch: parallel / torchW.ms_per_step } : {}) }, { note: `Node, tfjs-backend-wasm, ${W} data-parallel threads (train/data-parallel.ts)` }));
if (cpu) rows.push(row('sasrec-sampled-ce tfjs-cpu', { ms_per_step: cpu.ms, ...(torch ? { ratio_vs_torch: cpu.ms / torch.ms_per_step } : {}), wasm_speedup: cpu.ms / wasm.ms }));
for (const t of [torch, torchW]) if (t) rows.push(row(`sasrec-sampled-ce torch-cpu${t.threads > 1 ? ` x${t.threads}` : ''}`, { ms_per_step: t.ms_per_step, threads: t.threads }, { torch: t.torch }));
await recordBench(String(o.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const parts = [`${m.ms_per_step.toFixed(0)} ms/step`];
  if (m.ratio_vs_torch) parts.push(`${m.ratio_vs_torch.toFixed(2)}x torch`);
  if (m.wasm_speedup) parts.push(`wasm is ${m.wasm_speedup.toFixed(1)}x faster`);
  if (m.speedup_vs_1_thread) parts.push(`${m.speedup_vs_1_thread.toFixed(2)}x one thread`);
  if (r.topKernelsMs) parts.push(`profile: ${(r.topKernelsMs as { kernel: string; ms: number }[]).map((k) => `${k.kernel} ${k.ms}ms`).join(', ')}`);
  parts.push(`${shape}; load average ${m.load1_at_start.toFixed(1)} at start (2 cores)`);
  return parts.join('; ');
});
