import { INT64_MAX, frozen, ints, rand, testOps, vals, type OpCase } from '../helpers/gradcheck.js';

const slice = (name: string, shape: number[], starts: number[], ends: number[], axes?: number[], steps?: number[]): OpCase => ({
  name, op: 'Slice', inputs: [rand(...shape), ints(starts), ints(ends), axes ? ints(axes) : null, steps ? ints(steps) : null],
});

const pads: OpCase[] = [];
for (const mode of ['constant', 'reflect', 'edge']) {
  const attrs = { mode };
  pads.push(
    { name: `${mode}, pads input`, op: 'Pad', inputs: [rand(2, 3, 4), ints([0, 1, 2, 0, 2, 1])], attrs },
    { name: `${mode}, axes input`, op: 'Pad', inputs: [rand(2, 3, 4), ints([2, 1, 1, 2]), null, ints([-1, 1])], attrs, opset: 18 },
  );
}

testOps([
  { name: 'perm [2,0,1]', op: 'Transpose', inputs: [rand(2, 3, 4)], attrs: { perm: [2, 0, 1] } },
  { name: 'default perm (reverse)', op: 'Transpose', inputs: [rand(2, 3, 4)] },
  { name: '[2,3,4] → [6,4]', op: 'Reshape', inputs: [rand(2, 3, 4), ints([6, 4])] },
  { name: '0 and -1 entries', op: 'Reshape', inputs: [rand(2, 3, 4), ints([0, -1, 2])] },
  { name: 'axis 1', op: 'Flatten', inputs: [rand(2, 3, 4)] },
  { name: 'axis 0', op: 'Flatten', inputs: [rand(2, 3, 4)], attrs: { axis: 0 } },
  { name: 'axis -1', op: 'Flatten', inputs: [rand(2, 3, 4)], attrs: { axis: -1 } },
  { name: 'axes [0, 3]', op: 'Unsqueeze', inputs: [rand(2, 3), ints([0, 3])] },
  { name: 'axes [-1]', op: 'Unsqueeze', inputs: [rand(2, 3), ints([-1])] },
  { name: 'axes [1]', op: 'Squeeze', inputs: [rand(2, 1, 3), ints([1])] },
  { name: 'no axes (all size-1 dims)', op: 'Squeeze', inputs: [rand(1, 3, 1)] },
  { name: '[3,1] → [2,3,4]', op: 'Expand', inputs: [rand(3, 1), ints([2, 3, 4])] },
  { name: '[1] → [2,3]', op: 'Expand', inputs: [rand(1), ints([2, 3])] },
  { name: '[2,3] with shape [1,1] (no-op broadcast)', op: 'Expand', inputs: [rand(2, 3), ints([1, 1])] },

  slice('axes [1]', [3, 5], [1], [3], [1]),
  slice('no axes, 2 dims', [3, 5], [0, 1], [2, 4]),
  slice('negative starts and ends', [3, 5], [-3], [-1], [1]),
  slice('negative axis, INT64_MAX end', [3, 5], [2], [INT64_MAX], [-1]),
  slice('INT64_MAX ends on 2 axes', [3, 4, 5], [1, 2], [INT64_MAX, INT64_MAX], [0, 2]),
  slice('out-of-range ends clamp', [3, 5], [-100, 1], [100, 3], [0, 1]),
  slice('steps all 1', [3, 5], [0, 1], [3, 4], [0, 1], [1, 1]),
  slice('step 2', [3, 5], [0], [INT64_MAX], [1], [2]),
  slice('step 2 from 1, two axes', [4, 5], [1, 1], [4, 5], [0, 1], [2, 2]),
  slice('step -1 (reverse)', [3, 4], [-1], [-INT64_MAX], [0], [-1]),
  slice('step -2', [3, 7], [5], [0], [1], [-2]),

  { name: 'equal parts, axis 1', op: 'Split', inputs: [rand(2, 6)], attrs: { axis: 1 }, outputs: 3, use: [0, 1, 2] },
  { name: 'given sizes (split input)', op: 'Split', inputs: [rand(6, 2), ints([1, 3, 2])], outputs: 3, use: [0, 1, 2] },
  { name: 'an unused output', op: 'Split', inputs: [rand(2, 6), ints([2, 3, 1])], attrs: { axis: -1 }, outputs: 3, use: [0, 2] },
  { name: 'num_outputs 3', op: 'Split', inputs: [rand(2, 6)], attrs: { axis: 1, num_outputs: 3 }, outputs: 3, use: [0, 1, 2], opset: 18 },
  { name: 'num_outputs 3, uneven, an unused output', op: 'Split', inputs: [rand(7, 2)], attrs: { num_outputs: 3 }, outputs: 3, use: [1, 2], opset: 18 },
  { name: 'given sizes', op: 'Split', inputs: [rand(2, 6), ints([4, 2])], attrs: { axis: 1 }, outputs: 2, use: [0, 1], opset: 18 },

  { name: 'axis 0', op: 'Concat', inputs: [rand(2, 3), rand(1, 3)], attrs: { axis: 0 } },
  { name: 'axis -1, 3 inputs, one frozen', op: 'Concat', inputs: [rand(2, 1), frozen(rand(2, 2)), rand(2, 3)], attrs: { axis: -1 } },

  ...pads,
  { name: 'constant, fill value input (trainable)', op: 'Pad', inputs: [rand(2, 3), ints([1, 0, 0, 2]), vals([], [0.5])] },
  { name: 'constant, fill value of shape [1]', op: 'Pad', inputs: [rand(2, 3), ints([0, 1, 1, 0]), vals([1], [0.5])] },
  { name: 'constant, negative pads crop', op: 'Pad', inputs: [rand(3, 4), ints([0, -1, 1, 1])] },
  { name: 'constant, fill value, axes input', op: 'Pad', inputs: [rand(2, 3), ints([1, 2]), vals([], [-0.3]), ints([0])], opset: 18 },
  { name: 'wrap', op: 'Pad', inputs: [rand(2, 3), ints([1, 2, 0, 2])], attrs: { mode: 'wrap' }, opset: 19 },
]);
