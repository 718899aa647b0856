// A small element builder: h('div', { testid: 'x', class: 'y', onclick }, children…).
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | ((e: Event) => void)>;

export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.replace(/^on/, ''), v);
    else if (k === 'testid') el.dataset.testid = String(v);
    else if (k === 'text') el.textContent = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

export function clear(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren(...children.flat().filter((c): c is Node | string | number => c !== null && c !== undefined && c !== false).map((c) => (typeof c === 'number' ? String(c) : c)));
}

export const fmtInt = (n: number) => n.toLocaleString('en-US');
export const fmtNum = (n: number | undefined | null, digits = 4) => (n === undefined || n === null ? '–' : Number.isFinite(n) ? Number(n.toPrecision(digits)).toString() : String(n));
export const pct = (n: number) => `${(n * 100).toFixed(1)}%`;

/** A stable test id from a name (module paths, labels): keeps letters, digits, '.', '_' and '-'. */
export const tid = (prefix: string, name: string) => `${prefix}-${name.replace(/[^\w.-]+/g, '_')}`;
