// Freezing as the panel and the palette flow edit it: which parameters the experiment's globs freeze, the globs
// after a toggle or a preset (keeping the user's own globs wherever they still hold), the repeated blocks that
// "last N blocks" counts, and the head. Pure: the callers read and write the experiment file around it.
import { matchesAny, moduleTree, type ModuleNode, type ParamInfo } from './module-tree.js';

export type FreezePreset = 'head' | 'lastBlocks' | 'all' | 'none';

export function frozenSet(params: ParamInfo[], globs: string[]): Set<string> {
  return new Set(params.filter((p) => matchesAny(p, globs)).map((p) => p.name));
}

/** Parameters inside a module (`''` = all), by module path prefix. */
export function paramsUnder(params: ParamInfo[], modulePath: string): ParamInfo[] {
  return modulePath === '' ? params : params.filter((p) => p.module === modulePath || p.module.startsWith(modulePath + '.'));
}

/**
 * Globs that freeze exactly `frozen`: each old glob that freezes nothing outside `frozen` stays as written; what is
 * left is covered by the fewest module globs (`encoder.layer.3.*`, or `*` for everything), then single paths.
 */
export function globsFor(params: ParamInfo[], oldGlobs: string[], frozen: Set<string>): string[] {
  const kept = oldGlobs.filter((g) => params.every((p) => frozen.has(p.name) || !matchesAny(p, [g])));
  const covered = frozenSet(params, kept);
  const out = [...kept];
  const visit = (node: ModuleNode) => {
    const inside = paramsUnder(params, node.path);
    if (inside.every((p) => frozen.has(p.name))) {
      if (inside.some((p) => !covered.has(p.name))) out.push(node.path === '' ? '*' : `${node.path}.*`);
      return;
    }
    for (const p of node.params) if (frozen.has(p.name) && !covered.has(p.name)) out.push(p.path);
    node.children.forEach(visit);
  };
  visit(moduleTree(params));
  // A kept glob that the new module globs cover (e.g. everything frozen now: `*`) is dropped.
  const added = frozenSet(params, out.slice(kept.length));
  const subsumed = (g: string) => params.some((p) => matchesAny(p, [g])) && params.every((p) => added.has(p.name) || !matchesAny(p, [g]));
  return [...kept.filter((g) => !subsumed(g)), ...out.slice(kept.length)];
}

const HEAD_NAMES = /(^|\.)(classifier|head|heads|lm_head|fc|score|logits|output|out_proj|cls|pre_classifier)$/i;

const numbered = (n: ModuleNode) => n.children.length >= 2 && n.children.every((c) => /^\d+$/.test(c.name));

/** The repeated blocks, bottom first: children of the numbered container holding the most parameters (outside
 * the head, whose own numbered layers are not the body's blocks). */
export function findBlocks(params: ParamInfo[]): string[] {
  let best: ModuleNode | undefined;
  const visit = (n: ModuleNode) => {
    if (HEAD_NAMES.test(n.name)) return;
    if (numbered(n) && (!best || n.paramCount > best.paramCount)) best = n;
    n.children.forEach(visit);
  };
  visit(moduleTree(params));
  if (!best) return [];
  return [...best.children].sort((a, b) => Number(a.name) - Number(b.name)).map((c) => c.path);
}

/**
 * The head: top-level modules named like one (classifier, fc, lm_head…), else the last top-level module in graph
 * order (exporters write the head last), unless that is the whole model.
 */
export function findHead(params: ParamInfo[]): string[] {
  const tree = moduleTree(params);
  const named: string[] = [];
  const visit = (n: ModuleNode, depth: number) => {
    for (const c of n.children) {
      if (HEAD_NAMES.test(c.name)) named.push(c.path);
      else if (depth < 1 && !numbered(c)) visit(c, depth + 1);
    }
  };
  visit(tree, 0);
  if (named.length) return named;
  if (tree.children.length >= 2) return [tree.children.at(-1)!.path];
  // A model with a single top-level module: its last child, if that module splits at all.
  const only = tree.children[0];
  return only && only.children.length >= 2 ? [only.children.at(-1)!.path] : [];
}

/** The frozen set a preset gives. `lastBlocks` keeps the head and the last `blocks` blocks trainable. */
export function presetFrozen(params: ParamInfo[], preset: FreezePreset, blocks = 1): Set<string> {
  if (preset === 'all') return new Set();
  if (preset === 'none') return new Set(params.map((p) => p.name));
  const trainable = new Set(findHead(params).flatMap((m) => paramsUnder(params, m)).map((p) => p.name));
  if (preset === 'lastBlocks') {
    const last = blocks > 0 ? findBlocks(params).slice(-blocks) : [];
    for (const b of last) paramsUnder(params, b).forEach((p) => trainable.add(p.name));
  }
  return new Set(params.filter((p) => !trainable.has(p.name)).map((p) => p.name));
}

export function toggled(params: ParamInfo[], frozen: Set<string>, kind: 'module' | 'param', path: string, freeze: boolean): Set<string> {
  const next = new Set(frozen);
  const hit = kind === 'param' ? params.filter((p) => p.name === path) : paramsUnder(params, path);
  if (hit.length === 0) throw new Error(`no ${kind === 'param' ? 'parameter' : 'module'} named '${path}' in the model`);
  for (const p of hit) (freeze ? next.add(p.name) : next.delete(p.name));
  return next;
}

export function trainableCount(params: ParamInfo[], frozen: Set<string>): number {
  return params.reduce((n, p) => n + (frozen.has(p.name) ? 0 : p.size), 0);
}
