import { ints, rand, testOps, type OpCase } from '../helpers/gradcheck.js';

/** ReduceSum takes axes as an input from opset 13, ReduceMean from opset 18 (an attribute at 17). */
const reduce = (op: string, opset: number, name: string, axes: number[] | undefined, attrs: OpCase['attrs'] = {}): OpCase => {
  const asInput = op === 'ReduceSum' || opset >= 18;
  return {
    name, op, opset, inputs: [rand(2, 3, 4), asInput && axes ? ints(axes) : null],
    attrs: { ...attrs, ...(!asInput && axes ? { axes } : {}) },
  };
};

const reductions: OpCase[] = [];
for (const [op, opset] of [['ReduceSum', 17], ['ReduceMean', 17], ['ReduceMean', 18]] as const) {
  reductions.push(
    reduce(op, opset, 'axes [1], keepdims 1', [1]),
    reduce(op, opset, 'axes [0, 2], keepdims 0', [0, 2], { keepdims: 0 }),
    reduce(op, opset, 'axes [-1], keepdims 0', [-1], { keepdims: 0 }),
    reduce(op, opset, 'axes [2, 0] unsorted, keepdims 0', [2, 0], { keepdims: 0 }),
    reduce(op, opset, 'all axes, keepdims 1', undefined),
    reduce(op, opset, 'all axes, keepdims 0', undefined, { keepdims: 0 }),
    reduce(op, opset, 'all axes listed, keepdims 0', [0, 1, 2], { keepdims: 0 }),
  );
}

testOps([
  ...reductions,
  reduce('ReduceSum', 17, 'no axes, noop_with_empty_axes 1 (identity)', undefined, { noop_with_empty_axes: 1 }),
  reduce('ReduceMean', 18, 'no axes, noop_with_empty_axes 1 (identity)', undefined, { noop_with_empty_axes: 1 }),

  { name: 'axis 0', op: 'CumSum', inputs: [rand(3, 4), ints([0], [])] },
  { name: 'axis 1', op: 'CumSum', inputs: [rand(3, 4), ints([1], [])] },
  { name: 'axis -1, exclusive', op: 'CumSum', inputs: [rand(2, 3, 4), ints([-1], [])], attrs: { exclusive: 1 } },
  { name: 'axis 1, reverse', op: 'CumSum', inputs: [rand(2, 3, 4), ints([1], [])], attrs: { reverse: 1 } },
  { name: 'axis 0, exclusive and reverse', op: 'CumSum', inputs: [rand(3, 4), ints([0], [])], attrs: { exclusive: 1, reverse: 1 } },
  { name: '1-D axis as a [1] tensor', op: 'CumSum', inputs: [rand(5), ints([0])] },
]);
