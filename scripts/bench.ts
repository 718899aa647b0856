/**
 * `npm run bench`: training step time and peak memory of a BERT-mini-sized encoder (built in code, see
 * scripts/bench/bert.ts), full fine-tuning and with the embeddings + first 2 layers frozen, next to ONNX Runtime's
 * measured MatMul throughput on this machine and, where PyTorch is installed, a PyTorch CPU eager baseline.
 *
 *   node out/scripts/bench.js [--steps 5] [--warmup 2] [--threads 2] [--batch 16] [--seq 128] [--no-torch] [--tuned-malloc] [--json FILE]
 *
 * --tuned-malloc adds a PyTorch run with glibc malloc keeping freed memory (see TORCH_VARIANTS).
 *
 * Each configuration runs in its own process, so its peak RSS is its own. Keep --warmup ≥ 2: ONNX Runtime sizes its
 * memory arena over the first two runs (the second one touches all of it).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveModel } from '../src/core/onnx/model.js';
import { benchCurves } from './bench/curves.js';
import { BERT_MINI, bertParamCounts, bertStepFlops, buildBert, type BertConfig } from './bench/bert.js';
import { makeBatch, writeWeights, type Batch } from './bench/data.js';
import { measureMatMul, type MatMulRate } from './bench/matmul-peak.js';
import { runOrt, type RunConfig, type RunResult } from './bench/ort-run.js';

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
];

interface Args {
  steps: number; warmup: number; threads: number; batch: number; seq: number; torch: boolean; tunedMalloc: boolean;
  json?: string; child?: string; dir?: string;
}

/** PyTorch as installed, and (with --tuned-malloc) with glibc told to keep freed memory, which spares eager mode's
 * per-op allocations the page faults they cost where first touches of memory are expensive (VMs). */
const TORCH_VARIANTS: { note: string; env: Record<string, string> }[] = [
  { note: '', env: {} },
  { note: ', tuned malloc', env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296:glibc.malloc.top_pad=268435456' } },
];

function parseArgs(argv: string[]): Args {
  const a: Args = { steps: 5, warmup: 2, threads: 2, batch: 16, seq: 128, torch: true, tunedMalloc: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = () => argv[++i];
    if (k === '--steps') a.steps = Number(v());
    else if (k === '--warmup') a.warmup = Number(v());
    else if (k === '--threads') a.threads = Number(v());
    else if (k === '--batch') a.batch = Number(v());
    else if (k === '--seq') a.seq = Number(v());
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

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return child(a);

  // The panel's live curves at 100k points (separate section, a few seconds; also: node out/scripts/bench/curves.js).
  for (const l of await benchCurves()) console.log(l);
  console.log();

  const cfg: BertConfig = BERT_MINI;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-finetune-bench-'));
  try {
    const model = buildBert(cfg);
    await saveModel(model, path.join(dir, 'model.onnx'));
    const batch = makeBatch(a.batch, a.seq, cfg.vocabSize, cfg.numLabels);
    fs.writeFileSync(path.join(dir, 'batch.json'), JSON.stringify(batch));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    writeWeights(model, dir);
    const counts = bertParamCounts(cfg);
    const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
    console.log(`BERT-style encoder: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, ${cfg.numHeads} heads, FFN ${cfg.intermediateSize}, ` +
      `vocab ${cfg.vocabSize}, ${M(counts.total)} parameters`);
    console.log(`batch ${a.batch} × ${a.seq} tokens, AdamW, ${a.threads} threads, ${a.warmup} warm-up + ${a.steps} timed steps (median); ` +
      `${cpu}, ${os.cpus().length} cores, Node ${process.version}`);

    // ONNX Runtime MatMul throughput, for the shapes of this model's Linear layers.
    const T = a.batch * a.seq, H = cfg.hiddenSize, I = cfg.intermediateSize;
    const rates: MatMulRate[] = [];
    for (const [m, k, n] of [[T, H, I], [T, I, H], [T, H, H]]) rates.push(await measureMatMul(m, k, n, a.threads));
    const peakStart = Math.max(...rates.map((r) => r.gflops));
    const single = a.threads > 1 ? await measureMatMul(T, H, I, 1) : undefined;
    console.log(`\nONNX Runtime fp32 MatMul, ${a.threads} threads: ` +
      rates.map((r) => `[${r.m},${r.k}]×[${r.k},${r.n}] ${r.gflops.toFixed(1)} GFLOP/s`).join(', ') + `; peak ${peakStart.toFixed(1)} GFLOP/s` +
      (single ? ` (1 thread: [${T},${H}]×[${H},${I}] ${single.gflops.toFixed(1)} GFLOP/s)` : ''));

    // Each configuration: ONNX Runtime, then PyTorch right after it, so both see the same machine conditions.
    const avail = a.torch ? findTorch() : { python: undefined, version: undefined, why: '--no-torch' };
    const variants = avail.python ? TORCH_VARIANTS.filter((v) => a.tunedMalloc || !v.env.GLIBC_TUNABLES) : [];
    const results: { config: RunConfig; engine: string; r: RunResult; torch?: TorchResult }[] = [];
    for (const c of CONFIGS) {
      process.stderr.write(`running ONNX Runtime: ${c.label}…\n`);
      const r = await runProcess(process.execPath, [fileURLToPath(import.meta.url), '--child', c.id, '--dir', dir,
        '--steps', String(a.steps), '--warmup', String(a.warmup), '--threads', String(a.threads)]);
      if (r.code !== 0) throw new Error(`the ${c.id} run failed:\n${r.stderr}`);
      results.push({ config: c, engine: 'ONNX Runtime (this engine)', r: lastJson<RunResult>(r.stdout) });
      for (const v of variants) {
        process.stderr.write(`running PyTorch ${avail.version}${v.note}: ${c.label}…\n`);
        const env = { ...process.env, OMP_NUM_THREADS: String(a.threads), OPENBLAS_NUM_THREADS: String(a.threads), ...v.env };
        const t = await runProcess(avail.python!, [TORCH_SCRIPT, '--dir', dir, '--config', c.id, '--frozen-layers', String(c.frozenLayers || FROZEN_LAYERS),
          '--steps', String(a.steps), '--warmup', String(a.warmup), '--threads', String(a.threads)], env);
        if (t.code !== 0) throw new Error(`the PyTorch ${c.id} run failed:\n${t.stderr}`);
        const tr = lastJson<TorchResult>(t.stdout);
        results.push({ config: c, engine: `PyTorch eager${v.note}`, r: tr, torch: tr });
      }
    }
    const anyTorch = results.find((x) => x.torch)?.torch;
    const torchNote = anyTorch
      ? `PyTorch ${anyTorch.torch} CPU eager (${avail.python}; BLAS: ${anyTorch.blas}), ${anyTorch.threads} threads, same weights and batch`
      : `PyTorch baseline skipped (${avail.why}). To run it (Debian): apt-get install python3-torch libopenblas0-pthread`;

    // The MatMul rate again: on a shared machine it drifts; the fraction uses the mean of both measurements.
    const ratesEnd: MatMulRate[] = [];
    for (const r of rates) ratesEnd.push(await measureMatMul(r.m, r.k, r.n, a.threads));
    const peakEnd = Math.max(...ratesEnd.map((r) => r.gflops));
    const peak = (peakStart + peakEnd) / 2;
    console.log(`ONNX Runtime fp32 MatMul after the runs: peak ${peakEnd.toFixed(1)} GFLOP/s (reference for % of peak: mean ${peak.toFixed(1)} GFLOP/s)`);
    const load = os.loadavg()[0];
    if (load > os.cpus().length * 0.75 + 1) {
      console.log(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} cores: other work ran during the bench; timings are unreliable`);
    }

    const ortOf = (c: RunConfig) => results.find((x) => x.config === c && !x.torch)!.r;
    console.log('\n' + table(
      ['configuration', 'engine', 'trainable', 'FLOPs/step', 's/step', 'peak RSS', 'GFLOP/s', '% MatMul peak', 'faults/step', 'ORT speed-up'],
      results.map(({ config: c, engine, r, torch: t }, i) => {
        const flops = bertStepFlops(cfg, a.batch, a.seq, c.frozenLayers).total;
        const achieved = flops / r.stepSeconds / 1e9;
        const first = i === 0 || results[i - 1].config !== c;
        return [first ? c.label : '', engine, M(r.trainable), `${(flops / 1e9).toFixed(1)} G`, `${r.stepSeconds.toFixed(3)} s`,
          `${r.peakRssMiB.toFixed(0)} MiB`, achieved.toFixed(1), `${((100 * achieved) / peak).toFixed(0)}%`, r.pageFaultsPerStep.toFixed(0),
          t ? `${(t.stepSeconds / ortOf(c).stepSeconds).toFixed(2)}×` : ''];
      }), 2));
    console.log(`\n${torchNote}.`);
    console.log('ORT speed-up = PyTorch s/step ÷ ONNX Runtime s/step (target ≥ 1.5×). FLOPs/step: matmuls only (forward + the backward ' +
      'the trained set needs); % MatMul peak: achieved GFLOP/s ÷ the ONNX Runtime MatMul rate above; faults/step: minor page faults ' +
      '(fresh memory touched each step).');
    if (variants.some((v) => v.env.GLIBC_TUNABLES)) {
      console.log(`"tuned malloc": ${TORCH_VARIANTS[1].env.GLIBC_TUNABLES}, so glibc keeps freed blocks instead of unmapping them.`);
    }

    console.log('\nwhere a step goes (median), and memory by the end of setup (ORT: model load + training-graph compile):');
    console.log(table(
      ['configuration', 'engine', 'forward+backward', 'optimizer', 'setup', 'setup peak RSS'],
      results.map(({ config: c, engine, r }, i) => [i === 0 || results[i - 1].config !== c ? c.label : '', engine,
        ms(r.trainStepSeconds), ms(r.optimizerStepSeconds), `${r.setupSeconds.toFixed(1)} s`, `${r.setupPeakRssMiB.toFixed(0)} MiB`]), 2));
    console.log(`\nfirst-step loss (same weights and batch): ` + results.map((x) => `${x.engine} ${x.config.id} ${x.r.losses[0].toFixed(5)}`).join(', '));

    if (a.json) {
      fs.writeFileSync(a.json, JSON.stringify({ config: cfg, args: a, matmul: rates, matmulEnd: ratesEnd, peakGflops: peak, results, cpu, loadavg: os.loadavg() }, null, 2));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
