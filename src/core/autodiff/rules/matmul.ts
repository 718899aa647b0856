import { f as fAttr } from '../../onnx/attributes.js';
import { DT } from '../../onnx/tensor.js';
import { MS_DOMAIN } from '../emitter.js';
import type { RuleContext, RuleTable } from '../rule.js';

/** Swaps the last two axes of a value of the given rank. */
function swapLast(c: RuleContext, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return c.e.transpose(x, perm);
}

function matmulGrad(c: RuleContext): (string | undefined)[] {
  const [a, b] = [c.input(0), c.input(1)];
  const aShape = c.shape(a), bShape = c.shape(b), g = c.gradOut()!;
  const e = c.e;
  if (aShape.length >= 2 && bShape.length === 2) {
    // The common Linear layer: x[..., K] @ W[K, N]. Flatten the batch dims so dW is one Gemm, not a batched
    // MatMul followed by a reduction.
    const [k, n] = bShape;
    const da = c.needsGrad(0) ? e.op('MatMul', [g, e.transpose(b, [1, 0])]) : undefined;
    const db = c.needsGrad(1)
      ? e.op('Gemm', [e.reshape(a, [-1, k]), e.reshape(g, [-1, n])], { transA: 1 })
      : undefined;
    return [da, db];
  }
  // General case, with numpy-style 1-D promotion and batch broadcasting.
  const a2 = aShape.length === 1 ? e.unsqueeze(a, [0]) : a;
  const b2 = bShape.length === 1 ? e.unsqueeze(b, [1]) : b;
  const a2Shape = aShape.length === 1 ? [1, ...aShape] : aShape;
  const b2Shape = bShape.length === 1 ? [...bShape, 1] : bShape;
  const yShape = c.shape(c.output(0));
  const batch = yShape.slice(0, yShape.length - (aShape.length === 1 ? 0 : 1) - (bShape.length === 1 ? 0 : 1));
  let g2 = g;
  if (aShape.length === 1) g2 = e.unsqueeze(g2, [-2 + (bShape.length === 1 ? 1 : 0)]);
  if (bShape.length === 1) g2 = e.unsqueeze(g2, [-1]);
  const gRank = batch.length + 2;
  // Batched float MatMuls (attention's Q·Kᵀ and P·V) take the transposed operand as onnxruntime's contrib FusedMatMul
  // with transA/transB: onnxruntime merges a swapLast with the forward's head Transpose into one that no MatMul
  // fusion takes, a copy per gradient (BERT-mini: 8 transposes, session.run ~2.5% less). Float64 has no kernel for it.
  const fused = c.dtype(a) === DT.FLOAT && gRank >= 3;
  const product = (x: string, y: string, xRank: number, yRank: number, trans: 'transA' | 'transB') => fused
    ? e.op('FusedMatMul', [x, y], { [trans]: 1 }, MS_DOMAIN)
    : e.op('MatMul', trans === 'transA' ? [swapLast(c, x, xRank), y] : [x, swapLast(c, y, yRank)]);
  let da: string | undefined, db: string | undefined;
  if (c.needsGrad(0)) {
    const full = product(g2, b2, gRank, b2Shape.length, 'transB');
    da = aShape.length === 1
      ? e.reshape(e.sum(full, Array.from({ length: gRank - 1 }, (_, i) => i)), aShape)
      : c.unbroadcastFrom(full, [...batch, ...a2Shape.slice(-2)], a);
  }
  if (c.needsGrad(1)) {
    const full = product(a2, g2, a2Shape.length, gRank, 'transA');
    db = bShape.length === 1
      ? e.reshape(e.sum(full, [...Array.from({ length: gRank - 2 }, (_, i) => i), gRank - 1]), bShape)
      : c.unbroadcastFrom(full, [...batch, ...b2Shape.slice(-2)], b);
  }
  return [da, db];
}

export const matmulRules: RuleTable = {
  MatMul: { grad: matmulGrad },
  Gemm: {
    grad: (c) => {
      const [a, b] = [c.input(0), c.input(1)], g = c.gradOut()!;
      const alpha = c.attrFloat('alpha', 1), beta = c.attrFloat('beta', 1);
      const tA = c.attrInt('transA', 0), tB = c.attrInt('transB', 0);
      const gemm = (x: string, y: string, transA: number, transB: number) =>
        c.e.op('Gemm', [x, y], { transA, transB, alpha: alpha === 1 ? undefined : fAttr(alpha) });
      // Y = A'B' (A' = tA ? Aᵀ : A, B' likewise); each case below is dA or dB laid out as the stored input.
      const da = !c.needsGrad(0) ? undefined
        : !tA ? gemm(g, b, 0, tB ? 0 : 1)
        : gemm(b, g, tB ? 1 : 0, 1);
      const db = !c.needsGrad(1) ? undefined
        : !tB ? gemm(a, g, tA ? 0 : 1, 0)
        : gemm(g, a, 1, tA ? 1 : 0);
      let dc: string | undefined;
      if (c.hasInput(2) && c.needsGrad(2)) {
        const scaled = beta === 1 ? g : c.e.mul(g, c.scalar(beta, c.output(0)));
        dc = c.unbroadcast(scaled, c.input(2));
      }
      return [da, db, dc];
    },
  },
};
