import { DT } from '../../onnx/tensor.js';
import type { RuleTable } from '../rule.js';

export const indexingRules: RuleTable = {
  Gather: {
    inputs: [0],
    grad: (c) => {
      // Embedding-style gradient: scatter-add g's rows into zeros shaped like the data (never a one-hot MatMul).
      const e = c.e, [data, indices] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const r = c.rank(data), q = c.rank(indices);
      const axis = (c.attrInt('axis', 0) + r) % r;
      // ScatterND takes int64 indices only (Gather also accepts int32).
      const idx = e.unsqueeze(c.dtype(indices) === DT.INT64 ? indices : e.op('Cast', [indices], { to: DT.INT64 }), [-1]);
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
  GatherND: {
    inputs: [0],
    grad: (c) => {
      // ScatterND-add of g at the gathered positions. With batch_dims b, each index tuple is prefixed with its
      // batch coordinates, which turns the gather into a batch_dims=0 one over the same data.
      const e = c.e, [data, indices] = [c.input(0), c.input(1)];
      const b = c.attrInt('batch_dims', 0), m = c.rank(indices);
      let full = indices;
      if (b > 0) {
        const prefixShape = e.op('Concat', [e.op('Slice', [e.shape(indices), e.i64([0]), e.i64([m - 1])]), e.i64([1])], { axis: 0 });
        const coords = Array.from({ length: b }, (_, j) => {
          const dim = e.op('Gather', [e.shape(indices), e.i64([j], [])]);
          const r = e.op('Range', [e.i64([0], []), dim, e.i64([1], [])]);
          const along = e.reshape(r, Array.from({ length: m }, (_, k) => (k === j ? -1 : 1)));
          return e.op('Expand', [along, prefixShape]);
        });
        full = e.op('Concat', [...coords, indices], { axis: -1 });
      }
      return [e.op('ScatterND', [e.zerosLike(data, c.dtype(data)), full, c.gradOut()!], { reduction: 'add' })];
    },
  },
};
