// Reading single cells: numbers and text, whatever format the row came from.

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** A number from a cell: JSON numbers as they are, numeric strings (CSV) parsed; else undefined. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return undefined;
  // Number() is the fast path (this runs for every cell of numeric columns); the pattern then rules out what
  // Number() accepts but a data file does not mean as a number: '', '0x1f', 'Infinity'.
  const n = Number(v);
  return Number.isFinite(n) && (isDecimal(v) || NUMBER.test(v)) ? n : undefined;
}

/** Plain decimals such as -0.25 or 12, checked without a regex. */
function isDecimal(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || (c === 45 && i === 0))) return false;
  }
  return true;
}

/** A cell as text: strings as they are, numbers printed; anything else is not text. */
export function textOf(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}
