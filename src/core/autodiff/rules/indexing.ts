import type { RuleTable } from '../rule.js';

export const indexingRules: RuleTable = {
  Gather: {
    inputs: [0],
    grad: (c) => {
      // Embedding-style gradient: scatter-add g's rows into zeros shaped like the data (never a one-hot MatMul).
      const e = c.e, [data, indices] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const r = c.rank(data), q = c.rank(indices);
      const axis = (c.attrInt('axis', 0) + r) % r;
      const idx = e.unsqueeze(indices, [-1]);
      const zeros = e.zerosLike(data, c.dtype(data));
      if (axis === 0) return [e.op('ScatterND', [zeros, idx, g], { reduction: 'add' })];
      // Move the gathered axis to the front, scatter there, and move it back.
      const toFront = [axis, ...Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis)];
      const gPerm = [
        ...Array.from({ length: q }, (_, i) => axis + i),
        ...Array.from({ length: axis }, (_, i) => i),
        ...Array.from({ length: r - 1 - axis }, (_, i) => axis + q + i),
      ];
      const scattered = e.op('ScatterND', [e.transpose(zeros, toFront), idx, e.transpose(g, gPerm)], { reduction: 'add' });
      const back = new Array(r);
      toFront.forEach((p, i) => (back[p] = i));
      return [e.transpose(scattered, back)];
    },
  },
  GatherElements: {
    inputs: [0],
    grad: (c) => {
      const e = c.e, data = c.input(0);
      const zeros = e.zerosLike(data, c.dtype(data));
      return [e.op('ScatterElements', [zeros, c.input(1), c.gradOut()!], { axis: c.attrInt('axis', 0), reduction: 'add' })];
    },
  },
};
