import type { GraphProto, NodeProto } from 'onnx-buf';

/** The subgraphs of a node (If's branches, Loop's and Scan's bodies, any graph attribute). */
/** The node that computes each value (of this graph's nodes, not their subgraphs'). */
export function producersOf(nodes: NodeProto[]): Map<string, NodeProto> {
  const producers = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output) producers.set(o, n);
  return producers;
}

export function subgraphsOf(node: NodeProto): GraphProto[] {
  const out: GraphProto[] = [];
  for (const a of node.attribute) {
    if (a.g) out.push(a.g);
    out.push(...a.graphs);
  }
  return out;
}

/** Every node of `graph` and, depth first, of its subgraphs, with the control-flow nodes that contain it. */
export function* walkNodes(graph: GraphProto, parents: NodeProto[] = []): Generator<{ node: NodeProto; parents: NodeProto[] }> {
  for (const node of graph.node) {
    yield { node, parents };
    for (const g of subgraphsOf(node)) yield* walkNodes(g, [...parents, node]);
  }
}

/**
 * Values a node's subgraphs read from the enclosing scopes (ONNX lets a branch or body use any outer value by name):
 * for dependency tracking they are inputs of the node as much as its declared ones.
 */
export function outerReferences(node: NodeProto): string[] {
  const refs = new Set<string>();
  const visit = (g: GraphProto, outerDefined: Set<string>) => {
    const defined = new Set(outerDefined);
    for (const i of g.input) defined.add(i.name);
    for (const t of g.initializer) defined.add(t.name);
    for (const n of g.node) {
      for (const i of n.input) if (i && !defined.has(i)) refs.add(i);
      for (const sub of subgraphsOf(n)) visit(sub, defined);
      for (const o of n.output) defined.add(o);
    }
    for (const o of g.output) if (!defined.has(o.name)) refs.add(o.name);
  };
  for (const g of subgraphsOf(node)) visit(g, new Set());
  return [...refs];
}

/** Declared inputs and outer references of a node: everything its outputs can depend on. */
export function allInputs(node: NodeProto): string[] {
  const subs = subgraphsOf(node);
  return subs.length ? [...node.input, ...outerReferences(node)] : node.input;
}
