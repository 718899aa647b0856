import type { RuleContext, RuleTable } from '../rule.js';

const ELLIPSIS = '...';

/** An Einsum term as tokens: one letter each, '...' as one token. */
function tokens(term: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < term.length; i++) {
    if (term.startsWith(ELLIPSIS, i)) { out.push(ELLIPSIS); i += 2; } else out.push(term[i]);
  }
  return out;
}

/** Input terms and the output term, the implicit output (letters used once, sorted; '...' first) spelled out. */
export function parseEinsum(equation: string): { inputs: string[][]; output: string[] } {
  const [lhs, rhs] = equation.replace(/\s/g, '').split('->');
  const inputs = lhs.split(',').map(tokens);
  if (rhs !== undefined) return { inputs, output: tokens(rhs) };
  const count = new Map<string, number>();
  for (const t of inputs.flat()) if (t !== ELLIPSIS) count.set(t, (count.get(t) ?? 0) + 1);
  const once = [...count].filter(([, n]) => n === 1).map(([t]) => t).sort();
  return { inputs, output: inputs.flat().includes(ELLIPSIS) ? [ELLIPSIS, ...once] : once };
}

/** The dims an operand's '...' stands for (probe shapes). */
const ellipsisDims = (term: string[], shape: number[]) => {
  const at = term.indexOf(ELLIPSIS);
  return at < 0 ? [] : shape.slice(at, at + shape.length - term.length + 1);
};

/**
 * Einsum is linear in each operand: the gradient of operand k is the einsum of g with the other operands into k's
 * term. A letter only operand k has (summed within it) is broadcast back. Repeated letters in a term (diagonals) and
 * a '...' that broadcasts are refused.
 */
function einsumGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, g = c.gradOut()!, eq = c.attrString('equation', '');
  const { inputs, output } = parseEinsum(eq);
  const refuse = (why: string) => new Error(`Einsum node '${c.node.name}' ('${eq}'): ${why}`);
  for (const t of [...inputs, output]) if (new Set(t).size !== t.length) throw refuse('a letter repeated within a term (a diagonal) has no gradient rule');
  const outEllipsis = ellipsisDims(output, c.shape(c.output(0)));
  return inputs.map((term, k) => {
    if (!c.needsGrad(k)) return undefined;
    const x = c.input(k), others = inputs.filter((_, i) => i !== k);
    if (term.includes(ELLIPSIS) && (!output.includes(ELLIPSIS) || ellipsisDims(term, c.shape(x)).join() !== outEllipsis.join())) {
      throw refuse(`operand ${k}'s '...' is broadcast or summed; only a '...' the output keeps as is has a gradient rule`);
    }
    const alone = term.filter((t) => !output.includes(t) && !others.some((o) => o.includes(t)));
    const kept = term.filter((t) => !alone.includes(t));
    const spec = `${[output, ...others].map((t) => t.join('')).join(',')}->${kept.join('')}`;
    const grad = e.op('Einsum', [g, ...c.node.input.filter((_, i) => i !== k)], { equation: spec });
    if (!alone.length) return grad;
    if (term.includes(ELLIPSIS)) throw refuse(`operand ${k} sums a letter of its own beside '...'`);
    return e.op('Expand', [e.unsqueeze(grad, alone.map((t) => term.indexOf(t))), e.shape(x)]);
  });
}

export const einsumRules: RuleTable = { Einsum: { grad: einsumGrad } };
