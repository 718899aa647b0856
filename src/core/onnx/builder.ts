import { create } from '@bufbuild/protobuf';
import {
  GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, OperatorSetIdProtoSchema,
  type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from 'onnx-buf';
import { makeAttributes, type Attrs } from './attributes.js';
import { DT, makeTensor, type TypedArray } from './tensor.js';
import { makeValueInfo } from './value-info.js';

export interface NodeOptions {
  /** Output names, or how many fresh outputs to make (default 1). */
  outputs?: string[] | number;
  /** Node name (default: `/<scope>/<OpType>` with a `_N` suffix when taken, as the TorchScript exporter names them). */
  name?: string;
  domain?: string;
}

/**
 * A small fluent helper for building ONNX models in code (tests, benchmarks). Node and value names follow the
 * TorchScript exporter's convention, `/<module scope>/<OpType>_N` and `<node name>_output_K`, so module paths
 * can be recovered from node names the same way as for exported models.
 *
 *   const b = new GraphBuilder({ opset: 17 });
 *   const x = b.input('x', DT.FLOAT, ['batch', 4]);
 *   const w = b.initializer('fc.weight', [4, 2], new Float32Array(8));
 *   b.output(b.scope('fc', () => b.op('MatMul', [x, w])), 'y', DT.FLOAT, ['batch', 2]);
 *   const model = b.build();
 */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly inits: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly usedNames = new Map<string, number>();
  private readonly scopes: string[] = [];
  private readonly domains = new Map<string, number>();

  constructor(private readonly opts: { opset?: number; graphName?: string; producer?: string } = {}) {
    this.domains.set('', opts.opset ?? 17);
  }

  /** Declares a graph input; string dims are symbolic. Returns its name. */
  input(name: string, elemType: number, dims: (number | string)[]): string {
    this.inputs.push(makeValueInfo(name, elemType, dims));
    return name;
  }

  /** Marks `value` as a graph output named `name` (an Identity is added when the names differ). */
  output(value: string, name: string, elemType: number, dims: (number | string)[]): string {
    if (value !== name) this.node('Identity', [value], {}, { outputs: [name], name: `${name}/output` });
    this.outputs.push(makeValueInfo(name, elemType, dims));
    return name;
  }

  /** Adds an initializer (a parameter when float and rank ≥ 1). Returns its name. */
  initializer(name: string, dims: number[], values: TypedArray, dataType?: number): string {
    this.inits.push(makeTensor(name, dims, values, dataType));
    return name;
  }

  /** A Constant node, as the exporter emits for literal scalars, axes and shapes. */
  constant(values: TypedArray, dims: number[] = [values.length]): string {
    return this.op('Constant', [], { value: makeTensor('', dims, values) });
  }

  /** An int64 Constant (1-D unless `dims` says otherwise). */
  i64(values: number[], dims: number[] = [values.length]): string {
    return this.constant(BigInt64Array.from(values.map(BigInt)), dims);
  }

  /** A float32 scalar Constant. */
  f32(value: number): string {
    return this.constant(Float32Array.of(value), []);
  }

  /** Runs `fn` with node names prefixed by the full module path `path` (`bert.encoder.layer.0`); scopes do not nest. */
  scope<T>(path: string, fn: () => T): T {
    this.scopes.push(path);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /** Emits a node and returns its outputs' names. */
  node(opType: string, inputs: string[], attrs: Attrs = {}, o: NodeOptions = {}): string[] {
    const name = o.name ?? this.freshNodeName(opType);
    const outputs = typeof o.outputs === 'object' ? o.outputs
      : Array.from({ length: o.outputs ?? 1 }, (_, i) => `${name}_output_${i}`);
    const domain = o.domain ?? '';
    if (!this.domains.has(domain)) this.domains.set(domain, 1);
    this.nodes.push(create(NodeProtoSchema, { opType, domain, name, input: inputs, output: outputs, attribute: makeAttributes(attrs) }));
    return outputs;
  }

  /** Emits a single-output node and returns the output's name. */
  op(opType: string, inputs: string[], attrs: Attrs = {}, o: Omit<NodeOptions, 'outputs'> = {}): string {
    return this.node(opType, inputs, attrs, o)[0];
  }

  /** Imports an extra operator-set domain (e.g. `com.microsoft`, 1). */
  useDomain(domain: string, version: number): this {
    this.domains.set(domain, version);
    return this;
  }

  build(): ModelProto {
    return create(ModelProtoSchema, {
      irVersion: 8n,
      producerName: this.opts.producer ?? 'onnx-finetune builder',
      opsetImport: [...this.domains].map(([domain, version]) => create(OperatorSetIdProtoSchema, { domain, version: BigInt(version) })),
      graph: create(GraphProtoSchema, {
        name: this.opts.graphName ?? 'main_graph',
        node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs,
      }),
    });
  }

  private freshNodeName(opType: string): string {
    // The innermost scope is a full module path; the exporter writes `a.layer.0.b` as `/a/layer.0/b/`.
    const parts: string[] = [];
    for (const part of (this.scopes[this.scopes.length - 1] ?? '').split('.').filter(Boolean)) {
      if (/^\d+$/.test(part) && parts.length) parts[parts.length - 1] += `.${part}`;
      else parts.push(part);
    }
    const base = `/${parts.map((p) => p + '/').join('')}${opType}`;
    const n = this.usedNames.get(base) ?? 0;
    this.usedNames.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  }
}

export { DT };

/** Seeded PRNG (mulberry32) with normal samples, for reproducible random initialization. */
export class Rng {
  private state: number;
  private spare: number | undefined;
  constructor(seed: number) { this.state = seed >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.next(), v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** `n` floats drawn from N(0, std²). */
  normals(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal() * std;
    return out;
  }

  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
}
