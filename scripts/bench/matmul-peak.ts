import ort from 'onnxruntime-node';
import { DT, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';
import { serializeModel } from '../../src/core/onnx/model.js';

export interface MatMulRate {
  m: number;
  k: number;
  n: number;
  /** Median seconds of one MatMul. */
  seconds: number;
  gflops: number;
}

/**
 * ONNX Runtime's fp32 MatMul throughput on this machine: a session computing X[m,k] · W[k,n] (W a constant), timed
 * over `runs` runs after warm-up. Only a 1×1 slice of the product leaves the session, so the time is the MatMul's.
 */
export async function measureMatMul(m: number, k: number, n: number, threads: number, runs = 15): Promise<MatMulRate> {
  const rng = new Rng(5);
  const b = new GraphBuilder({ opset: 17 });
  const x = b.input('x', DT.FLOAT, [m, k]);
  const w = b.initializer('w', [k, n], rng.normals(k * n, 0.05));
  const y = b.op('MatMul', [x, w]);
  const corner = b.op('Slice', [y, b.i64([0, 0]), b.i64([1, 1]), b.i64([0, 1])]);
  b.output(corner, 'y', DT.FLOAT, [1, 1]);
  const session = await ort.InferenceSession.create(serializeModel(b.build()), {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  try {
    const feeds = { x: new ort.Tensor('float32', rng.normals(m * k, 1), [m, k]) };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const seconds = median(times);
    return { m, k, n, seconds, gflops: (2 * m * k * n) / seconds / 1e9 };
  } finally {
    await session.release();
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
