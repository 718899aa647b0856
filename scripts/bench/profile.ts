/**
 * Where a training step's time goes: compiles the bench model's training graph exactly as TrainingSession does,
 * runs it under ONNX Runtime's profiler and sums kernel time by op type, by origin (the forward op whose gradient rule
 * emitted a backward node) and by node; also times the parts of
 * a step outside ORT (feeding params, the JS gradient copy, AdamW).
 *
 *   node out/scripts/bench/profile.js [full|frozen] [--threads 2] [--steps 3] [--opt all|basic|extended|disabled]
 *     --breakdown-only  only the TrainingSession breakdown (no ORT profiler run)
 *     --sweep           session.run time under several session-option sets (threads, spinning, optimization level)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ort from 'onnxruntime-node';
import { parameterInfos, matchesAny } from '../../src/core/module-tree.js';
import { serializeModel } from '../../src/core/onnx/model.js';
import { compileTraining, prepareModel } from '../../src/core/training-graph.js';
import { tensorValues } from '../../src/core/onnx/tensor.js';
import { gradientOrigin } from '../../src/core/autodiff/backward.js';
import { ortSessionOptions, TrainingSession } from '../../src/core/session.js';
import { BERT_MINI, buildBert } from './bert.js';
import { batchFeeds, makeBatch } from './data.js';

interface Event { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string; provider?: string } }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = argv.find((a) => !a.startsWith('--') && !/^\d/.test(a)) ?? 'full';
  const opt = (k: string, d: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : d; };
  const threads = Number(opt('--threads', '2')), steps = Number(opt('--steps', '3'));
  const level = opt('--opt', 'all') as 'all' | 'basic' | 'extended' | 'disabled';
  const freeze = config === 'frozen' ? ['bert.embeddings.*', 'bert.encoder.layer.0.*', 'bert.encoder.layer.1.*'] : [];

  const prepared = prepareModel(buildBert(BERT_MINI));
  const feeds = batchFeeds(makeBatch(16, 128, BERT_MINI.vocabSize, BERT_MINI.numLabels));
  const trainable = parameterInfos(prepared.graph!).filter((p) => !matchesAny(p, freeze)).map((p) => p.name);
  const compiled = await compileTraining(prepared, { task: 'classification', trainable, sample: feeds });
  const counts = new Map<string, number>();
  for (const n of compiled.train.graph!.node) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  console.log(`training graph: ${compiled.train.graph!.node.length} nodes; ` +
    [...counts].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([k, v]) => `${k} ${v}`).join(', '));

  if (argv.includes('--sweep')) return sweep(compiled, prepared, feeds, steps);
  await breakdown(feeds, freeze, threads, steps);
  if (argv.includes('--breakdown-only')) return;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
  const session = await ort.InferenceSession.create(serializeModel(compiled.train), {
    ...ortSessionOptions(threads), graphOptimizationLevel: level,
    enableProfiling: true, profileFilePrefix: path.join(dir, 'prof'),
    optimizedModelFilePath: path.join(dir, 'optimized.onnx'),
  });
  const inits = new Map(prepared.graph!.initializer.map((t) => [t.name, t]));
  const params: Record<string, ort.Tensor> = {};
  for (const p of compiled.params) params[p] = new ort.Tensor('float32', tensorValues(inits.get(p)!) as Float32Array, compiled.info.get(p)!.shape);
  const all = { ...feeds, ...params };
  const inputs: Record<string, ort.Tensor> = {};
  for (const n of session.inputNames) inputs[n] = all[n];

  const runTimes: number[] = [];
  let result: ort.InferenceSession.ReturnType | undefined;
  for (let s = 0; s < steps + 1; s++) {
    const t0 = performance.now();
    result = await session.run(inputs);
    runTimes.push(performance.now() - t0);
  }
  // The JS work TrainingSession does around the run: copy every gradient into the accumulation buffer.
  const t0 = performance.now();
  let total = 0;
  for (const out of compiled.gradOutputs) {
    const d = result![typeof out === 'string' ? out : out.rows].data as Float32Array;
    const acc = new Float32Array(d.length);
    for (let j = 0; j < d.length; j++) acc[j] = d[j] * 1;
    total += d.length;
  }
  const copyMs = performance.now() - t0;
  session.endProfiling();
  await session.release();
  const file = fs.readdirSync(dir).filter((f) => f.startsWith('prof') && f.endsWith('.json')).map((f) => path.join(dir, f))[0];

  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as Event[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const measured = runs.slice(1); // the first run includes allocations / warm-up
  const perRun = measured.reduce((s, e) => s + e.dur, 0) / measured.length / 1e3;
  // Kernel time of the measured runs only: in the first, kernels that first write fresh arena memory pay its page
  // faults (BERT-mini's forward Adds: ~150 ms there, ~8 ms a run after), which would swamp a 4-run average.
  const firstEnd = runs[0].ts + runs[0].dur;
  const nodeEvents = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= firstEnd);
  // Kernel events of the measured runs; divide by their number for a per-step figure.
  const byOp = new Map<string, number>(), byNode = new Map<string, { op: string; us: number }>();
  for (const e of nodeEvents) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const name = e.name.replace(/_kernel_time$/, '');
    const cur = byNode.get(name) ?? { op, us: 0 };
    cur.us += e.dur;
    byNode.set(name, cur);
  }
  const nRuns = measured.length;
  const kernelTotal = [...byOp.values()].reduce((a, b) => a + b, 0) / nRuns / 1e3;
  console.log(`config ${config}, ${threads} threads, graph optimization '${level}': session.run ${runTimes.slice(1).map((t) => t.toFixed(0)).join(', ')} ms ` +
    `(first ${runTimes[0].toFixed(0)} ms); profiler model_run ${perRun.toFixed(0)} ms, kernels ${kernelTotal.toFixed(0)} ms/run`);
  console.log(`JS gradient copy (${(total / 1e6).toFixed(2)}M floats): ${copyMs.toFixed(1)} ms`);
  console.log('\nkernel time by op type (ms per run, share):');
  for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`  ${op.padEnd(22)} ${(us / nRuns / 1e3).toFixed(1).padStart(8)}  ${((100 * us) / nRuns / 1e3 / kernelTotal).toFixed(1).padStart(5)}%`);
  }
  const phase = (name: string) => (name.startsWith('grad/') ? 'backward' : name.startsWith('loss/') ? 'loss' : 'forward');
  const origin = new Map(compiled.train.graph!.node.map((n) => {
    const of = gradientOrigin(n);
    return [n.name, of ? `grad ${of}` : `fwd ${n.opType}`];
  }));
  const byOrigin = new Map<string, number>();
  for (const [name, { op, us }] of byNode) {
    if (['MatMul', 'FusedMatMul', 'Gemm'].includes(op)) continue;
    const base = name.split('/').slice(0, 2).join('/');
    const o = origin.get(name) ?? origin.get(base) ?? `? ${op}`;
    byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
  }
  console.log('\nnon-matmul kernel time by origin (grad rule of a forward op, or forward op), ms per run:');
  for (const [o, us] of [...byOrigin].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${o.padEnd(28)} ${(us / nRuns / 1e3).toFixed(1)}`);
  const byPhase = new Map<string, { mm: number; other: number }>();
  for (const [name, { op, us }] of byNode) {
    const ph = byPhase.get(phase(name)) ?? { mm: 0, other: 0 };
    if (['MatMul', 'FusedMatMul', 'Gemm'].includes(op)) ph.mm += us; else ph.other += us;
    byPhase.set(phase(name), ph);
  }
  console.log('\nby phase (ms per run): ' + [...byPhase].map(([k, v]) =>
    `${k} ${((v.mm + v.other) / nRuns / 1e3).toFixed(0)} (matmul ${(v.mm / nRuns / 1e3).toFixed(0)}, other ${(v.other / nRuns / 1e3).toFixed(0)})`).join('; '));
  console.log('\ntop nodes (ms per run):');
  for (const [name, { op, us }] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, 25)) {
    console.log(`  ${(us / nRuns / 1e3).toFixed(1).padStart(8)}  ${op.padEnd(18)} ${name}`);
  }
  console.log(`\nprofile: ${file}\noptimized graph: ${path.join(dir, 'optimized.onnx')}`);
}

/** session.run of the training graph (params fed from the initial values) under several session-option sets. */
async function sweep(compiled: Awaited<ReturnType<typeof compileTraining>>, prepared: ReturnType<typeof prepareModel>,
  feeds: Record<string, ort.Tensor>, steps: number): Promise<void> {
  const inits = new Map(prepared.graph!.initializer.map((t) => [t.name, t]));
  const all: Record<string, ort.Tensor> = { ...feeds };
  for (const p of compiled.params) all[p] = new ort.Tensor('float32', tensorValues(inits.get(p)!) as Float32Array, compiled.info.get(p)!.shape);
  const bytes = serializeModel(compiled.train);
  const spin = { session: { intra_op: { allow_spinning: '1' } } };
  const base = ortSessionOptions();
  const variants: [string, ort.InferenceSession.SessionOptions][] = [
    ['2 threads (as TrainingSession)', { ...base, intraOpNumThreads: 2 }],
    ['2 threads, spinning', { ...base, intraOpNumThreads: 2, extra: spin }],
    ['1 thread', { ...base, intraOpNumThreads: 1 }],
    ['2 threads, optimization extended', { ...base, intraOpNumThreads: 2, graphOptimizationLevel: 'extended' }],
    ['2 threads, optimization basic', { ...base, intraOpNumThreads: 2, graphOptimizationLevel: 'basic' }],
  ];
  for (const [label, options] of variants) {
    const session = await ort.InferenceSession.create(bytes, options);
    const inputs: Record<string, ort.Tensor> = {};
    for (const n of session.inputNames) inputs[n] = all[n];
    const times: number[] = [];
    for (let s = 0; s < steps + 2; s++) {
      const t0 = performance.now();
      await session.run(inputs);
      if (s >= 2) times.push(performance.now() - t0);
    }
    await session.release();
    times.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(36)} median ${times[times.length >> 1].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)})`);
  }
}

/** A real TrainingSession: its ORT run timed by wrapping the private InferenceSession's run, with page faults. */
async function breakdown(feeds: Record<string, ort.Tensor>, freeze: string[], threads: number, steps: number): Promise<void> {
  const session = await TrainingSession.create(buildBert(BERT_MINI), feeds, {
    task: 'classification', freeze, optimizer: { name: 'adamw', lr: 5e-5, weightDecay: 0.01 }, totalSteps: 100, threads,
  });
  const inner = (session as unknown as { trainSession: ort.InferenceSession }).trainSession;
  const run = inner.run.bind(inner) as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>;
  let runMs = 0, runFaults = 0;
  (inner as { run: unknown }).run = async (...args: unknown[]) => {
    const f0 = process.resourceUsage().minorPageFault, t0 = performance.now();
    const r = await run(...args);
    runMs = performance.now() - t0;
    runFaults = process.resourceUsage().minorPageFault - f0;
    return r;
  };
  console.log('\nTrainingSession step breakdown (ms; minor page faults in brackets):');
  for (let s = 0; s < steps + 2; s++) {
    const f0 = process.resourceUsage().minorPageFault, t0 = performance.now();
    session.lazyResetGrad();
    await session.trainStep(feeds);
    const f1 = process.resourceUsage().minorPageFault, t1 = performance.now();
    session.optimizerStep();
    const f2 = process.resourceUsage().minorPageFault, t2 = performance.now();
    console.log(`  step ${s}: total ${(t2 - t0).toFixed(0)} = ORT run ${runMs.toFixed(0)} [${runFaults}] + JS feeds ${(t1 - t0 - runMs).toFixed(0)} [${f1 - f0 - runFaults}]` +
      ` + optimizerStep ${(t2 - t1).toFixed(0)} [${f2 - f1}]`);
  }
  await session.release();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
