/**
 * Finite-difference gradient checker for the autodiff rules.
 *
 * A case is a tiny ONNX graph (usually one op). The checker appends loss = Σ_k ReduceSum(Cast(out_k, double) · W_k)
 * with fixed random W_k (so every output element matters), derives the backward graph with buildBackward and
 * compares its gradients with central differences of the loss, computed by re-running the forward model.
 * Cases run in float64 unless they say `dtype: 'float'` (onnxruntime's CPU provider has no double kernel for the op
 * or for an op its gradient emits); the loss itself is always accumulated in double. A float32 case of an op with a
 * float64 forward in reference-ops.ts (every float-only kernel) is checked against central differences of that
 * forward in double, at rtol 1e-5, after the reference is shown to agree with onnxruntime's float32 outputs. The rules see the shapes of a
 * probe run, which a case may make differ from the checked run (`probe`) to exercise dynamic dims.
 */
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/core/data/random.js';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from 'onnx-buf';
import ort from 'onnxruntime-node';
import { buildBackward, withSavedOutputs, type BackwardResult } from '../../src/core/autodiff/backward.js';
import { MS_DOMAIN } from '../../src/core/autodiff/emitter.js';
import { makeAttributes, type Attrs } from '../../src/core/onnx/attributes.js';
import { serializeModel } from '../../src/core/onnx/model.js';
import { DT, makeTensor } from '../../src/core/onnx/tensor.js';
import { makeValueInfo } from '../../src/core/onnx/value-info.js';
import { probeShapes, type Feeds } from '../../src/core/training-graph.js';
import { REFERENCE_OPS, type Tensor64 } from './reference-ops.js';

export type Dtype = 'double' | 'float';
type Rng = () => number;

/** A float input: `wrt` ones are graph inputs whose gradient is checked, `frozen` ones initializers, `data` ones inputs. */
export interface FloatSpec { kind: 'float'; shape: number[]; gen: (r: Rng, n: number) => number[]; role: 'wrt' | 'frozen' | 'data' }
/** An int64 (int32, bool) initializer: indices, axes, shapes, split sizes, conditions. */
export interface IntSpec { kind: 'int'; shape: number[]; values: number[]; type: 'int64' | 'int32' | 'bool' }
/** `null` leaves an optional input out. */
export type Spec = FloatSpec | IntSpec | null;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const float = (shape: number[], gen: FloatSpec['gen']): FloatSpec => ({ kind: 'float', shape, gen, role: 'wrt' });
const each = (f: (r: Rng) => number) => (r: Rng, n: number) => Array.from({ length: n }, () => f(r));

/** Uniform in [-1, 1]. */
export const rand = (...shape: number[]) => float(shape, each((r) => 2 * r() - 1));
/** Uniform in [0.5, 1.5]. */
export const pos = (...shape: number[]) => float(shape, each((r) => 0.5 + r()));
/** |x| in [0.2, 1]: away from the kinks at 0 (Relu, LeakyRelu, Sign...). */
export const away = (...shape: number[]) => float(shape, each((r) => (r() < 0.5 ? -1 : 1) * (0.2 + 0.8 * r())));
/** Values in [-1, 1] at least 1/n apart (no ties for Max/MaxPool). */
export const distinct = (...shape: number[]) => float(shape, (r, n) => {
  const slots = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  return slots.map((s) => -1 + (2 * (s + 0.25 + 0.5 * r())) / n);
});
export const vals = (shape: number[], values: number[]) => float(shape, () => values);
/** `gen` values scaled and shifted: a·x + b. */
export const affine = (spec: FloatSpec, a: number, b: number): FloatSpec => ({ ...spec, gen: (r, n) => spec.gen(r, n).map((v) => a * v + b) });
export const frozen = (spec: FloatSpec): FloatSpec => ({ ...spec, role: 'frozen' });
export const data = (spec: FloatSpec): FloatSpec => ({ ...spec, role: 'data' });
export const ints = (values: number[], shape = [values.length]): IntSpec => ({ kind: 'int', shape, values, type: 'int64' });
export const ints32 = (values: number[], shape = [values.length]): IntSpec => ({ kind: 'int', shape, values, type: 'int32' });
export const bools = (values: number[], shape = [values.length]): IntSpec => ({ kind: 'int', shape, values, type: 'bool' });

export const INT64_MAX = 2 ** 63; // becomes 2^63 - 1 as int64
const toBig = (v: number) => (v >= 2 ** 63 ? 2n ** 63n - 1n : v <= -(2 ** 63) ? -(2n ** 63n) : BigInt(v));

export function node(opType: string, input: string[], output: string[], attrs: Attrs = {}): NodeProto {
  return create(NodeProtoSchema, { opType, name: `${opType}_${output[0]}`, input, output, attribute: makeAttributes(attrs) });
}

const rng = (seed: number): Rng => mulberry32(seed);

export interface GraphCase {
  nodes: NodeProto[];
  /** Graph values read by the nodes. */
  inputs: Record<string, Spec>;
  /** Node outputs the loss reads. */
  outputs: string[];
  opset?: number;
  dtype?: Dtype;
  /** Other shapes for some inputs, for the probe run whose shapes the rules see (dynamic dims: batch, length...). */
  probe?: Record<string, number[]>;
  /** Tolerances and step of this precision (default: dtype's), e.g. 'float' for a double graph that rounds to float. */
  precision?: Dtype;
  seed?: number;
  /**
   * A float64 forward of the graph's outputs (same order as `outputs`), for float-only kernels: the central
   * differences are then taken of this forward in double (TOL.reference) instead of the float32 graph.
   */
  reference?: (x: Record<string, Tensor64>) => Tensor64[];
  /** Checks on the backward graph itself (e.g. which rule or pattern emitted its nodes: their docString). */
  inspect?: (backward: BackwardResult) => void;
}

export interface OpCase {
  name: string;
  op: string;
  /** Inputs in order; they are named in0, in1, ... */
  inputs: Spec[];
  attrs?: Attrs;
  opset?: number;
  dtype?: Dtype;
  precision?: Dtype;
  /** Probe shapes by input index (see GraphCase.probe). */
  probe?: Record<number, number[]>;
  /** Number of outputs of the node (default 1) and which of them the loss reads (default: output 0). */
  outputs?: number;
  use?: number[];
}

const TOL = {
  double: { eps: 1e-6, atol: 1e-6, rtol: 1e-5 },
  // float32 forward runs: central differences with eps 1e-2 (rounding noise ~1e-7/eps), looser tolerance.
  float: { eps: 1e-2, atol: 2e-3, rtol: 1e-2 },
  // float32 analytic gradients against differences of a float64 reference forward: float32 rounding of the rule only.
  reference: { eps: 1e-6, atol: 1e-6, rtol: 1e-5 },
};

const SESSION: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1 };

/** Runs `f`, explaining a missing float64 kernel. */
async function explained<T>(f: () => Promise<T>, dtype: Dtype, what: string): Promise<T> {
  try {
    return await f();
  } catch (err) {
    const msg = (err as Error).message;
    if (dtype === 'double' && msg.includes('Could not find an implementation')) {
      throw new Error(`${what}: onnxruntime's CPU provider has no float64 kernel here; run this case with dtype 'float'.\n${msg}`);
    }
    throw err;
  }
}

const session = (model: ModelProto, dtype: Dtype, what: string) =>
  explained(() => ort.InferenceSession.create(serializeModel(model), SESSION), dtype, what);

function modelOf(nodes: NodeProto[], inputs: ValueInfoProto[], initializer: TensorProto[], outputs: string[], opset: number) {
  return create(ModelProtoSchema, {
    irVersion: 9n,
    opsetImport: [{ domain: '', version: BigInt(opset) }, { domain: MS_DOMAIN, version: 1n }],
    graph: create(GraphProtoSchema, {
      name: 'gradcheck', node: nodes, input: [...inputs], initializer, output: outputs.map((o) => makeValueInfo(o, DT.DOUBLE, [])),
    }),
  });
}

/** Checks the gradients of every `wrt` input of a graph against central differences. */
export async function gradcheck(c: GraphCase): Promise<void> {
  const dtype = c.dtype ?? 'double', opset = c.opset ?? 17, tol = c.reference ? TOL.reference : TOL[c.precision ?? dtype];
  const dt = dtype === 'double' ? DT.DOUBLE : DT.FLOAT;
  const r = rng(c.seed ?? 1234);
  const typed = (v: number[]) => (dtype === 'double' ? Float64Array.from(v) : Float32Array.from(v));
  const ortType = dtype === 'double' ? 'float64' : 'float32';

  const initializers: TensorProto[] = [];
  const graphInputs: ValueInfoProto[] = [];
  const floats: [string, FloatSpec][] = [];
  const wrt: string[] = [];
  const frozenValues: Record<string, Tensor64> = {};
  for (const [name, spec] of Object.entries(c.inputs)) {
    if (!spec) continue;
    if (spec.kind === 'int') {
      initializers.push(
        spec.type === 'bool' ? makeTensor(name, spec.shape, Uint8Array.from(spec.values), DT.BOOL)
        : spec.type === 'int32' ? makeTensor(name, spec.shape, Int32Array.from(spec.values))
        : makeTensor(name, spec.shape, BigInt64Array.from(spec.values.map(toBig))));
    } else if (spec.role === 'frozen') {
      const values = typed(spec.gen(r, size(spec.shape)));
      frozenValues[name] = { data: Float64Array.from(values), shape: spec.shape };
      initializers.push(makeTensor(name, spec.shape, values, dt));
    } else {
      floats.push([name, spec]);
      if (spec.role === 'wrt') wrt.push(name);
    }
  }
  // Inputs have symbolic dims, so the shape probe may run with other shapes than the check (c.probe).
  const symbolic = (name: string, rank: number) => Array.from({ length: rank }, (_, i) => `${name}_d${i}`);
  graphInputs.push(...floats.map(([name, spec]) => makeValueInfo(name, dt, symbolic(name, spec.shape.length))));
  const feedsFor = (shapes: Record<string, number[]>, rr: Rng): Feeds => Object.fromEntries(floats.map(([name, spec]) => {
    const shape = shapes[name] ?? spec.shape;
    const values = typed(spec.gen(rr, size(shape)));
    assert.equal(values.length, size(shape), `input ${name}: ${values.length} values for shape [${shape}]`);
    return [name, new ort.Tensor(ortType, values, shape)];
  }));
  const feeds = feedsFor({}, r);
  const probeFeeds = c.probe ? feedsFor(c.probe, rng(7)) : feeds;

  // loss = Σ_k ReduceSum(Cast(out_k, double) · W_k): W_k is a data input of random values shaped like out_k.
  const bare = modelOf(c.nodes, graphInputs, initializers, [], opset);
  const addWeights = async (f: Feeds, rr: Rng) => {
    const outInfo = await explained(() => probeShapes(bare.graph!, bare, f), dtype, 'forward');
    c.outputs.forEach((o, k) => {
      const shape = outInfo.get(o)?.shape;
      if (!shape) throw new Error(`no output '${o}'`);
      f[`W${k}`] = new ort.Tensor('float64', Float64Array.from(each((v) => 2 * v() - 1)(rr, size(shape))), shape);
    });
  };
  await addWeights(feeds, r);
  if (probeFeeds !== feeds) await addWeights(probeFeeds, rng(8));
  const lossNodes = c.outputs.flatMap((o, k) => {
    graphInputs.push(makeValueInfo(`W${k}`, DT.DOUBLE, symbolic(`W${k}`, feeds[`W${k}`].dims.length)));
    return [
      node('Cast', [o], [`loss_cast${k}`], { to: DT.DOUBLE }),
      node('Mul', [`loss_cast${k}`, `W${k}`], [`loss_mul${k}`]),
      node('ReduceSum', [`loss_mul${k}`], [`loss_term${k}`], { keepdims: 0 }),
    ];
  });
  lossNodes.push(node('Sum', c.outputs.map((_, k) => `loss_term${k}`), ['loss']));
  const forward = modelOf([...c.nodes, ...lossNodes], graphInputs, initializers, ['loss'], opset);

  // Analytic gradients.
  const info = await explained(() => probeShapes(forward.graph!, forward, probeFeeds), dtype, 'forward');
  const back = buildBackward(forward.graph!, { loss: 'loss', wrt, info, opset });
  c.inspect?.(back);
  const gradNames = wrt.filter((w) => back.grads.has(w));
  const train = modelOf(
    [...withSavedOutputs(forward.graph!.node, back.savedOutputs), ...back.nodes, ...gradNames.map((w) => node('Identity', [back.grads.get(w)!], [`grad_${w}`]))],
    graphInputs, [...initializers, ...back.initializers], ['loss'], opset);
  train.graph!.output.push(...gradNames.map((w) => makeValueInfo(`grad_${w}`, dt, symbolic(w, info.get(w)!.shape.length))));
  const trainSession = await session(train, dtype, 'backward');
  const analytic = new Map<string, Float64Array>();
  try {
    const out = await trainSession.run(feeds);
    for (const w of gradNames) {
      const t = out[`grad_${w}`];
      assert.deepEqual([...t.dims], [...feeds[w].dims], `gradient of ${w} has shape [${t.dims}], expected [${feeds[w].dims}]`);
      analytic.set(w, Float64Array.from(t.data as Float64Array));
    }
  } finally {
    await trainSession.release();
  }

  if (c.reference) return checkAgainstReference(c, analytic, wrt, feeds, frozenValues, forward, dt, opset);

  // Central differences.
  const fwd = await session(forward, dtype, 'forward');
  try {
    const lossAt = async () => ((await fwd.run(feeds)).loss.data as Float64Array)[0];
    for (const w of wrt) {
      const x = feeds[w].data as Float64Array | Float32Array;
      const a = analytic.get(w) ?? new Float64Array(x.length);
      const failures: string[] = [];
      for (let i = 0; i < x.length; i++) {
        const x0 = x[i];
        x[i] = x0 + tol.eps;
        const hi = x[i], lossHi = await lossAt();
        x[i] = x0 - tol.eps;
        const lo = x[i], lossLo = await lossAt();
        x[i] = x0;
        const numeric = (lossHi - lossLo) / (hi - lo);
        if (!(Math.abs(a[i] - numeric) <= tol.atol + tol.rtol * Math.abs(numeric))) {
          failures.push(`  ${w}[${i}]: analytic ${a[i]}, numeric ${numeric}`);
        }
      }
      assertNoFailures(w, analytic.has(w), failures, x.length);
    }
  } finally {
    await fwd.release();
  }
}

function assertNoFailures(w: string, built: boolean, failures: string[], n: number) {
  assert.ok(failures.length === 0,
    `gradient of ${w}${built ? '' : ' (none built: taken as 0)'} differs at ${failures.length}/${n} elements:\n${failures.slice(0, 8).join('\n')}`);
}

/**
 * The float64-reference check: the reference forward must agree with onnxruntime's float32 outputs (so it is the
 * same op), then each analytic gradient must match central differences of Σ_k reference_k · W_k taken in double.
 */
async function checkAgainstReference(
  c: GraphCase, analytic: Map<string, Float64Array>, wrt: string[], feeds: Feeds, frozenValues: Record<string, Tensor64>,
  forward: ModelProto, dt: number, opset: number,
): Promise<void> {
  const tol = TOL.reference;
  const x: Record<string, Tensor64> = { ...frozenValues };
  for (const [name, t] of Object.entries(feeds)) {
    if (!name.startsWith('W')) x[name] = { data: Float64Array.from(t.data as Float32Array), shape: [...t.dims] };
  }
  const weights = c.outputs.map((_, k) => feeds[`W${k}`].data as Float64Array);

  const outputsModel = modelOf(c.nodes, forward.graph!.input.filter((i) => !i.name.startsWith('W')), forward.graph!.initializer, [], opset);
  outputsModel.graph!.output.push(...c.outputs.map((o) => makeValueInfo(o, dt, [])));
  const outs = await session(outputsModel, 'float', 'forward');
  try {
    const got = await outs.run(Object.fromEntries(Object.entries(feeds).filter(([n]) => !n.startsWith('W'))));
    c.reference!(x).forEach((ref, k) => {
      const t = got[c.outputs[k]];
      assert.deepEqual([...t.dims], ref.shape, `reference output ${k} shape`);
      (t.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - ref.data[i]) <= 1e-6 + 1e-6 * Math.abs(ref.data[i]),
        `reference forward disagrees with onnxruntime at output ${k}[${i}]: ${ref.data[i]} vs ${v}`));
    });
  } finally {
    await outs.release();
  }

  const lossAt = () => c.reference!(x).reduce((s, ref, k) => s + ref.data.reduce((t, v, i) => t + v * weights[k][i], 0), 0);
  for (const w of wrt) {
    const v = x[w].data;
    const a = analytic.get(w) ?? new Float64Array(v.length);
    const failures: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const v0 = v[i];
      v[i] = v0 + tol.eps;
      const lossHi = lossAt();
      v[i] = v0 - tol.eps;
      const lossLo = lossAt();
      v[i] = v0;
      const numeric = (lossHi - lossLo) / (2 * tol.eps);
      if (!(Math.abs(a[i] - numeric) <= tol.atol + tol.rtol * Math.abs(numeric))) failures.push(`  ${w}[${i}]: analytic ${a[i]}, float64 reference ${numeric}`);
    }
    assertNoFailures(w, analytic.has(w), failures, v.length);
  }
}

/** Checks one node whose inputs are in0, in1, ... */
export function checkOp(c: OpCase): Promise<void> {
  const inputs: Record<string, Spec> = {};
  const names = c.inputs.map((spec, i) => {
    if (!spec) return '';
    inputs[`in${i}`] = spec;
    return `in${i}`;
  });
  while (names.length && !names[names.length - 1]) names.pop(); // trailing optional inputs are left out
  const outs = Array.from({ length: c.outputs ?? 1 }, (_, i) => `out${i}`);
  const ref = c.dtype === 'float' ? REFERENCE_OPS[c.op] : undefined;
  return gradcheck({
    reference: ref && ((x) => [ref(names.map((n) => (n ? x[n] : null)), c.attrs ?? {})]),
    nodes: [node(c.op, names, outs, c.attrs)], inputs, outputs: (c.use ?? [0]).map((i) => outs[i]),
    opset: c.opset, dtype: c.dtype, precision: c.precision,
    probe: c.probe && Object.fromEntries(Object.entries(c.probe).map(([i, shape]) => [`in${i}`, shape])),
  });
}

/** Registers one node:test test per case. */
export function testOps(cases: OpCase[]): void {
  for (const c of cases) {
    const notes = [c.opset && `opset ${c.opset}`, c.dtype === 'float' && (REFERENCE_OPS[c.op] ? 'float32 vs float64 reference' : 'float32'), c.probe && 'probed with other shapes'].filter(Boolean);
    test(`${c.op} ${c.name}${notes.length ? ` (${notes.join(', ')})` : ''}`, () => checkOp(c));
  }
}
