/**
 * `npm run bench`: training step time, set-up time and peak memory of BERT-style encoders (built in code, see
 * scripts/bench/bert.ts): BERT-mini-sized (full fine-tuning, embeddings + first 2 layers frozen, LoRA) and
 * BERT-base-sized (full fine-tuning), next to ONNX Runtime's measured MatMul throughput on this machine and, where
 * PyTorch is installed, a PyTorch CPU eager baseline on the same weights and batch.
 *
 *   node out/scripts/bench.js [--model all|mini|base] [--steps 5] [--warmup 2] [--batch 16] [--seq 128] [--threads 2]
 *     [--base-steps 1] [--base-warmup 1] [--base-batch 8] [--no-torch] [--tuned-malloc] [--json FILE]
 *
 * --tuned-malloc adds a PyTorch run with glibc malloc keeping freed memory (see TORCH_VARIANTS).
 *
 * Each configuration runs in its own process, so its peak RSS is its own. Keep --warmup ≥ 1: ONNX Runtime's arena
 * grows over the first runs.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '../src/core/onnx/model.js';
import { benchCurves } from './bench/curves.js';
import { BERT_BASE, BERT_MINI, bertParamCounts, bertStepFlops, buildBert, type BertConfig } from './bench/bert.js';
import { makeBatch, writeWeights, type Batch } from './bench/data.js';
import { measureMatMul, type MatMulRate } from './bench/matmul-peak.js';
import { runOrt, type MemoryBreakdown, type RunConfig, type RunResult } from './bench/ort-run.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const TORCH_SCRIPT = path.join(REPO, 'scripts', 'bench', 'torch_bert_mini.py');
const FROZEN_LAYERS = 2;

const CONFIGS: RunConfig[] = [
  { id: 'full', label: 'full fine-tune', freeze: [], frozenLayers: 0 },
  {
    id: 'frozen', label: `frozen emb + layers 0-${FROZEN_LAYERS - 1}`, frozenLayers: FROZEN_LAYERS,
    freeze: ['bert.embeddings.*', ...Array.from({ length: FROZEN_LAYERS }, (_, l) => `bert.encoder.layer.${l}.*`)],
  },
  {
    id: 'lora', label: 'LoRA r=8 query/value', freeze: [], frozenLayers: 0,
    lora: { r: 8, alpha: 16, target: ['*attention.self.query', '*attention.self.value'], trainAlso: ['classifier.*'] },
  },
];

/** LoRA: the whole forward, and a backward of input gradients only (about the forward again; base weights get no
 * gradient, the rank-8 adapters' matmuls are left out). */
const stepFlops = (c: RunConfig, cfg: BertConfig, batch: number, seq: number) =>
  c.lora ? 2 * bertStepFlops(cfg, batch, seq).forward : bertStepFlops(cfg, batch, seq, c.frozenLayers).total;

interface Args {
  steps: number; warmup: number; threads: number; batch: number; seq: number; torch: boolean; tunedMalloc: boolean;
  model: 'all' | 'mini' | 'base'; baseSteps: number; baseWarmup: number; baseBatch: number;
  json?: string; child?: string; dir?: string;
}

/** A model size and the runs made on it. */
interface ModelRun { id: 'mini' | 'base'; label: string; cfg: BertConfig; batch: number; seq: number; steps: number; warmup: number; configs: RunConfig[] }

function modelRuns(a: Args): ModelRun[] {
  const runs: ModelRun[] = [
    { id: 'mini', label: 'BERT-mini', cfg: BERT_MINI, batch: a.batch, seq: a.seq, steps: a.steps, warmup: a.warmup, configs: CONFIGS },
    // BERT-base steps take seconds (minutes in PyTorch on two cores): full fine-tuning only, few steps.
    { id: 'base', label: 'BERT-base', cfg: BERT_BASE, batch: a.baseBatch, seq: a.seq, steps: a.baseSteps, warmup: a.baseWarmup, configs: CONFIGS.filter((c) => c.id === 'full') },
  ];
  return runs.filter((r) => a.model === 'all' || a.model === r.id);
}

/** PyTorch as installed, and (with --tuned-malloc) with glibc told to keep freed memory, which spares eager mode's
 * per-op allocations the page faults they cost where first touches of memory are expensive (VMs). */
const TORCH_VARIANTS: { note: string; env: Record<string, string> }[] = [
  { note: '', env: {} },
  { note: ', tuned malloc', env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:glibc.malloc.top_pad=268435456' } },
];

function parseArgs(argv: string[]): Args {
  const a: Args = {
    steps: 5, warmup: 2, threads: 2, batch: 16, seq: 128, torch: true, tunedMalloc: false, model: 'all', baseSteps: 1, baseWarmup: 1, baseBatch: 8,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = () => argv[++i];
    if (k === '--steps') a.steps = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--batch') a.batch = Number(v());
    else if (k === '--seq') a.seq = Number(v());
    else if (k === '--model') {
      const m = v();
      if (m !== 'all' && m !== 'mini' && m !== 'base') throw new Error(`--model ${m}: expected all, mini or base`);
      a.model = m;
    } else if (k === '--base-steps') a.baseSteps = Number(v());
    else if (k === '--base-warmup') a.baseWarmup = Number(v());
    else if (k === '--base-batch') a.baseBatch = Number(v());
    else if (k === '--no-torch') a.torch = false;
    else if (k === '--tuned-malloc') a.tunedMalloc = true;
    else if (k === '--json') a.json = v();
    else if (k === '--child') a.child = v();
    else if (k === '--dir') a.dir = v();
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

/** Child mode: one configuration in this process; prints its RunResult as the last stdout line. */
async function child(a: Args): Promise<void> {
  const cfg = CONFIGS.find((c) => c.id === a.child)!;
  const batch = JSON.parse(fs.readFileSync(path.join(a.dir!, 'batch.json'), 'utf8')) as Batch;
  const result = await runOrt(path.join(a.dir!, 'model.onnx'), batch, cfg, a);
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

function lastJson<T>(stdout: string): T {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as T;
}

interface TorchResult extends RunResult { torch: string; blas: string; threads: number }

/** The first Python that imports torch: $BENCH_PYTHON, python3 on PATH, then Debian's /usr/bin/python3. */
function findTorch(): { python?: string; version?: string; why: string } {
  const candidates = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  const why: string[] = [];
  for (const python of new Set(candidates)) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.error) why.push(`${python}: not found`);
    else if (r.status !== 0) why.push(`${python}: ${r.stderr.trim().split('\n').pop() ?? 'import torch failed'}`);
    else return { python, version: r.stdout.trim(), why: '' };
  }
  return { why: why.join('; ') };
}

const M = (n: number) => `${(n / 1e6).toFixed(2)}M`;
const ms = (s: number) => `${(s * 1e3).toFixed(0)} ms`;
const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

function table(header: string[], rows: string[][], leftCols = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < leftCols ? pad(c, widths[i]) : lpad(c, widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface Row { model: ModelRun; config: RunConfig; engine: string; r: RunResult; torch?: TorchResult }

/** Builds one model size's files in `dir`; returns its MatMul rate at the model's Linear shapes. */
async function prepareModelDir(m: ModelRun, dir: string, threads: number): Promise<MatMulRate[]> {
  fs.mkdirSync(dir, { recursive: true });
  const model = buildBert(m.cfg);
  await saveModel(model, path.join(dir, 'model.onnx'), { externalDataThreshold: 1024 });
  fs.writeFileSync(path.join(dir, 'batch.json'), JSON.stringify(makeBatch(m.batch, m.seq, m.cfg.vocabSize, m.cfg.numLabels)));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(m.cfg));
  writeWeights(model, dir);
  return matmulRates(m, threads);
}

async function matmulRates(m: ModelRun, threads: number): Promise<MatMulRate[]> {
  const T = m.batch * m.seq, H = m.cfg.hiddenSize, I = m.cfg.intermediateSize;
  const rates: MatMulRate[] = [];
  for (const [r, k, n] of [[T, H, I], [T, I, H], [T, H, H]]) rates.push(await measureMatMul(r, k, n, threads));
  return rates;
}

const peakOf = (rates: MatMulRate[]) => Math.max(...rates.map((r) => r.gflops));

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a);

  // The panel's live curves at 100k points (separate section, a few seconds; also: node out/scripts/bench/curves.js).
  if (a.model !== 'base') {
    for (const l of await benchCurves()) console.log(l);
    console.log();
  }

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-finetune-bench-'));
  try {
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    const avail = a.torch ? findTorch() : { python: undefined, version: undefined, why: '--no-torch' };
    const variants = avail.python ? TORCH_VARIANTS.filter((v) => a.tunedMalloc || !v.env.GLIBC_TUNABLES) : [];
    console.log(`AdamW, ${a.threads} threads; ${cpu}, ${os.cpus().length} cores, Node ${process.version}`);
    const rows: Row[] = [];
    const peaks = new Map<ModelRun, number>();
    for (const m of modelRuns(a)) {
      const dir = path.join(root, m.id);
      const rates = await prepareModelDir(m, dir, a.threads);
      const counts = bertParamCounts(m.cfg);
      console.log(`\n${m.label}-sized encoder: ${m.cfg.numLayers} layers, hidden ${m.cfg.hiddenSize}, ${m.cfg.numHeads} heads, FFN ${m.cfg.intermediateSize}, ` +
        `vocab ${m.cfg.vocabSize}, ${M(counts.total)} parameters; batch ${m.batch} × ${m.seq} tokens, ${m.warmup} warm-up + ${m.steps} timed steps (median)`);
      const T = m.batch * m.seq;
      const single = a.threads > 1 ? await measureMatMul(T, m.cfg.hiddenSize, m.cfg.intermediateSize, 1) : undefined;
      console.log(`ONNX Runtime fp32 MatMul, ${a.threads} threads: ` +
        rates.map((r) => `[${r.m},${r.k}]×[${r.k},${r.n}] ${r.gflops.toFixed(1)} GFLOP/s`).join(', ') + `; peak ${peakOf(rates).toFixed(1)} GFLOP/s` +
        (single ? ` (1 thread: [${single.m},${single.k}]×[${single.k},${single.n}] ${single.gflops.toFixed(1)} GFLOP/s)` : ''));

      // Each configuration: ONNX Runtime, then PyTorch right after it, so both see the same machine conditions.
      const run = ['--dir', dir, '--steps', String(m.steps), '--warmup', String(m.warmup), '--threads', String(a.threads)];
      for (const c of m.configs) {
        process.stderr.write(`running ONNX Runtime: ${m.label} ${c.label}…\n`);
        const r = await runProcess(process.execPath, [fileURLToPath(import.meta.url), '--child', c.id, ...run]);
        if (r.code !== 0) throw new Error(`the ${m.id} ${c.id} run failed:\n${r.stderr}`);
        rows.push({ model: m, config: c, engine: 'ONNX Runtime (this engine)', r: lastJson<RunResult>(r.stdout) });
        for (const v of variants) {
          process.stderr.write(`running PyTorch ${avail.version}${v.note}: ${m.label} ${c.label}…\n`);
          const env = { ...process.env, OMP_NUM_THREADS: String(a.threads), OPENBLAS_NUM_THREADS: String(a.threads), ...v.env };
          const t = await runProcess(avail.python!, [TORCH_SCRIPT, '--config', c.id, '--frozen-layers', String(c.frozenLayers || FROZEN_LAYERS), ...run], env);
          if (t.code !== 0) throw new Error(`the PyTorch ${m.id} ${c.id} run failed:\n${t.stderr}`);
          const tr = lastJson<TorchResult>(t.stdout);
          rows.push({ model: m, config: c, engine: `PyTorch eager${v.note}`, r: tr, torch: tr });
        }
      }
      // The MatMul rate again: on a shared machine it drifts; the fraction uses the mean of both measurements.
      const end = peakOf(await matmulRates(m, a.threads));
      peaks.set(m, (peakOf(rates) + end) / 2);
      console.log(`ONNX Runtime fp32 MatMul after the runs: peak ${end.toFixed(1)} GFLOP/s (reference for % of peak: mean ${peaks.get(m)!.toFixed(1)} GFLOP/s)`);
    }
    const anyTorch = rows.find((x) => x.torch)?.torch;
    const torchNote = anyTorch
      ? `PyTorch ${anyTorch.torch} CPU eager (${avail.python}; BLAS: ${anyTorch.blas}), ${anyTorch.threads} threads, same weights and batch`
      : `PyTorch baseline skipped (${avail.why}). To run it (Debian): apt-get install python3-torch libopenblas0-pthread`;
    const load = os.loadavg()[0];
    if (load > os.cpus().length * 0.75 + 1) {
      console.log(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} cores: other work ran during the bench; timings are unreliable`);
    }

    const ortOf = (x: Row) => rows.find((y) => y.model === x.model && y.config === x.config && !y.torch)!.r;
    const first = (i: number) => i === 0 || rows[i - 1].config !== rows[i].config || rows[i - 1].model !== rows[i].model;
    const label = (x: Row) => `${x.model.label} ${x.config.label}`;
    console.log('\n' + table(
      ['configuration', 'engine', 'trainable', 'FLOPs/step', 's/step', 'peak RSS', 'GFLOP/s', '% MatMul peak', 'faults/step', 'ORT speed-up'],
      rows.map((x, i) => {
        const { model: m, config: c, engine, r, torch: t } = x;
        const flops = stepFlops(c, m.cfg, m.batch, m.seq);
        const achieved = flops / r.stepSeconds / 1e9;
        return [first(i) ? label(x) : '', engine, M(r.trainable), `${(flops / 1e9).toFixed(1)} G`, `${r.stepSeconds.toFixed(3)} s`,
          `${r.peakRssMiB.toFixed(0)} MiB`, achieved.toFixed(1), `${((100 * achieved) / peaks.get(m)!).toFixed(0)}%`, r.pageFaultsPerStep.toFixed(0),
          t ? `${(t.stepSeconds / ortOf(x).stepSeconds).toFixed(2)}×` : ''];
      }), 2));
    console.log(`\n${torchNote}.`);
    console.log('ORT speed-up = PyTorch s/step ÷ ONNX Runtime s/step (target ≥ 1.5×). FLOPs/step: matmuls only (forward + the backward ' +
      'the trained set needs); % MatMul peak: achieved GFLOP/s ÷ the ONNX Runtime MatMul rate at that model\'s shapes; faults/step: minor page faults ' +
      '(fresh memory touched each step).');
    if (variants.some((v) => v.env.GLIBC_TUNABLES)) {
      console.log(`"tuned malloc": ${TORCH_VARIANTS[1].env.GLIBC_TUNABLES}, so glibc keeps freed blocks instead of unmapping them.`);
    }

    const phases = (r: RunResult) => Object.entries(r.setupPhases ?? {}).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
    console.log('\nwhere a step goes (median), and set-up (ORT: load + pack the parameters, shape probe, training/eval graphs, ORT sessions):');
    console.log(table(
      ['configuration', 'engine', 'forward+backward', 'optimizer', 'set-up', 'set-up phases (s)', 'set-up peak RSS'],
      rows.map((x, i) => [first(i) ? label(x) : '', x.engine, ms(x.r.trainStepSeconds), ms(x.r.optimizerStepSeconds),
        `${x.r.setupSeconds.toFixed(1)} s`, phases(x.r), `${x.r.setupPeakRssMiB.toFixed(0)} MiB`]), 2));

    const mib = (n: number) => `${n.toFixed(0)} MiB`;
    const bytes = (b: MemoryBreakdown) => [b.params, b.grads, b.optimizer, b.frozen, b.otherJs, b.runtime].map(mib);
    console.log('\nwhere the bytes go (at the end of the run; 4 bytes a value):');
    console.log(table(
      ['configuration', 'engine', 'parameters', 'gradients', 'AdamW state', 'frozen weights', 'other JS arrays', 'runtime (rest)', 'peak RSS'],
      rows.filter((x) => x.r.memory).map((x, i, all) => [i === 0 || all[i - 1].config !== x.config || all[i - 1].model !== x.model ? label(x) : '',
        x.engine, ...bytes(x.r.memory!), mib(x.r.peakRssMiB)]), 2));
    console.log('parameters, gradients, AdamW state (2 moments): the trained values, one copy each in both engines (the engine feeds ' +
      'ORT views of its parameter buffer and binds the gradient outputs to its gradient buffer). frozen weights: one copy (JS for ' +
      'the engine, views fed to ORT). other JS arrays: onnxruntime-node returns a fresh copy of every output of a run, bound or not ' +
      '(the gradients again, each step; an embedding\'s only as the rows its Gather read) until the garbage collector frees it. runtime (rest) = peak RSS minus the arrays counted: ' +
      'ORT\'s arena (activations, the gradients as computed before being written out) or PyTorch\'s activations, plus code and heaps.');
    console.log(`\nfirst-step loss (same weights and batch): ` + rows.map((x) => `${x.engine} ${x.model.id} ${x.config.id} ${x.r.losses[0].toFixed(5)}`).join(', '));

    if (a.json) {
      fs.writeFileSync(a.json, JSON.stringify({ args: a, rows: rows.map((x) => ({ ...x, model: { id: x.model.id, cfg: x.model.cfg, batch: x.model.batch }, peakGflops: peaks.get(x.model) })), cpu, loadavg: os.loadavg() }, null, 2));
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
