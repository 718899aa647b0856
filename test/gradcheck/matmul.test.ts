import { f } from '../../src/core/onnx/attributes.js';
import { frozen, rand, testOps, type OpCase } from '../helpers/gradcheck.js';

const M = 3, K = 4, N = 2;
/** A and B laid out for transA/transB. */
const a = (t: number) => (t ? rand(K, M) : rand(M, K));
const b = (t: number) => (t ? rand(N, K) : rand(K, N));
const gemm: OpCase[] = [];
for (const transA of [0, 1]) {
  for (const transB of [0, 1]) {
    gemm.push({ name: `transA=${transA} transB=${transB}, C [N]`, op: 'Gemm', inputs: [a(transA), b(transB), rand(N)], attrs: { transA, transB } });
    gemm.push({
      name: `transA=${transA} transB=${transB}, alpha/beta, C [M,N]`, op: 'Gemm', inputs: [a(transA), b(transB), rand(M, N)],
      attrs: { transA, transB, alpha: f(0.7), beta: f(-1.3) },
    });
  }
}

// float32: batched MatMuls differentiate through onnxruntime's FusedMatMul (transposed operand), float32 only.
const fusedMatMul: OpCase[] = [
  { name: 'batched 3-D', inputs: [rand(2, 3, 4), rand(2, 4, 5)] },
  { name: '4-D attention-like', inputs: [rand(2, 2, 3, 4), rand(2, 2, 4, 3)] },
  { name: '4-D @ 3-D broadcast', inputs: [rand(2, 1, 3, 4), rand(3, 4, 2)] },
  { name: '[1,3,4] @ [2,4,5] batch broadcast', inputs: [rand(1, 3, 4), rand(2, 4, 5)] },
  { name: '[2,3] @ [2,2,3,4] (2-D @ 4-D)', inputs: [rand(2, 3), rand(2, 2, 3, 4)] },
  { name: '1-D @ 3-D', inputs: [rand(4), rand(2, 4, 3)] },
  { name: '3-D @ 1-D', inputs: [rand(2, 3, 4), rand(4)] },
].map((c): OpCase => ({ ...c, name: `${c.name}, FusedMatMul`, op: 'MatMul', dtype: 'float' }));

testOps([
  ...fusedMatMul,
  { name: '2-D', op: 'MatMul', inputs: [rand(3, 4), rand(4, 5)] },
  { name: 'batched 3-D', op: 'MatMul', inputs: [rand(2, 3, 4), rand(2, 4, 5)] },
  { name: '[B,T,K] @ [K,N]', op: 'MatMul', inputs: [rand(2, 3, 4), rand(4, 5)] },
  { name: '[K,N] weight frozen', op: 'MatMul', inputs: [rand(2, 3, 4), frozen(rand(4, 5))] },
  { name: '4-D @ 3-D broadcast', op: 'MatMul', inputs: [rand(2, 1, 3, 4), rand(3, 4, 2)] },
  { name: '[1,3,4] @ [2,4,5] batch broadcast', op: 'MatMul', inputs: [rand(1, 3, 4), rand(2, 4, 5)] },
  { name: '[2,3] @ [2,2,3,4] (2-D @ 4-D)', op: 'MatMul', inputs: [rand(2, 3), rand(2, 2, 3, 4)] },
  { name: '1-D @ 2-D', op: 'MatMul', inputs: [rand(4), rand(4, 5)] },
  { name: '2-D @ 1-D', op: 'MatMul', inputs: [rand(3, 4), rand(4)] },
  { name: '1-D @ 1-D', op: 'MatMul', inputs: [rand(4), rand(4)] },
  { name: '1-D @ 3-D', op: 'MatMul', inputs: [rand(4), rand(2, 4, 3)] },
  { name: '3-D @ 1-D', op: 'MatMul', inputs: [rand(2, 3, 4), rand(4)] },
  ...gemm,
  { name: 'C [1,N]', op: 'Gemm', inputs: [rand(M, K), rand(K, N), rand(1, N)] },
  { name: 'C [M,1]', op: 'Gemm', inputs: [rand(M, K), rand(K, N), rand(M, 1)] },
  { name: 'C scalar, beta 2', op: 'Gemm', inputs: [rand(M, K), rand(K, N), rand()], attrs: { beta: f(2) } },
  { name: 'C absent, alpha 0.5', op: 'Gemm', inputs: [rand(M, K), rand(K, N)], attrs: { alpha: f(0.5) } },
  { name: 'transB, C frozen', op: 'Gemm', inputs: [rand(M, K), rand(N, K), frozen(rand(N))], attrs: { transB: 1 } },
]);
