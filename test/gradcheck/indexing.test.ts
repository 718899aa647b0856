import { ints, ints32, rand, testOps } from '../helpers/gradcheck.js';

testOps([
  { name: 'axis 0, repeated indices (scatter-add)', op: 'Gather', inputs: [rand(3, 4), ints([0, 2, 0, 1, 0])] },
  { name: 'axis 0, negative indices', op: 'Gather', inputs: [rand(3, 4), ints([-1, 0, 2, -1])] },
  { name: 'axis 0, int32 indices', op: 'Gather', inputs: [rand(3, 4), ints32([2, 0, 2])] },
  { name: 'axis 1, int32 indices', op: 'Gather', inputs: [rand(3, 4), ints32([3, 1, 3])], attrs: { axis: 1 } },
  { name: 'axis 1, rank 3, repeated', op: 'Gather', inputs: [rand(2, 4, 3), ints([3, 0, 3])], attrs: { axis: 1 } },
  { name: 'axis 0, 2-D indices (embedding)', op: 'Gather', inputs: [rand(5, 3), ints([0, 4, 4, 1, 0, 2], [2, 3])] },
  { name: 'axis 1, 2-D indices', op: 'Gather', inputs: [rand(2, 4, 3), ints([1, 1, 3, 0], [2, 2])], attrs: { axis: 1 } },
  { name: 'axis -1, scalar index', op: 'Gather', inputs: [rand(2, 3, 4), ints([2], [])], attrs: { axis: -1 } },
  { name: 'axis 0, scalar index', op: 'Gather', inputs: [rand(3, 4), ints([1], [])] },

  { name: 'axis 0, repeated', op: 'GatherElements', inputs: [rand(3, 4), ints([2, 0, 1, 2, 2, 0, 1, 0], [2, 4])] },
  { name: 'axis 0, int32 indices', op: 'GatherElements', inputs: [rand(3, 2), ints32([2, 2, 0, 1], [2, 2])] },
  { name: 'axis 1', op: 'GatherElements', inputs: [rand(3, 4), ints([3, 3, 0, 1, 2, 1], [3, 2])], attrs: { axis: 1 } },
  { name: 'axis -1, rank 3', op: 'GatherElements', inputs: [rand(2, 2, 3), ints([2, 0, 0, 1, 1, 1, 0, 2], [2, 2, 2])], attrs: { axis: -1 } },

  { name: 'full index tuples, repeated', op: 'GatherND', inputs: [rand(3, 4), ints([0, 1, 2, 3, 0, 1], [3, 2])] },
  { name: 'row gather (k=1)', op: 'GatherND', inputs: [rand(3, 4), ints([1, 0, 1], [3, 1])] },
  { name: 'rank 3 data, 3-D indices', op: 'GatherND', inputs: [rand(2, 3, 4), ints([0, 2, 1, 1, 0, 2, 1, 0], [2, 2, 2])] },
  { name: 'batch_dims 1, k=1', op: 'GatherND', inputs: [rand(2, 3, 4), ints([2, 2, 0, 1], [2, 2, 1])], attrs: { batch_dims: 1 } },
  { name: 'batch_dims 1, k=2', op: 'GatherND', inputs: [rand(2, 3, 4), ints([0, 3, 2, 1, 1, 1, 1, 1], [2, 2, 2])], attrs: { batch_dims: 1 } },
  { name: 'batch_dims 2', op: 'GatherND', inputs: [rand(2, 3, 4), ints([3, 0, 1, 1, 2, 0], [2, 3, 1])], attrs: { batch_dims: 2 } },
]);

