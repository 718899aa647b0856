// A small CNN for 8×8 grayscale digits, built directly as ONNX, laid out and named as PyTorch would export
//   nn.Sequential features: Conv2d(1,16,3,p=1) ReLU Conv2d(16,32,3,s=2,p=1) ReLU  → Flatten
//   nn.Sequential classifier: Linear(512,64) ReLU Linear(64,10)
// so that freeze globs read naturally (`features.*` keeps the convolutions as pretrained).
import type { ModelProto } from 'onnx-buf';
import { DT, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';

export interface CnnConfig {
  channels: [number, number];
  hidden: number;
  classes: number;
  seed: number;
}

export const DIGITS_CNN: CnnConfig = { channels: [16, 32], hidden: 64, classes: 10, seed: 7 };

/** PyTorch's default init for Conv/Linear (kaiming_uniform_ with a=√5): weight and bias U(±1/√fan_in). */
function uniform(rng: Rng, n: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * bound;
  return out;
}

export function buildDigitsCnn(cfg: CnnConfig = DIGITS_CNN): ModelProto {
  const rng = new Rng(cfg.seed);
  const b = new GraphBuilder({ opset: 17, producer: 'onnx-finetune make-examples' });
  const [c1, c2] = cfg.channels;
  const side = 8, pooled = side / 2;

  const conv = (scope: string, x: string, cin: number, cout: number, stride: number) => b.scope(scope, () => {
    const fanIn = cin * 9;
    const w = b.initializer(`${scope}.weight`, [cout, cin, 3, 3], uniform(rng, cout * cin * 9, fanIn));
    const bias = b.initializer(`${scope}.bias`, [cout], uniform(rng, cout, fanIn));
    return b.op('Conv', [x, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] });
  });
  const linear = (scope: string, x: string, fin: number, fout: number) => b.scope(scope, () => {
    const w = b.initializer(`${scope}.weight`, [fout, fin], uniform(rng, fout * fin, fin));
    const bias = b.initializer(`${scope}.bias`, [fout], uniform(rng, fout, fin));
    return b.op('Gemm', [x, w, bias], { transB: 1 });
  });
  const relu = (scope: string, x: string) => b.scope(scope, () => b.op('Relu', [x]));

  const x = b.input('pixel_values', DT.FLOAT, ['batch', 1, side, side]);
  let h = conv('features.0', x, 1, c1, 1);
  h = relu('features.1', h);
  h = conv('features.2', h, c1, c2, 2);
  h = relu('features.3', h);
  h = b.op('Flatten', [h], { axis: 1 });
  h = linear('classifier.0', h, c2 * pooled * pooled, cfg.hidden);
  h = relu('classifier.1', h);
  h = linear('classifier.2', h, cfg.hidden, cfg.classes);
  b.output(h, 'logits', DT.FLOAT, ['batch', cfg.classes]);
  return b.build();
}
