import type { GraphProto, ModelProto } from 'onnx-buf';
import { isFloatType, numel } from './onnx/tensor.js';

export interface ParamInfo {
  /** Initializer name in the ONNX graph. */
  name: string;
  /** PyTorch-style dotted name (`layers.0.qkv.weight`), recovered from node names for renamed weights. */
  path: string;
  /** Module path: `path` without its leaf (`layers.0.qkv`). */
  module: string;
  dims: number[];
  size: number;
}

export interface ModuleNode {
  name: string;      // last path component
  path: string;      // dotted path from the root ('' for the root)
  params: ParamInfo[];
  children: ModuleNode[];
  paramCount: number;
}

/** Exporters name some weights after an op (`onnx::MatMul_196`); those need a path from their consumer nodes. */
export function isOpaqueName(name: string): boolean {
  return name.includes('::') || name.startsWith('/') || /^(val|arg|_val)_?\d+$/.test(name);
}

/** `/layers.0/qkv/MatMul` → `layers.0.qkv` (the module scope the exporter wrote into the node name). */
function scopeOfNode(nodeName: string): string | undefined {
  if (!nodeName.startsWith('/')) return undefined;
  const parts = nodeName.slice(1).split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  return parts.slice(0, -1).join('.');
}

/** The scope part of a node name: `/layers.0/qkv/MatMul` → `/layers.0/qkv`. */
function nodeScope(nodeName: string): string | undefined {
  const slash = nodeName.lastIndexOf('/');
  return slash > 0 ? nodeName.slice(0, slash) : undefined;
}

/** Trainable candidates: float initializers of rank ≥ 1 (scalars are exporter constants, not parameters). */
export function parameterInfos(graph: GraphProto): ParamInfo[] {
  const consumers = new Map<string, { op: string; node: string; slot: number }[]>();
  for (const n of graph.node) {
    n.input.forEach((i, slot) => consumers.set(i, [...(consumers.get(i) ?? []), { op: n.opType, node: n.name, slot }]));
  }
  // Named parameters tell which module a node scope belongs to: `/qkv_1/Add` reads `layers.1.qkv.bias`, so the
  // renamed weight read by `/qkv_1/MatMul` is `layers.1.qkv.weight` (scopes alone can lose the parent modules).
  const scopeModule = new Map<string, string>();
  for (const t of graph.initializer) {
    if (isOpaqueName(t.name) || !t.name.includes('.')) continue;
    for (const u of consumers.get(t.name) ?? []) {
      const scope = nodeScope(u.node);
      if (scope && !scopeModule.has(scope)) scopeModule.set(scope, t.name.slice(0, t.name.lastIndexOf('.')));
    }
  }
  const params: ParamInfo[] = [];
  for (const t of graph.initializer) {
    if (!isFloatType(t.dataType) || t.dims.length === 0) continue;
    const dims = t.dims.map(Number);
    let path = t.name;
    if (isOpaqueName(t.name)) {
      const users = consumers.get(t.name) ?? [];
      const scopes = users.map((u) => nodeScope(u.node)).filter((x): x is string => !!x);
      const module = scopes.map((x) => scopeModule.get(x)).find((m) => m !== undefined) ?? (scopes[0] ? scopeOfNode(`${scopes[0]}/op`) : undefined);
      if (module) {
        const isWeight = users.some((u) => ['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Gather'].includes(u.op) && (u.slot === 1 || u.op === 'Gather'));
        path = `${module}.${isWeight || dims.length > 1 ? 'weight' : 'bias'}`;
      }
    }
    const dot = path.lastIndexOf('.');
    params.push({ name: t.name, path, module: dot > 0 ? path.slice(0, dot) : '', dims, size: numel(dims) });
  }
  return params;
}

/** Builds the module tree (for the freeze toggles and `finetune inspect`) from parameter paths. */
export function moduleTree(params: ParamInfo[]): ModuleNode {
  const root: ModuleNode = { name: '', path: '', params: [], children: [], paramCount: 0 };
  for (const p of params) {
    let node = root;
    node.paramCount += p.size;
    for (const part of p.module ? p.module.split('.') : []) {
      const path = node.path ? `${node.path}.${part}` : part;
      let child = node.children.find((c) => c.name === part);
      if (!child) node.children.push((child = { name: part, path, params: [], children: [], paramCount: 0 }));
      child.paramCount += p.size;
      node = child;
    }
    node.params.push(p);
  }
  return root;
}

/** Shell-style glob (`*` any run of characters, `?` one) → anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** A glob freezes a parameter when it matches its ONNX name, its path or its module path (or a parent module). */
export function matchesAny(p: ParamInfo, globs: string[]): boolean {
  const res = globs.map(globToRegExp);
  const names = [p.name, p.path, p.module];
  return res.some((re) => names.some((n) => re.test(n)));
}

export function modelParameters(model: ModelProto): ParamInfo[] {
  return parameterInfos(model.graph!);
}

/** Every parameter of a module tree, in tree order. */
export function treeParams(node: ModuleNode): ParamInfo[] {
  return [...node.params, ...node.children.flatMap(treeParams)];
}
