// Section 2: the model's module tree with a trainable toggle per module and per parameter, presets, the trainable
// count, and per-group learning rates. Every change goes to the host, which writes the experiment file and sends
// the state back: the file is the truth.
import type { LrGroup, ModelParam, ModelState, ModelToWebview } from '../../src/contracts/model.js';
import { clear, fmtInt, fmtNum, h, pct, tid } from './dom.js';
import { getUiState, post, setUiState } from './vscode-api.js';

interface Node { name: string; path: string; children: Node[]; params: ModelParam[]; size: number; frozenSize: number }

function buildTree(params: ModelParam[]): Node {
  const root: Node = { name: '', path: '', children: [], params: [], size: 0, frozenSize: 0 };
  for (const p of params) {
    let n = root;
    const visit = (x: Node) => {
      x.size += p.size;
      if (p.frozen) x.frozenSize += p.size;
    };
    visit(n);
    for (const part of p.module ? p.module.split('.') : []) {
      const path = n.path ? `${n.path}.${part}` : part;
      let c = n.children.find((x) => x.name === part);
      if (!c) n.children.push((c = { name: part, path, children: [], params: [], size: 0, frozenSize: 0 }));
      visit(c);
      n = c;
    }
    n.params.push(p);
  }
  return root;
}

export class ModelView {
  private open = new Set<string>();
  private state?: ModelState;
  private groupsDraft?: LrGroup[];

  constructor(private readonly root: HTMLElement) {
    clear(root, h('p', { class: 'empty', text: 'Open an experiment file to choose which layers train.' }));
  }

  apply(m: ModelToWebview): void {
    if (m.type === 'model/error') {
      clear(this.root, h('h2', { text: m.experimentFile }), h('p', { class: 'error', role: 'alert', testid: 'model-error', text: m.message }));
      return;
    }
    if (this.state?.experimentFile !== m.experimentFile) {
      this.open = new Set(m.blocks.length ? [m.blocks[0].split('.').slice(0, -1).join('.')].flatMap(ancestors) : []);
    }
    this.state = m;
    this.groupsDraft = undefined;
    this.render();
  }

  private render(): void {
    const s = this.state!;
    const tree = buildTree(s.params);
    clear(
      this.root,
      h('h2', { text: s.experimentFile }),
      h('p', { class: 'muted', text: `model: ${s.modelFile}` }),
      h('p', { class: 'trainable', testid: 'trainable-count', 'aria-live': 'polite', 'data-trainable': s.trainable, 'data-total': s.total },
        `Trainable: ${fmtInt(s.trainable)} of ${fmtInt(s.total)} parameters (${pct(s.total ? s.trainable / s.total : 0)})`),
      this.presets(s),
      h('p', { class: 'muted', testid: 'freeze-globs' }, `freeze: ${s.freeze.length ? s.freeze.join(', ') : '(nothing)'}`),
      h('div', { class: 'tree', role: 'tree', testid: 'module-tree' }, tree.children.map((c) => this.node(c, 1)), tree.params.map((p) => this.param(p, 1))),
      this.unfreeze(s),
      this.groups(s),
    );
  }

  /** Gradual unfreezing (fastai): one more block every K steps, top-down; only where the engine knows the field. */
  private unfreeze(s: ModelState): HTMLElement | null {
    if (!s.unfreezeSupported || !s.blocks.length) return null;
    const every = h('input', { type: 'number', min: 1, step: 1, value: s.unfreeze?.every ?? 100, class: 'narrow num', testid: 'unfreeze-every', 'aria-label': 'Steps between two thaws' });
    const apply = () => post({ type: 'model/setUnfreeze', every: Math.max(1, Math.floor(Number((every as HTMLInputElement).value) || 1)) });
    return h('section', { testid: 'unfreeze' },
      h('h3', { text: 'Gradual unfreezing' }),
      h('p', { class: 'muted', testid: 'unfreeze-state' }, s.unfreeze
        ? `On: starts from the frozen set above, then thaws ${s.unfreeze.order.map((o) => o.join(' + ')).join(', then ')}, one every ${s.unfreeze.every} steps.`
        : 'Off: the frozen set above stays frozen for the whole run.'),
      h('div', { class: 'presets' }, h('span', { class: 'inline' }, 'Thaw one more block every', every, 'steps, top-down'),
        h('vscode-button', { testid: 'unfreeze-apply', onclick: apply }, s.unfreeze ? 'Update' : 'Turn on'),
        s.unfreeze ? h('vscode-button', { secondary: true, testid: 'unfreeze-off', onclick: () => post({ type: 'model/setUnfreeze', every: 0 }) }, 'Turn off') : null));
  }

  private presets(s: ModelState): HTMLElement {
    const n = getUiState().lastBlocks ?? 2;
    const blocks = h('input', { type: 'number', min: 0, max: s.blocks.length, step: 1, value: n, testid: 'preset-blocks-n', 'aria-label': 'Number of last blocks to train', class: 'narrow num' });
    const button = (preset: 'head' | 'lastBlocks' | 'all' | 'none', label: string, extra?: () => number) =>
      h('vscode-button', { testid: `preset-${preset}`, secondary: true, onclick: () => post({ type: 'model/preset', preset, ...(extra ? { blocks: extra() } : {}) }) }, label);
    const count = () => {
      const v = Math.max(0, Math.min(s.blocks.length, Math.floor(Number((blocks as unknown as { value: string }).value) || 0)));
      setUiState({ lastBlocks: v });
      return v;
    };
    return h('div', { class: 'presets', role: 'group', 'aria-label': 'Presets' },
      button('head', `Train head only${s.head.length ? ` (${s.head.join(', ')})` : ''}`),
      s.blocks.length ? h('span', { class: 'inline' }, button('lastBlocks', 'Train head + last', count), blocks, ` of ${s.blocks.length} blocks`) : null,
      button('all', 'Train all'),
      button('none', 'Freeze all'));
  }

  private toggle(path: string, kind: 'module' | 'param', frozenSize: number, size: number, label: string): HTMLElement {
    const cb = h('vscode-checkbox', {
      toggle: true, testid: tid(kind === 'module' ? 'module-toggle' : 'param-toggle', path), 'aria-label': `Train ${label}`,
      checked: frozenSize === 0, indeterminate: frozenSize > 0 && frozenSize < size,
    });
    cb.addEventListener('change', () => post({ type: 'model/toggle', kind, path, frozen: !(cb as unknown as { checked: boolean }).checked }));
    return cb;
  }

  private node(n: Node, level: number): HTMLElement {
    const isOpen = this.open.has(n.path);
    const expander = h('button', { class: 'expander', 'aria-label': `${isOpen ? 'Collapse' : 'Expand'} ${n.path}`, 'aria-expanded': String(isOpen), text: isOpen ? '▾' : '▸' });
    expander.addEventListener('click', () => {
      if (this.open.has(n.path)) this.open.delete(n.path);
      else this.open.add(n.path);
      this.render();
    });
    const state = n.frozenSize === 0 ? 'trainable' : n.frozenSize === n.size ? 'frozen' : 'partly frozen';
    const row = h('div', { class: `row ${state.replace(' ', '-')}`, role: 'treeitem', 'aria-level': level, 'aria-expanded': String(isOpen), testid: tid('module-row', n.path), 'data-state': state },
      h('span', { class: 'indent', style: undefined }), expander, this.toggle(n.path, 'module', n.frozenSize, n.size, n.path),
      h('span', { class: 'name', text: n.name }), h('span', { class: 'count', text: `${fmtInt(n.size)} · ${state}` }));
    (row.firstChild as HTMLElement).style.width = `${(level - 1) * 16}px`;
    if (!isOpen) return row;
    return h('div', { role: 'group' }, row, n.children.map((c) => this.node(c, level + 1)), n.params.map((p) => this.param(p, level + 1)));
  }

  private param(p: ModelParam, level: number): HTMLElement {
    const row = h('div', { class: `row param ${p.frozen ? 'frozen' : 'trainable'}`, role: 'treeitem', 'aria-level': level, testid: tid('param-row', p.name) },
      h('span', { class: 'indent' }), h('span', { class: 'expander' }), this.toggle(p.name, 'param', p.frozen ? p.size : 0, p.size, p.path),
      h('span', { class: 'name', text: p.path.slice(p.module ? p.module.length + 1 : 0) }),
      h('span', { class: 'count', text: `[${p.dims.join('×')}] ${fmtInt(p.size)}${p.name !== p.path ? ` · ${p.name}` : ''}` }));
    (row.firstChild as HTMLElement).style.width = `${(level - 1) * 16}px`;
    return row;
  }

  /** Discriminative learning rates: groups of globs with an lr scale; the first matching group wins. */
  private groups(s: ModelState): HTMLElement {
    const draft = (this.groupsDraft ??= s.groups.map((g) => ({ ...g, match: [...g.match] })));
    const rows = draft.map((g, i) => {
      const match = h('vscode-textfield', { value: g.match.join(', '), 'aria-label': `Group ${i + 1} globs`, testid: `group-match-${i}` });
      match.addEventListener('change', () => (g.match = (match as unknown as { value: string }).value.split(',').map((x) => x.trim()).filter(Boolean)));
      const scale = h('input', { type: 'number', step: 'any', min: 0, value: g.lrScale ?? 1, 'aria-label': `Group ${i + 1} learning-rate scale`, testid: `group-scale-${i}`, class: 'narrow num' });
      scale.addEventListener('change', () => (g.lrScale = Number((scale as unknown as { value: string }).value) || 1));
      return h('div', { class: 'group-row', testid: 'lr-group' }, match, ' × ', scale,
        h('span', { class: 'muted', text: s.lr ? ` = ${fmtNum(s.lr * (g.lrScale ?? 1), 3)}` : '' }),
        h('vscode-button', { secondary: true, 'aria-label': `Remove group ${i + 1}`, onclick: () => { draft.splice(i, 1); this.render(); } }, 'Remove'));
    });
    // Native number inputs, not vscode-textfield: its `step` is a Number property, so step="any" becomes NaN, the
    // inner input falls back to step 1 and 0.5 is :invalid, drawn in the theme's error colours (red in dark themes).
    const factor = h('input', { type: 'number', step: 'any', min: 0, value: 0.5, class: 'narrow num', 'aria-label': 'Learning-rate factor per block, top-down', testid: 'discriminative-factor' });
    return h('section', { testid: 'lr-groups' },
      h('h3', { text: 'Learning rate per group (discriminative fine-tuning)' }),
      h('p', { class: 'muted', text: 'Globs on parameter names or module paths; the first matching group wins; others use the base rate.' }),
      rows,
      h('div', { class: 'presets' },
        h('vscode-button', { secondary: true, onclick: () => { draft.push({ match: [], lrScale: 1 }); this.render(); } }, 'Add group'),
        s.blocks.length ? h('span', { class: 'inline' }, h('vscode-button', { secondary: true, testid: 'discriminative', onclick: () => {
          const f = Number((factor as unknown as { value: string }).value) || 0.5;
          this.groupsDraft = s.blocks.slice().reverse().map((b, k) => ({ match: [`${b}.*`], lrScale: Number((f ** (k + 1)).toPrecision(4)) }));
          this.render();
        } }, 'Per block: top block ×'), factor, ' and × again per block down') : null,
        h('vscode-button', { testid: 'save-groups', onclick: () => post({ type: 'model/setGroups', groups: draft.filter((g) => g.match.length) }) }, 'Save groups')));
  }
}

function ancestors(path: string): string[] {
  const parts = path.split('.');
  return parts.map((_, i) => parts.slice(0, i + 1).join('.')).filter(Boolean);
}
