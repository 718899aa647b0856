// LSTM and GRU (issue 13): every direction, with and without biases and initial states, through each of their
// outputs. onnxruntime has float32 kernels only, so each case checks onnxruntime's forward against a float64 one
// (reference-recurrent.ts) and the float32 rule against central differences of that forward. `probe` runs the shape
// probe with another sequence length and batch: the rule must take both at run time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frozen, gradcheck, ints32, node, rand, type GraphCase, type Spec } from '../helpers/gradcheck.js';
import { recurrentForward } from '../helpers/reference-recurrent.js';
import { f, type Attrs } from '../../src/core/onnx/attributes.js';

const T = 3, B = 2, I = 3, H = 2;

interface Options { direction?: string; bias?: boolean; h0?: boolean; c0?: boolean; use?: number[]; linearBeforeReset?: boolean; probe?: boolean }

function recurrent(op: 'LSTM' | 'GRU', name: string, o: Options): void {
  const direction = o.direction ?? 'forward', D = direction === 'bidirectional' ? 2 : 1, G = op === 'LSTM' ? 4 : 3;
  const specs: [string, Spec][] = [['x', rand(T, B, I)], ['w', rand(D, G * H, I)], ['r', rand(D, G * H, H)],
    ['b', o.bias ? rand(D, 2 * G * H) : null], ['seq', null], ['h0', o.h0 ? rand(D, B, H) : null], ['c0', o.c0 ? rand(D, B, H) : null]];
  if (op === 'GRU') specs.pop();
  const names = specs.map(([n, s]) => (s ? n : ''));
  while (!names.at(-1)) names.pop();
  const outs = op === 'LSTM' ? ['y', 'yh', 'yc'] : ['y', 'yh'];
  const use = o.use ?? [0];
  const lbr = o.linearBeforeReset ? { linear_before_reset: 1 } : {};
  const c: GraphCase = {
    nodes: [node(op, names, outs, { hidden_size: H, direction, ...lbr })],
    inputs: Object.fromEntries(specs.filter(([, s]) => s)),
    outputs: use.map((i) => outs[i]),
    dtype: 'float',
    reference: (x) => {
      const all = recurrentForward(op, specs.map(([n, s]) => (s ? x[n] : null)), { hiddenSize: H, direction, linearBeforeReset: o.linearBeforeReset });
      return use.map((i) => all[i]);
    },
    probe: o.probe ? { x: [T + 2, B + 1, I], ...(o.h0 ? { h0: [D, B + 1, H] } : {}), ...(o.c0 ? { c0: [D, B + 1, H] } : {}) } : undefined,
  };
  test(`${op} ${name} (float32 vs float64 reference)`, () => gradcheck(c));
}

recurrent('LSTM', 'forward, no bias, zero initial states, Y', {});
recurrent('LSTM', 'forward, bias, initial h and c, Y + Y_h + Y_c', { bias: true, h0: true, c0: true, use: [0, 1, 2] });
recurrent('LSTM', 'reverse, bias, initial h, Y_h only', { direction: 'reverse', bias: true, h0: true, use: [1] });
recurrent('LSTM', 'bidirectional, bias, initial h and c, all outputs', { direction: 'bidirectional', bias: true, h0: true, c0: true, use: [0, 1, 2] });
recurrent('LSTM', 'bidirectional, bias, zero initial states, Y_c only', { direction: 'bidirectional', bias: true, use: [2] });
recurrent('LSTM', 'bidirectional, initial states, probed at another length and batch', { direction: 'bidirectional', bias: true, h0: true, c0: true, use: [0, 1], probe: true });
recurrent('GRU', 'forward, linear_before_reset=1 (PyTorch), bias, initial h, Y + Y_h', { bias: true, h0: true, use: [0, 1], linearBeforeReset: true });
recurrent('GRU', 'bidirectional, linear_before_reset=1, bias, zero initial state', { direction: 'bidirectional', bias: true, use: [0, 1], linearBeforeReset: true });
recurrent('GRU', 'reverse, linear_before_reset=1, no bias, Y_h only', { direction: 'reverse', h0: true, use: [1], linearBeforeReset: true });
recurrent('GRU', 'forward, linear_before_reset=0, bias, initial h', { bias: true, h0: true, use: [0, 1] });
recurrent('GRU', 'bidirectional, linear_before_reset=0, no bias, initial h', { direction: 'bidirectional', h0: true, use: [0, 1] });
recurrent('GRU', 'bidirectional, linear_before_reset=1, probed at another length and batch', { direction: 'bidirectional', bias: true, h0: true, use: [0, 1], linearBeforeReset: true, probe: true });

test('LSTM whose Y output the model leaves out (the rule recomputes it), on a GRU (float32 vs float64 reference)', () => gradcheck({
  nodes: [
    node('GRU', ['x', 'gw', 'gr', 'gb'], ['gy'], { hidden_size: H, linear_before_reset: 1 }),
    node('Squeeze', ['gy', 'axis1'], ['gys']),
    node('LSTM', ['gys', 'lw', 'lr', 'lb'], ['', 'yh'], { hidden_size: H, direction: 'bidirectional' }),
  ],
  inputs: {
    x: rand(T, B, I), gw: rand(1, 3 * H, I), gr: rand(1, 3 * H, H), gb: rand(1, 6 * H),
    axis1: { kind: 'int', shape: [1], values: [1], type: 'int64' },
    lw: rand(2, 4 * H, H), lr: rand(2, 4 * H, H), lb: rand(2, 8 * H),
  },
  outputs: ['yh'],
  dtype: 'float',
  reference: (x) => {
    const [gy] = recurrentForward('GRU', [x.x, x.gw, x.gr, x.gb], { hiddenSize: H, direction: 'forward', linearBeforeReset: true });
    const gys = { data: gy.data, shape: [T, B, H] };
    return [recurrentForward('LSTM', [gys, x.lw, x.lr, x.lb], { hiddenSize: H, direction: 'bidirectional' })[1]];
  },
}));

test('LSTM/GRU forms the rule does not cover are refused naming the node: clip, sequence_lens, peepholes', async () => {
  const lstm = (extra: Record<string, Spec>, inputs: string[], attrs: Attrs = {}) => gradcheck({
    nodes: [node('LSTM', inputs, ['y'], { hidden_size: H, ...attrs })],
    inputs: { x: rand(T, B, I), w: rand(1, 4 * H, I), r: rand(1, 4 * H, H), ...extra }, outputs: ['y'], dtype: 'float',
  });
  await assert.rejects(lstm({}, ['x', 'w', 'r'], { clip: f(0.5) }), /cannot differentiate LSTM node 'LSTM_y': clip is not supported/);
  await assert.rejects(lstm({ seq: ints32([T, T - 1]) }, ['x', 'w', 'r', '', 'seq']), /LSTM node 'LSTM_y': a sequence_lens input .* is not supported/);
  await assert.rejects(lstm({ p: frozen(rand(1, 3 * H)) }, ['x', 'w', 'r', '', '', '', '', 'p']), /LSTM node 'LSTM_y': peephole weights .* are not supported/);
});
