// Section 1: the dataset preview. Rows (long text truncated, expandable; image thumbnails) under a header that holds
// each column's name and role dropdown (so a file with dozens of columns scrolls sideways, its rows stay in view),
// the label distribution as bars, split sizes and bad rows.
import { PICKABLE_ROLES, type PreviewToWebview, type PreviewState } from '../../src/contracts/preview.js';
import { clear, fmtInt, h, tid } from './dom.js';
import { post } from './vscode-api.js';

const SHOWN_CHARS = 80;
const ROLE_NAMES: Record<string, string> = { text: 'text', text_pair: 'text pair', image: 'image', label: 'label', ignore: 'ignore', target: 'target (regression)', feature: 'numeric feature', input: 'model input' };

export class PreviewView {
  constructor(private readonly root: HTMLElement) {
    clear(root, h('p', { class: 'empty', text: 'Right-click a dataset in the Explorer and choose "Preview dataset".' }));
  }

  apply(m: PreviewToWebview): void {
    if (m.type === 'preview/loading') {
      if (!this.root.querySelector('[data-testid="preview-table"]')) clear(this.root, h('p', { class: 'loading', testid: 'preview-loading', text: `Reading ${m.file}…` }));
      this.root.setAttribute('aria-busy', 'true');
      return;
    }
    this.root.removeAttribute('aria-busy');
    if (m.type === 'preview/error') {
      clear(this.root, h('h2', { text: m.file }), h('p', { class: 'error', role: 'alert', testid: 'preview-error', text: m.message }));
      return;
    }
    this.render(m);
  }

  private render(p: PreviewState): void {
    const unsure = p.columns.filter((c) => c.unsure);
    clear(
      this.root,
      h('h2', { text: p.file }),
      h('p', { testid: 'preview-summary' }, `${p.format} · ${p.rowCountExact ? '' : 'about '}${fmtInt(p.rowCount)} rows · ${p.columns.length} columns`),
      unsure.length ? h('p', { class: 'warning', role: 'status', testid: 'roles-unsure' }, `Not sure about ${unsure.map((c) => `"${c.name}" (${ROLE_NAMES[c.role]})`).join(', ')}: check the role and pick another if it is wrong.`) : null,
      h('h3', { text: 'Rows, with each column\'s role' }),
      this.table(p),
      this.labels(p),
      this.splits(p),
      this.badRows(p),
    );
  }

  /** The role dropdown of a column, in its header cell. */
  private role(c: PreviewState['columns'][number]): HTMLElement {
    const select = h('vscode-single-select', { testid: tid('role-select', c.name), 'aria-label': `Role of column ${c.name}` },
      [...new Set([...PICKABLE_ROLES, c.role])].map((r) => h('vscode-option', { value: r, selected: r === c.role, text: ROLE_NAMES[r] ?? r })));
    select.addEventListener('change', () => {
      const role = (select as unknown as { value: string }).value;
      if (role !== c.role && (PICKABLE_ROLES as readonly string[]).includes(role)) post({ type: 'preview/setRole', column: c.name, role: role as (typeof PICKABLE_ROLES)[number] });
    });
    return h('th', { scope: 'col', class: 'role' + (c.unsure ? ' unsure' : ''), testid: tid('role', c.name), 'data-role': c.role },
      h('div', { class: 'role-cell' }, select, c.unsure ? h('span', { class: 'badge', title: 'guess: please check', text: 'unsure' }) : null));
  }

  private table(p: PreviewState): HTMLElement {
    const role = new Map(p.columns.map((c) => [c.name, c.role]));
    return h('div', { class: 'table-wrap' }, h('table', { testid: 'preview-table' },
      h('thead', {},
        h('tr', {}, p.columns.map((c) => h('th', { scope: 'col', class: 'col-name', text: c.name }))),
        h('tr', { class: 'roles', testid: 'roles' }, p.columns.map((c) => this.role(c)))),
      h('tbody', {}, p.rows.map((r, i) => h('tr', { testid: 'preview-row', 'data-row': i }, p.columns.map((c) => h('td', {}, cellView(r[c.name], role.get(c.name)!)))))),
    ));
  }

  private labels(p: PreviewState): HTMLElement | null {
    const entries = Object.entries(p.labelDistribution).sort((a, b) => b[1] - a[1]);
    if (!entries.length) return null;
    const max = Math.max(...entries.map((e) => e[1]));
    const total = entries.reduce((n, e) => n + e[1], 0);
    return h('section', { testid: 'label-distribution', 'aria-label': 'Label distribution' },
      h('h3', { text: `Label distribution${p.rowCountExact ? '' : ' (estimated)'}` }),
      entries.map(([label, n]) => {
        const bar = h('div', { class: 'bar' });
        bar.style.width = `${(100 * n) / max}%`;
        return h('div', { class: 'bar-row', testid: tid('label-bar', label), 'data-label': label, 'data-count': n, role: 'img', 'aria-label': `${label}: ${n} rows` },
          h('span', { class: 'bar-label', text: label }), h('div', { class: 'bar-track' }, bar), h('span', { class: 'bar-value', text: `${fmtInt(n)} (${((100 * n) / total).toFixed(1)}%)` }));
      }));
  }

  private splits(p: PreviewState): HTMLElement | null {
    if (!p.splits) return null;
    const parts = Object.entries(p.splits).filter(([, n]) => n !== undefined).map(([k, n]) => `${k}: ${fmtInt(n!)}`);
    return h('p', { testid: 'split-sizes' }, `Splits — ${parts.join(' · ')}`);
  }

  private badRows(p: PreviewState): HTMLElement {
    if (!p.badRows.length) return h('p', { testid: 'bad-rows', class: 'ok', text: 'No bad rows.' });
    return h('section', { testid: 'bad-rows' }, h('h3', { text: `Bad rows (${p.badRows.length})` }),
      h('ul', {}, p.badRows.map((b) => h('li', { testid: 'bad-row' }, `${p.badRowUnit} ${b.line}: ${b.reason}`))));
  }
}

function cellView(v: string | number | null, role: string): Node | string {
  if (v === null) return h('span', { class: 'null', text: '∅' });
  if (typeof v === 'string' && v.startsWith('data:image/')) return h('img', { src: v, alt: 'thumbnail', class: 'thumb' });
  const s = String(v);
  if (s.length <= SHOWN_CHARS || role === 'label') return s;
  const text = h('span', { text: s.slice(0, SHOWN_CHARS) + '…' });
  const more = h('button', { class: 'link', 'aria-expanded': 'false', text: 'more' });
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') === 'true';
    text.textContent = open ? s.slice(0, SHOWN_CHARS) + '…' : s;
    more.textContent = open ? 'more' : 'less';
    more.setAttribute('aria-expanded', String(!open));
  });
  return h('span', {}, text, ' ', more);
}
