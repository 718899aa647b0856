// Section 4: checkpoint diffing. Per-module ‖ΔW‖/‖W‖ bars (frozen modules at zero), the parameters that changed
// most, eval metrics side by side, and the eval examples whose prediction flipped.
import type { DiffResult, DiffToWebview } from '../../src/contracts/diff.js';
import { clear, fmtInt, fmtNum, h, pct, tid } from './dom.js';
import { post } from './vscode-api.js';

export class DiffView {
  private readonly pickers: HTMLElement;
  private readonly body: HTMLElement;
  private a?: string;
  private b?: string;

  constructor(root: HTMLElement) {
    this.pickers = h('div', { class: 'toolbar', testid: 'diff-pickers' });
    this.body = h('div', { testid: 'diff-body' }, h('p', { class: 'empty', text: 'Pick two checkpoints to compare (same run, or two runs of the same model).' }));
    clear(root, this.pickers, this.body);
  }

  apply(m: DiffToWebview): void {
    if (m.type === 'diff/options') return this.renderPickers(m.checkpoints, m.a, m.b);
    if (m.type === 'diff/loading') {
      this.body.setAttribute('aria-busy', 'true');
      clear(this.body, h('p', { class: 'loading', testid: 'diff-loading', text: 'Comparing checkpoints…' }));
      return;
    }
    this.body.removeAttribute('aria-busy');
    if (m.type === 'diff/error') return clear(this.body, h('p', { class: 'error', role: 'alert', testid: 'diff-error', text: m.message }));
    this.render(m);
  }

  private renderPickers(options: { dir: string; label: string }[], a?: string, b?: string): void {
    this.a = a ?? this.a;
    this.b = b ?? this.b;
    const list = [...options];
    for (const d of [this.a, this.b]) if (d && !list.some((o) => o.dir === d)) list.push({ dir: d, label: d });
    const select = (which: 'a' | 'b') => {
      const s = h('vscode-single-select', { testid: `diff-pick-${which}`, 'aria-label': which === 'a' ? 'Checkpoint before' : 'Checkpoint after' },
        h('vscode-option', { value: '', text: '(pick a checkpoint)', selected: !this[which] }),
        list.map((o) => h('vscode-option', { value: o.dir, text: o.label, selected: o.dir === this[which] })));
      s.addEventListener('change', () => {
        this[which] = (s as unknown as { value: string }).value || undefined;
        if (this.a && this.b) post({ type: 'diff/pick', a: this.a, b: this.b });
      });
      return s;
    };
    clear(this.pickers, h('span', { text: 'From ' }), select('a'), h('span', { text: ' to ' }), select('b'));
  }

  private render(d: DiffResult): void {
    const max = Math.max(1e-12, ...d.modules.filter((m) => Number.isFinite(m.rel)).map((m) => m.rel));
    const frozen = d.modules.filter((m) => m.frozen).length;
    clear(
      this.body,
      h('h2', { text: `${d.a.label} → ${d.b.label}` }),
      h('h3', { text: 'Relative change per module, ‖ΔW‖ / ‖W‖' }),
      h('p', { class: 'muted', testid: 'diff-summary' }, `${d.modules.length} modules, ${frozen} frozen (no saved parameters: unchanged)`),
      h('div', { class: 'bars', testid: 'diff-bars' }, d.modules.map((m) => {
        const bar = h('div', { class: 'bar' + (m.frozen ? ' frozen' : '') });
        bar.style.width = `${Number.isFinite(m.rel) ? (100 * m.rel) / max : 100}%`;
        return h('div', { class: 'bar-row', testid: tid('diff-bar', m.path), 'data-module': m.path, 'data-rel': m.rel, 'data-frozen': String(m.frozen), role: 'img', 'aria-label': `${m.path}: ${m.frozen ? 'frozen, 0' : fmtNum(m.rel)}` },
          h('span', { class: 'bar-label', text: m.path }), h('div', { class: 'bar-track' }, bar), h('span', { class: 'bar-value', text: m.frozen ? '0 (frozen)' : fmtNum(m.rel, 3) }));
      })),
      h('h3', { text: 'Parameters that changed most' }),
      h('table', { testid: 'top-params' }, h('thead', {}, h('tr', {}, ['parameter', '‖ΔW‖/‖W‖', '‖ΔW‖', '‖W‖'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', {}, d.topParams.map((p) => h('tr', {}, h('td', { text: p.path, title: p.name }), h('td', { text: fmtNum(p.rel, 3) }), h('td', { text: fmtNum(p.delta, 3) }), h('td', { text: fmtNum(p.norm, 3) }))))),
      h('h3', { text: 'Eval metrics' }),
      d.metrics.length
        ? h('table', { testid: 'diff-metrics' }, h('thead', {}, h('tr', {}, ['split', `loss (step ${d.a.step})`, `loss (step ${d.b.step})`, `accuracy (step ${d.a.step})`, `accuracy (step ${d.b.step})`].map((t) => h('th', { scope: 'col', text: t })))),
          h('tbody', {}, d.metrics.map((m) => h('tr', {}, h('td', { text: m.split }), h('td', { text: fmtNum(m.a?.loss) }), h('td', { text: fmtNum(m.b?.loss) }),
            h('td', { text: m.a?.accuracy === undefined ? '–' : pct(m.a.accuracy) }), h('td', { text: m.b?.accuracy === undefined ? '–' : pct(m.b.accuracy) })))))
        : h('p', { class: 'muted', text: 'No eval rows at these steps.' }),
      this.flips(d),
    );
  }

  private flips(d: DiffResult): HTMLElement {
    const p = d.predictions;
    if (p.missing.length) {
      return h('section', { testid: 'flipped' }, h('h3', { text: 'Flipped predictions' }),
        h('p', { class: 'muted', testid: 'no-predictions' }, p.missing.map((l) => `${l}: this checkpoint has no saved predictions`).join('. ')));
    }
    return h('section', { testid: 'flipped' },
      h('h3', { text: `Flipped predictions: ${fmtInt(p.total)} of ${fmtInt(p.compared)} examples${p.total > p.flipped.length ? ` (first ${p.flipped.length} listed)` : ''}` }),
      h('p', { class: 'muted', testid: 'flip-counts' }, `${fmtInt(p.fixed)} now right, ${fmtInt(p.broken)} now wrong`),
      h('ul', { class: 'flips', testid: 'flipped-list' }, p.flipped.map((f) => h('li', { testid: 'flipped-row', 'data-index': f.index, 'data-split': f.split },
        f.example && /\.(png|jpe?g)$/i.test(f.example) ? h('span', { class: 'muted', text: f.example }) : h('q', { text: f.example ?? `#${f.index}` }),
        h('span', { class: 'flip' }, ` ${f.split} #${f.index}`, f.label !== null ? ` · label ${f.label}` : '', ` · ${f.a.name} (${pct(f.a.confidence)}) → `,
          h('strong', { class: f.label === f.b.name ? 'right' : f.label === f.a.name ? 'wrong' : '', text: `${f.b.name} (${pct(f.b.confidence)})` }))))),
    );
  }
}
