// Proves the tests bite: applies one-line deliberate bugs, one at a time, to a scratch copy of the repo, runs only the
// test files that should notice, and prints which bugs were caught. Exits 1 if any bug survives.
//
//   npm run test:mutants                  # every mutant (about 10 minutes on 2 cores)
//   node scripts/mutants.mjs adamw- lr-   # only mutants whose id contains one of the arguments
//
// The scratch copy (src, test, scripts, webview-ui and configs; node_modules and examples symlinked) is compiled once with tsc;
// each mutant then edits one line of the compiled JavaScript of its source file. `find` is the code as tsc emits it
// (TypeScript's non-null `!` and type annotations removed, one-line ifs split); it must occur exactly once in both the .ts source and
// its .js output, so a mutant that no longer matches the code fails loudly instead of silently testing nothing.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** @type {{ id: string, file: string, find: string, replace: string, tests: string[] }[]} */
const MUTANTS = [
  // Gradient rules, 0.5% scale errors (or a wrong formula) in each family.
  { id: 'grad-erf-scale', file: 'src/core/autodiff/rules/elementwise.ts', tests: ['gradcheck/elementwise'],
    find: 'c.scalar(2 / Math.sqrt(Math.PI))', replace: 'c.scalar(1.005 * 2 / Math.sqrt(Math.PI))' },
  { id: 'grad-gelu-none-uses-tanh-formula', file: 'src/core/autodiff/rules/elementwise.ts', tests: ['gradcheck/elementwise'],
    find: "if (c.attrString('approximate', 'none') === 'tanh') {", replace: 'if (true) {' },
  { id: 'grad-hardswish-scale', file: 'src/core/autodiff/rules/elementwise.ts', tests: ['gradcheck/elementwise'],
    find: 'c.e.div(x, c.scalar(3))', replace: 'c.e.div(x, c.scalar(3.015))' },
  { id: 'grad-mean-scale', file: 'src/core/autodiff/rules/elementwise.ts', tests: ['gradcheck/elementwise'],
    find: 'c.scalar(c.node.input.length, c.output(0))', replace: 'c.scalar(c.node.input.length * 1.005, c.output(0))' },
  { id: 'grad-matmul-scale', file: 'src/core/autodiff/rules/matmul.ts', tests: ['gradcheck/matmul'],
    find: "const da = c.needsGrad(0) ? e.op('MatMul', [g, e.transpose(b, [1, 0])]) : undefined;",
    replace: "const da = c.needsGrad(0) ? e.mul(e.op('MatMul', [g, e.transpose(b, [1, 0])]), c.scalar(1.005, g)) : undefined;" },
  { id: 'grad-gemm-bias-scale', file: 'src/core/autodiff/rules/matmul.ts', tests: ['gradcheck/matmul'],
    find: 'const scaled = beta === 1 ? g :', replace: 'const scaled = beta === 1 ? c.e.mul(g, c.scalar(1.005, g)) :' },
  { id: 'grad-conv-weight-scale', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn'],
    find: 'dw = e.transpose(full, [1, 0, ...range(2, n + 2)]);', replace: 'dw = e.mul(e.transpose(full, [1, 0, ...range(2, n + 2)]), c.scalar(1.005, w));' },
  { id: 'grad-averagepool-scale', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn'],
    find: 'e.reshape(e.mul(g, perWindow),', replace: 'e.reshape(e.mul(e.mul(g, perWindow), c.scalar(1.005, x)),' },
  { id: 'grad-globalaveragepool-scale', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn'],
    find: 'const ratio = e.div(toX(c.output(0)), toX(x));', replace: 'const ratio = e.mul(e.div(toX(c.output(0)), toX(x)), c.scalar(1.005, x));' },
  { id: 'grad-softmax-scale', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn'],
    find: 'c.e.sub(g, c.e.sum(gy, [axis], true))', replace: 'c.e.sub(g, c.e.mul(c.e.sum(gy, [axis], true), c.scalar(1.005, y)))' },
  { id: 'grad-layernorm-scale', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn'],
    find: 'dx = e.mul(invStd, inner);', replace: 'dx = e.mul(e.mul(invStd, inner), c.scalar(1.005, x));' },
  { id: 'grad-batchnorm-epsilon', file: 'src/core/autodiff/rules/nn.ts', tests: ['gradcheck/nn', 'engine/trajectories'],
    find: "const invStd = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, c.scalar(eps))])]);",
    replace: "const invStd = e.op('Reciprocal', [e.op('Sqrt', [e.add(variance, c.scalar(eps * 10))])]);" },
  { id: 'grad-reducemean-scale', file: 'src/core/autodiff/rules/reduce.ts', tests: ['gradcheck/reduce'],
    find: 'g = e.mul(g, ratio);', replace: 'g = e.mul(g, e.mul(ratio, c.scalar(1.005, x)));' },
  { id: 'grad-gather-scale', file: 'src/core/autodiff/rules/indexing.ts', tests: ['gradcheck/indexing'],
    find: "return [e.op('ScatterND', [zeros, idx, g], { reduction: 'add' })];",
    replace: "return [e.op('ScatterND', [zeros, idx, e.mul(g, c.scalar(1.005, g))], { reduction: 'add' })];" },
  { id: 'grad-lstm-cell-carry-scale', file: 'src/core/autodiff/rules/recurrent.ts', tests: ['gradcheck/recurrent'],
    find: 'return { states: [matmul(b, dzt, f.r), b.mul(dc, ft)], outputs: [dzt] };',
    replace: 'return { states: [matmul(b, dzt, f.r), b.mul(b.mul(dc, ft), c.scalar(1.005))], outputs: [dzt] };' },
  { id: 'grad-gru-reset-gate-scale', file: 'src/core/autodiff/rules/recurrent.ts', tests: ['gradcheck/recurrent', 'producers/trajectories'],
    find: 'const rq = e.mul(q, e.mul(nh, dsig(r)));', replace: 'const rq = e.mul(q, e.mul(nh, e.mul(dsig(r), c.scalar(1.005))));' },
  { id: 'grad-transpose-perm-not-inverted', file: 'src/core/autodiff/rules/shape.ts', tests: ['gradcheck/shape'],
    find: 'return [c.e.transpose(c.gradOut(), inversePerm(perm))];', replace: 'return [c.e.transpose(c.gradOut(), perm)];' },

  // Optimizers and schedules: caught by the PyTorch trajectories alone.
  { id: 'lr-times-0.999', file: 'src/core/optim/schedule.ts', tests: ['engine/trajectories'],
    find: 'return spec.lr * lrFactor(spec, step, totalSteps);', replace: 'return spec.lr * 0.999 * lrFactor(spec, step, totalSteps);' },
  { id: 'adamw-weight-decay-dropped', file: 'src/core/optim/adamw.ts', tests: ['engine/trajectories'],
    find: 'this.weightDecay = opts.weightDecay ?? 0.01;', replace: 'this.weightDecay = 0;' },
  { id: 'adamw-bias-correction-off', file: 'src/core/optim/adamw.ts', tests: ['engine/trajectories'],
    find: 'const biasCorrection1 = 1 - beta1 ** t;', replace: 'const biasCorrection1 = 1;' },
  { id: 'warmup-off-by-one', file: 'src/core/optim/schedule.ts', tests: ['engine/trajectories'],
    find: 'return s / Math.max(1, w);', replace: 'return (s + 1) / Math.max(1, w);' },
  { id: 'sgd-momentum-0.5%-off', file: 'src/core/optim/sgd.ts', tests: ['engine/trajectories'],
    find: 'buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;', replace: 'buf[i] = first ? g : 1.005 * momentum * buf[i] + (1 - dampening) * g;' },
  { id: 'sgd-weight-decay-dropped-with-momentum', file: 'src/core/optim/sgd.ts', tests: ['engine/trajectories', 'engine/pytorch-references'],
    find: 'const g = grad[i] + weightDecay * data[i];', replace: 'const g = grad[i];' },
  { id: 'clip-coefficient-0.1%-off', file: 'src/core/optim/clip.ts', tests: ['engine/trajectories'],
    find: 'const coef = maxNorm / (total + 1e-6);', replace: 'const coef = maxNorm / (total * 1.001 + 1e-6);' },
  { id: 'group-lr-scale-ignored', file: 'src/core/optim/groups.ts', tests: ['engine/pytorch-references'],
    find: 'return { lr: lr * g.lrScale,', replace: 'return { lr: lr,' },
  { id: 'group-weight-decay-ignored', file: 'src/core/optim/groups.ts', tests: ['engine/pytorch-references'],
    find: 'weightDecay: g.weightDecay ?? defaultWeightDecay };', replace: 'weightDecay: defaultWeightDecay };' },
  { id: 'gradient-accumulation-not-averaged', file: 'src/core/session.ts', tests: ['engine/pytorch-references'],
    find: 'const scale = 1 / (this.opts.gradientAccumulation ?? 1);', replace: 'const scale = 1;' },

  // Loss heads and data.
  { id: 'mse-loss-scale', file: 'src/core/training-graph.ts', tests: ['engine/pytorch-references'],
    find: "loss = e.op('ReduceMean', [e.mul(diff, diff)], { keepdims: 0 });",
    replace: "loss = e.op('ReduceMean', [e.mul(diff, e.mul(diff, e.scalar(1.005, DT.FLOAT)))], { keepdims: 0 });" },
  { id: 'causal-lm-mask-shifted', file: 'src/core/training-graph.ts', tests: ['engine/extra-fixtures'],
    find: "? e.op('Cast', [e.op('Slice', [maskName, e.i64([1]), e.i64([big]), e.i64([1])])], { to: DT.FLOAT })",
    replace: "? e.op('Cast', [e.op('Slice', [maskName, e.i64([0]), e.i64([-1]), e.i64([1])])], { to: DT.FLOAT })" },
  { id: 'label-ids-shifted', file: 'src/core/data/labels.ts', tests: ['data/csv', 'data/images'],
    find: 'labels.forEach((k, i) => (remap[this.seen.get(k)] = i));', replace: 'labels.forEach((k, i) => (remap[this.seen.get(k)] = (i + 1) % labels.length));' },
  { id: 'shuffle-off-by-one', file: 'src/core/data/random.ts', tests: ['data/split-shuffle'],
    find: 'const j = Math.floor(rand() * (i + 1));', replace: 'const j = Math.floor(rand() * i);' },
  { id: 'resize-without-antialiasing', file: 'src/core/data/resample.ts', tests: ['data/images'],
    find: 'const filterScale = Math.max(scale, 1);', replace: 'const filterScale = 1;' },

  // Checkpoints: the optimizer's scalars (AdamW's step count) dropped from state.json.
  { id: 'checkpoint-optimizer-step-dropped', file: 'src/core/experiment/run.ts', tests: ['engine/pytorch-references'],
    find: 'optimizer: session.optimizerState.stateScalars(), ', replace: '' },
];

function run(cmd, args, cwd, timeoutMs) {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
}

function count(haystack, needle) {
  return haystack.split(needle).length - 1;
}

function scratchCopy() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'finetune-mutants-'));
  for (const entry of ['src', 'test', 'scripts', 'webview-ui']) fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  for (const file of ['tsconfig.json', 'package.json']) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  for (const link of ['node_modules', 'examples']) fs.symlinkSync(path.join(ROOT, link), path.join(dir, link));
  return dir;
}

const filters = process.argv.slice(2);
const selected = MUTANTS.filter((m) => filters.length === 0 || filters.some((f) => m.id.includes(f)));
if (selected.length === 0) {
  console.error(`no mutant id contains ${filters.join(', ')}`);
  process.exit(2);
}

const scratch = scratchCopy();
try {
  console.log(`scratch copy: ${scratch}; compiling...`);
  const tsc = run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], scratch, 600_000);
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);

  const stale = [];
  for (const m of selected) {
    const ts = fs.readFileSync(path.join(scratch, m.file), 'utf8').replace(/(\w|\))!(?=[.,)\]\s;])/g, '$1');
    const js = fs.readFileSync(path.join(scratch, 'out', m.file.replace(/\.ts$/, '.js')), 'utf8');
    if (count(ts, m.find) !== 1 || count(js, m.find) !== 1) stale.push(`${m.id}: ${count(ts, m.find)}× in ${m.file}, ${count(js, m.find)}× in its output`);
  }
  if (stale.length) throw new Error(`mutants whose line does not match the code exactly once:\n  ${stale.join('\n  ')}`);

  const runTests = (tests) => run(process.execPath, ['scripts/run-tests.mjs', ...tests], scratch, 900_000);
  const baseline = runTests([...new Set(selected.flatMap((m) => m.tests))]);
  if (baseline.status !== 0) throw new Error(`the unmutated tests fail:\n${baseline.stdout.slice(-4000)}`);
  console.log('baseline: the selected test files pass unmutated\n');

  const missed = [];
  for (const m of selected) {
    const js = path.join(scratch, 'out', m.file.replace(/\.ts$/, '.js'));
    const original = fs.readFileSync(js, 'utf8');
    fs.writeFileSync(js, original.replace(m.find, m.replace));
    const started = Date.now();
    const r = runTests(m.tests);
    fs.writeFileSync(js, original);
    const failing = (r.stdout.match(/^not ok \d+ - .*$/gm) ?? []).filter((l) => !/ - \/.*\.test\.js$/.test(l));
    const caught = r.status !== 0;
    if (!caught) missed.push(m.id);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`${caught ? 'caught' : 'MISSED'}  ${m.id.padEnd(46)} ${String(seconds).padStart(4)} s  ${m.tests.join(' ')}${caught ? `  (${failing.length} failing tests, e.g. ${failing[0]?.replace(/^not ok \d+ - /, '') ?? r.signal ?? 'exit ' + r.status})` : ''}`);
  }
  console.log(`\n${selected.length - missed.length}/${selected.length} mutants caught${missed.length ? `; missed: ${missed.join(', ')}` : ''}`);
  process.exitCode = missed.length ? 1 : 0;
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
