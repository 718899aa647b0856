import type { Emitter } from '../emitter.js';
import type { RuleContext, RuleTable } from '../rule.js';

/*
 * LSTM and GRU (ONNX's gate orders iofc and zrh, as PyTorch exports nn.LSTM / nn.GRU). Backpropagation through time
 * for any sequence length: the gate activations of every step are recomputed at once from the node's own output Y
 * (h_{t-1} of every step is the initial state followed by Y), LSTM's cell states by a forward Scan, and the gradient
 * flowing back through h (and c) by a reverse Scan. Weight gradients are then sums over all steps at once.
 * Each direction is handled in its processing order (time reversed for the backward direction).
 */

const LSTM_IN = { X: 0, W: 1, R: 2, B: 3, SEQ: 4, H0: 5, C0: 6, P: 7 };

/** x with axis 0 (time) reversed. */
const reverseTime = (e: Emitter, x: string) =>
  e.op('Slice', [x, e.i64([-1]), e.i64([Number.MIN_SAFE_INTEGER]), e.i64([0]), e.i64([-1])]);
/** Index `i` of `axis`, that axis dropped. */
const pick = (e: Emitter, x: string, i: number, axis: number) => e.op('Gather', [x, e.i64([i], [])], { axis });
const slice = (e: Emitter, x: string, from: number, to: number, axis: number) =>
  e.op('Slice', [x, e.i64([from]), e.i64([to]), e.i64([axis])]);
const concat = (e: Emitter, xs: string[], axis: number) => (xs.length === 1 ? xs[0] : e.op('Concat', xs, { axis }));
const matmul = (e: Emitter, a: string, b: string) => e.op('MatMul', [a, b]);
/** Σ over steps and batch of dZᵀ·x: [T, B, m] × [T, B, n] → [m, n]. */
const stepSum = (e: Emitter, dz: string, m: number, x: string, n: number) =>
  matmul(e, e.transpose(e.reshape(dz, [-1, m]), [1, 0]), e.reshape(x, [-1, n]));

function checkSupported(c: RuleContext, gates: number, defaults: string[]) {
  const why = (what: string) => new Error(`${what} is not supported`);
  if (c.attrInt('layout', 0) !== 0) throw why('layout=1 (batch first)');
  if (c.node.attribute.some((a) => a.name === 'clip')) throw why('clip');
  if (c.hasInput(LSTM_IN.SEQ)) throw why('a sequence_lens input (sequences of different lengths)');
  const dirs = c.attrString('direction', 'forward') === 'bidirectional' ? 2 : 1;
  const acts = c.node.attribute.find((a) => a.name === 'activations')?.strings.map((s) => new TextDecoder().decode(s).toLowerCase());
  const want = Array.from({ length: dirs }, () => defaults).flat().map((s) => s.toLowerCase());
  if (acts && acts.join() !== want.join()) throw why(`activations ${acts.join(', ')} (only ${defaults.join(', ')})`);
  const wShape = c.shape(c.input(LSTM_IN.W));
  const hidden = c.attrInt('hidden_size', wShape[1] / gates);
  return { dirs, hidden, inputSize: wShape[2] };
}

/** The per-direction pieces both ops share: inputs in processing order, h_{t-1} of every step, output gradients. */
function directionFrame(c: RuleContext, d: number, y: string) {
  const e = c.e;
  const reverse = c.attrString('direction', 'forward') === 'reverse' || d === 1;
  const order = (x: string) => (reverse ? reverseTime(e, x) : x);
  const yp = order(pick(e, y, d, 1));
  const h0 = c.hasInput(LSTM_IN.H0) ? pick(e, c.input(LSTM_IN.H0), d, 0) : e.zerosLike(pick(e, yp, 0, 0), c.dtype(c.input(0)));
  const hPrev = e.op('Concat', [e.unsqueeze(h0, [0]), slice(e, yp, 0, -1, 0)], { axis: 0 });
  const gy = c.gradOut(0);
  const dY = gy ? order(pick(e, gy, d, 1)) : e.zerosLike(yp, c.dtype(c.input(0)));
  const finalGrad = (i: number) => { const g = c.gradOut(i); return g ? pick(e, g, d, 0) : e.zerosLike(h0, c.dtype(c.input(0))); };
  return {
    order, xp: order(c.input(0)), hPrev, h0, dY, finalGrad,
    w: pick(e, c.input(LSTM_IN.W), d, 0), r: pick(e, c.input(LSTM_IN.R), d, 0),
    /** [Wb, Rb] of this direction, or undefined without a B input. */
    bias: (width: number) => {
      if (!c.hasInput(LSTM_IN.B)) return undefined;
      const b = pick(e, c.input(LSTM_IN.B), d, 0);
      return [slice(e, b, 0, width, 0), slice(e, b, width, 2 * width, 0)];
    },
  };
}

/** The node's Y output, recomputed by a copy of the node when the model does not use it. */
function sequenceOutput(c: RuleContext): string {
  return c.output(0) || c.e.recompute(c.node)[0];
}

interface DirectionGrads { dx: string; dw: string; dr: string; db: string; dh0: string; dc0?: string }

/** Gradients of every input slot from the per-direction ones (stacked over directions, dX summed). */
function assemble(c: RuleContext, per: DirectionGrads[]): (string | undefined)[] {
  const e = c.e;
  const stack = (k: keyof DirectionGrads) => concat(e, per.map((p) => e.unsqueeze(p[k]!, [0])), 0);
  const out: (string | undefined)[] = [];
  const want = (i: number) => c.hasInput(i) && c.needsGrad(i);
  if (want(LSTM_IN.X)) out[LSTM_IN.X] = per.map((p) => p.dx).reduce((a, b) => e.add(a, b));
  if (want(LSTM_IN.W)) out[LSTM_IN.W] = stack('dw');
  if (want(LSTM_IN.R)) out[LSTM_IN.R] = stack('dr');
  if (want(LSTM_IN.B)) out[LSTM_IN.B] = stack('db');
  if (want(LSTM_IN.H0)) out[LSTM_IN.H0] = stack('dh0');
  if (want(LSTM_IN.C0) && c.node.opType === 'LSTM') out[LSTM_IN.C0] = stack('dc0');
  return out;
}

function lstmGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, dt = c.dtype(c.input(0)), one = c.scalar(1);
  const { dirs, hidden: H, inputSize } = checkSupported(c, 4, ['Sigmoid', 'Tanh', 'Tanh']);
  if (c.attrInt('input_forget', 0) !== 0) throw new Error('input_forget=1 is not supported');
  if (c.hasInput(LSTM_IN.P)) throw new Error('peephole weights (input P) are not supported');
  const y = sequenceOutput(c);
  const dsig = (s: string) => e.mul(s, e.sub(one, s));
  const per = Array.from({ length: dirs }, (_, d): DirectionGrads => {
    const f = directionFrame(c, d, y);
    const gate = (z: string, k: number) => slice(e, z, k * H, (k + 1) * H, 2);
    let z = e.add(matmul(e, f.xp, e.transpose(f.w, [1, 0])), matmul(e, f.hPrev, e.transpose(f.r, [1, 0])));
    const bias = f.bias(4 * H);
    if (bias) z = e.add(z, e.add(bias[0], bias[1]));
    const i = e.op('Sigmoid', [gate(z, 0)]), o = e.op('Sigmoid', [gate(z, 1)]);
    const fg = e.op('Sigmoid', [gate(z, 2)]), g = e.op('Tanh', [gate(z, 3)]);
    const c0 = c.hasInput(LSTM_IN.C0) ? pick(e, c.input(LSTM_IN.C0), d, 0) : e.zerosLike(f.h0, dt);
    // c_t = f_t·c_{t-1} + i_t·g_t, step by step.
    const [, cs] = e.scan([c0], [fg, e.mul(i, g)], dt, 2, false, (b, [cPrev], [ft, igt]) => {
      const cNew = b.add(b.mul(ft, cPrev), igt);
      return { states: [cNew], outputs: [cNew] };
    });
    const cPrev = e.op('Concat', [e.unsqueeze(c0, [0]), slice(e, cs, 0, -1, 0)], { axis: 0 });
    const tanhC = e.op('Tanh', [cs]);
    // dc_t += dh_t·a_t; the pre-activation gradients are [dc, dh, dc, dc]·k_t (gates i, o, f, g).
    const a = e.mul(o, e.sub(one, e.mul(tanhC, tanhC)));
    const k = e.op('Concat', [e.mul(dsig(i), g), e.mul(tanhC, dsig(o)), e.mul(dsig(fg), cPrev), e.mul(i, e.sub(one, e.mul(g, g)))], { axis: 2 });
    const [dh0, dc0, dz] = e.scan([f.finalGrad(1), f.finalGrad(2)], [f.dY, a, k, fg], dt, 2, true, (b, [dhNext, dcNext], [dy, at, kt, ft]) => {
      const dh = b.add(dy, dhNext);
      const dc = b.add(dcNext, b.mul(dh, at));
      const dzt = b.mul(b.op('Concat', [dc, dh, dc, dc], { axis: 1 }), kt);
      return { states: [matmul(b, dzt, f.r), b.mul(dc, ft)], outputs: [dzt] };
    });
    const dbHalf = e.sum(dz, [0, 1]);
    return {
      dx: f.order(matmul(e, dz, f.w)), dw: stepSum(e, dz, 4 * H, f.xp, inputSize), dr: stepSum(e, dz, 4 * H, f.hPrev, H),
      db: e.op('Concat', [dbHalf, dbHalf], { axis: 0 }), dh0, dc0,
    };
  });
  return assemble(c, per);
}

function gruGrad(c: RuleContext): (string | undefined)[] {
  const e = c.e, dt = c.dtype(c.input(0)), one = c.scalar(1);
  const { dirs, hidden: H, inputSize } = checkSupported(c, 3, ['Sigmoid', 'Tanh']);
  const beforeReset = c.attrInt('linear_before_reset', 0) !== 0;
  const y = sequenceOutput(c);
  const dsig = (s: string) => e.mul(s, e.sub(one, s));
  const per = Array.from({ length: dirs }, (_, d): DirectionGrads => {
    const f = directionFrame(c, d, y);
    const gate = (z: string, k: number) => slice(e, z, k * H, (k + 1) * H, 2);
    const bias = f.bias(3 * H);
    let zx = matmul(e, f.xp, e.transpose(f.w, [1, 0]));
    let zh = matmul(e, f.hPrev, e.transpose(f.r, [1, 0]));
    if (bias) [zx, zh] = [e.add(zx, bias[0]), e.add(zh, bias[1])];
    const z = e.op('Sigmoid', [e.add(gate(zx, 0), gate(zh, 0))]);
    const r = e.op('Sigmoid', [e.add(gate(zx, 1), gate(zh, 1))]);
    const rh = slice(e, f.r, 2 * H, 3 * H, 0);
    // n: what the candidate's pre-activation adds from h (r·(h·Rhᵀ + Rbh), or (r·h)·Rhᵀ + Rbh).
    const nh = beforeReset ? gate(zh, 2) : undefined;
    const candidatePre = beforeReset
      ? e.add(gate(zx, 2), e.mul(r, nh!))
      : e.add(gate(zx, 2), e.add(matmul(e, e.mul(r, f.hPrev), e.transpose(rh, [1, 0])), bias ? slice(e, bias[1], 2 * H, 3 * H, 0) : e.zerosLike(f.h0, dt)));
    const cand = e.op('Tanh', [candidatePre]);
    // h_t = (1 − z)·cand + z·h_{t-1}: dz_pre = dh·pz, dcand_pre = dh·q.
    const pz = e.mul(e.sub(f.hPrev, cand), dsig(z));
    const q = e.mul(e.sub(one, z), e.sub(one, e.mul(cand, cand)));
    const result = (dh0: string, dzx: string, dr: string, dRb: string): DirectionGrads => ({
      dx: f.order(matmul(e, dzx, f.w)), dw: stepSum(e, dzx, 3 * H, f.xp, inputSize), dr,
      db: e.op('Concat', [e.sum(dzx, [0, 1]), dRb], { axis: 0 }), dh0,
    });
    if (beforeReset) {
      // Pre-activation gradients are dh·k (through R) and dh·kx (through W), for gates z, r and the candidate.
      const rq = e.mul(q, e.mul(nh!, dsig(r)));
      const k = e.op('Concat', [pz, rq, e.mul(q, r)], { axis: 2 });
      const [dh0, dh] = e.scan([f.finalGrad(1)], [f.dY, k, z], dt, 2, true, (b, [dhNext], [dy, kt, zt]) => {
        const dht = b.add(dy, dhNext);
        const dzt = b.mul(b.op('Concat', [dht, dht, dht], { axis: 1 }), kt);
        return { states: [b.add(b.mul(dht, zt), matmul(b, dzt, f.r))], outputs: [dht] };
      });
      const dh3 = e.op('Concat', [dh, dh, dh], { axis: 2 });
      const dzh = e.mul(dh3, k);
      const dzx = e.mul(dh3, e.op('Concat', [pz, rq, q], { axis: 2 }));
      return result(dh0, dzx, stepSum(e, dzh, 3 * H, f.hPrev, H), e.sum(dzh, [0, 1]));
    }
    // Without linear_before_reset, u = dcand_pre·Rh is the gradient of r·h_{t-1}.
    const rzr = slice(e, f.r, 0, 2 * H, 0);
    const sr = e.mul(f.hPrev, dsig(r));
    const [dh0, dh] = e.scan([f.finalGrad(1)], [f.dY, pz, q, sr, z, r], dt, 2, true, (b, [dhNext], [dy, pzt, qt, srt, zt, rt]) => {
      const dht = b.add(dy, dhNext);
      const u = matmul(b, b.mul(dht, qt), rh);
      const dzr = b.op('Concat', [b.mul(dht, pzt), b.mul(u, srt)], { axis: 1 });
      return { states: [b.add(b.add(b.mul(dht, zt), matmul(b, dzr, rzr)), b.mul(u, rt))], outputs: [dht] };
    });
    const dcand = e.mul(dh, q);
    const dzr = e.op('Concat', [e.mul(dh, pz), e.mul(matmul(e, dcand, rh), sr)], { axis: 2 });
    const dzx = e.op('Concat', [dzr, dcand], { axis: 2 });
    const dr = e.op('Concat', [stepSum(e, dzr, 2 * H, f.hPrev, H), stepSum(e, dcand, H, e.mul(r, f.hPrev), H)], { axis: 0 });
    return result(dh0, dzx, dr, e.sum(dzx, [0, 1]));
  });
  return assemble(c, per);
}

export const recurrentRules: RuleTable = {
  LSTM: { inputs: [0, 1, 2, 3, 5, 6], grad: lstmGrad },
  GRU: { inputs: [0, 1, 2, 3, 5], grad: gruGrad },
};
