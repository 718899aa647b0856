/**
 * Float64 forwards of ONNX LSTM and GRU (layout 0, default activations), written step by step from the operator
 * spec: onnxruntime's CPU kernels for both are float-only, so the gradient checks differentiate these instead.
 * Returns [Y [T, D, B, H], Y_h [D, B, H]] and, for LSTM, Y_c.
 */
import type { Tensor64 } from './reference-ops.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export interface RecurrentAttrs { hiddenSize: number; direction: string; linearBeforeReset?: boolean }

export function recurrentForward(op: 'LSTM' | 'GRU', inputs: (Tensor64 | null)[], a: RecurrentAttrs): Tensor64[] {
  const [x, w, r, bias, , h0, c0] = inputs;
  const [T, B, I] = x!.shape, H = a.hiddenSize, D = a.direction === 'bidirectional' ? 2 : 1, G = op === 'LSTM' ? 4 : 3;
  const y = new Float64Array(T * D * B * H), yh = new Float64Array(D * B * H), yc = new Float64Array(D * B * H);
  /** Row j of W[d]·x_t or R[d]·h (+ its bias half) for batch row b. */
  const dot = (m: Tensor64, d: number, j: number, v: Float64Array, offset: number, n: number) => {
    let s = 0;
    for (let k = 0; k < n; k++) s += m.data[(d * G * H + j) * n + k] * v[offset + k];
    return s;
  };
  const biasOf = (d: number, half: number, j: number) => (bias ? bias.data[d * 2 * G * H + half * G * H + j] : 0);
  for (let d = 0; d < D; d++) {
    const reverse = a.direction === 'reverse' || d === 1;
    const h = new Float64Array(B * H), c = new Float64Array(B * H);
    if (h0) h.set(h0.data.subarray(d * B * H, (d + 1) * B * H));
    if (c0) c.set(c0.data.subarray(d * B * H, (d + 1) * B * H));
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const hNew = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        const xw = (j: number) => dot(w!, d, j, x!.data, (t * B + b) * I, I) + biasOf(d, 0, j);
        const hr = (j: number, hv = h) => dot(r!, d, j, hv, b * H, H) + biasOf(d, 1, j);
        for (let k = 0; k < H; k++) {
          if (op === 'LSTM') {
            const gate = (g: number) => xw(g * H + k) + hr(g * H + k);
            const i = sigmoid(gate(0)), o = sigmoid(gate(1)), f = sigmoid(gate(2)), cand = Math.tanh(gate(3));
            c[b * H + k] = f * c[b * H + k] + i * cand;
            hNew[b * H + k] = o * Math.tanh(c[b * H + k]);
          } else {
            const z = sigmoid(xw(k) + hr(k)), rr = (j: number) => sigmoid(xw(H + j) + hr(H + j));
            let cand: number;
            if (a.linearBeforeReset) cand = Math.tanh(xw(2 * H + k) + rr(k) * hr(2 * H + k));
            else {
              const rh = new Float64Array(B * H);
              for (let j = 0; j < H; j++) rh[b * H + j] = rr(j) * h[b * H + j];
              cand = Math.tanh(xw(2 * H + k) + hr(2 * H + k, rh));
            }
            hNew[b * H + k] = (1 - z) * cand + z * h[b * H + k];
          }
        }
      }
      h.set(hNew);
      y.set(h, ((t * D + d) * B) * H);
    }
    yh.set(h, d * B * H);
    yc.set(c, d * B * H);
  }
  const out = [{ data: y, shape: [T, D, B, H] }, { data: yh, shape: [D, B, H] }];
  return op === 'LSTM' ? [...out, { data: yc, shape: [D, B, H] }] : out;
}
