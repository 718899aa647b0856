// Freezing presets on a model's module tree, the fastai way: train the head only, or the last N blocks plus the
// head, or everything. The "head" is the last top-level module (below any single wrapper such as `bert`); the
// "blocks" are the children of the module with the most numbered children outside the head (`encoder.layer.0…11`).
import { matchesAny, type ModuleNode, type ParamInfo } from './module-tree.js';

export type FreezePreset = { kind: 'head' } | { kind: 'lastBlocks'; n: number } | { kind: 'all' } | { kind: 'none' };

export interface ModelLayout {
  /** Module paths of the head (trained by every preset but "none"). */
  head: string[];
  /** Repeated blocks in model order. */
  blocks: string[];
  /** Modules before the blocks (embeddings, stems) and between the blocks and the head (poolers, necks). */
  before: string[];
  after: string[];
}

const numbered = (n: ModuleNode) => n.children.filter((c) => /^\d+$/.test(c.name)).length;

function walk(node: ModuleNode, visit: (n: ModuleNode) => void): void {
  visit(node);
  for (const c of node.children) walk(c, visit);
}

export function modelLayout(root: ModuleNode): ModelLayout {
  let top = root;
  while (top.children.length === 1 && top.params.length === 0) top = top.children[0];
  if (top.children.length === 0) return { head: top.path ? [top.path] : [], blocks: [], before: [], after: [] };
  const head = top.children.at(-1)!;
  let container: ModuleNode | undefined;
  for (const c of top.children.slice(0, -1)) {
    walk(c, (n) => {
      if (numbered(n) >= 2 && (!container || numbered(n) > numbered(container))) container = n;
    });
  }
  const blocks = container ? container.children.filter((c) => /^\d+$/.test(c.name)).map((c) => c.path) : [];
  const before: string[] = [], after: string[] = [];
  let body = before;
  const collect = (n: ModuleNode) => {
    if (n === head) return;
    if (n === container) {
      body.push(...n.children.filter((c) => !/^\d+$/.test(c.name)).map((c) => c.path));
      body = after;
      return;
    }
    if (!container || !isAncestor(n.path, container.path)) {
      if (n.path) body.push(n.path);
      return;
    }
    body.push(...n.params.map((p) => p.name));
    n.children.forEach(collect);
  };
  top.children.forEach(collect);
  before.push(...top.params.map((p) => p.name));
  return { head: [head.path], blocks, before, after };
}

function isAncestor(a: string, b: string): boolean {
  return a === '' || b === a || b.startsWith(`${a}.`);
}

/** Module paths become `path.*` globs; parameter names stay exact. */
function globOf(p: string, root: ModuleNode): string {
  let isParam = false;
  walk(root, (n) => {
    if (n.params.some((x) => x.name === p)) isParam = true;
  });
  return isParam ? p : `${p}.*`;
}

/** The `freeze` globs of a preset (what the experiment file stores). */
export function presetFreeze(root: ModuleNode, preset: FreezePreset): string[] {
  const layout = modelLayout(root);
  switch (preset.kind) {
    case 'none': return [];
    case 'all': return ['*'];
    case 'head': return [...layout.before, ...layout.blocks, ...layout.after].map((p) => globOf(p, root));
    case 'lastBlocks': {
      const frozenBlocks = layout.blocks.slice(0, Math.max(0, layout.blocks.length - preset.n));
      return [...layout.before, ...frozenBlocks].map((p) => globOf(p, root));
    }
  }
}

/** Parameters a set of freeze globs leaves trainable, counted. */
export function trainableCount(params: ParamInfo[], freeze: string[]): number {
  return params.filter((p) => !matchesAny(p, freeze)).reduce((n, p) => n + p.size, 0);
}
