import type { ModelProto } from 'onnx-buf';
import { f } from '../../src/core/onnx/attributes.js';
import { DT, GraphBuilder, Rng } from '../../src/core/onnx/builder.js';

/** Sizes of a BERT-style encoder (names as Hugging Face's BertConfig). */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  numLabels: number;
  layerNormEps: number;
  seed: number;
}

/** BERT-mini-sized (4 layers, hidden 256, 4 heads) with an 8000-token vocabulary: about 5.4M parameters. */
export const BERT_MINI: BertConfig = {
  vocabSize: 8000, hiddenSize: 256, numLayers: 4, numHeads: 4, intermediateSize: 1024,
  maxPositions: 512, typeVocabSize: 2, numLabels: 2, layerNormEps: 1e-12, seed: 1234,
};

/** BERT-base-sized (12 layers, hidden 768, 12 heads, FFN 3072) with BERT's 30522-token vocabulary: about 109M parameters. */
export const BERT_BASE: BertConfig = {
  vocabSize: 30522, hiddenSize: 768, numLayers: 12, numHeads: 12, intermediateSize: 3072,
  maxPositions: 512, typeVocabSize: 2, numLabels: 2, layerNormEps: 1e-12, seed: 1234,
};

/** One layer, hidden 32: for smoke tests. */
export const BERT_TINY: BertConfig = {
  vocabSize: 100, hiddenSize: 32, numLayers: 1, numHeads: 4, intermediateSize: 64,
  maxPositions: 64, typeVocabSize: 2, numLabels: 2, layerNormEps: 1e-12, seed: 7,
};

/**
 * A BERT-for-sequence-classification graph shaped like what the PyTorch TorchScript exporter (opset 17) emits for
 * Hugging Face's BertForSequenceClassification in eval mode: Gather embeddings (word + position + token type),
 * dynamic Shape/Gather/Concat → Reshape to heads, (1 - mask) · -10000 additive mask, erf-GELU as
 * Div/Erf/Add/Mul/Mul, Linear layers on 3-D inputs as MatMul + Add(bias, ·) with [in, out] weights, the pooler and
 * classifier as Gemm(transB=1) with [out, in] weights. Parameters carry HF names (`bert.encoder.layer.0.…`), so
 * freeze globs like `bert.embeddings.*` work. Inputs input_ids / attention_mask int64 [batch, sequence]; output
 * `logits` [batch, numLabels]. Weights ~ N(0, 0.02²), biases 0, LayerNorm 1/0, from a seeded generator.
 */
export function buildBert(cfg: BertConfig): ModelProto {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, nh = cfg.numHeads, d = H / nh;
  if (!Number.isInteger(d)) throw new Error(`hidden size ${H} is not a multiple of ${nh} heads`);
  const b = new GraphBuilder({ opset: 17, graphName: 'torch_jit', producer: 'onnx-finetune bench (BERT builder)' });
  const rng = new Rng(cfg.seed);
  const normal = (name: string, dims: number[]) => b.initializer(name, dims, rng.normals(dims.reduce((x, y) => x * y, 1), 0.02));
  const filled = (name: string, n: number, v: number) => b.initializer(name, [n], new Float32Array(n).fill(v));

  const inputIds = b.input('input_ids', DT.INT64, ['batch', 'sequence']);
  const attentionMask = b.input('attention_mask', DT.INT64, ['batch', 'sequence']);

  /** x @ W + b (a Linear on a 3-D input): weight stored [in, out], as the exporter writes it for MatMul. */
  const linear = (scope: string, x: string, nIn: number, nOut: number) => b.scope(scope, () => {
    const w = normal(`${scope}.weight`, [nIn, nOut]);
    const bias = filled(`${scope}.bias`, nOut, 0);
    return b.op('Add', [bias, b.op('MatMul', [x, w])]);
  });
  /** Linear on a 2-D input: Gemm with transB=1 and a [out, in] weight. */
  const gemm = (scope: string, x: string, nIn: number, nOut: number) => b.scope(scope, () =>
    b.op('Gemm', [x, normal(`${scope}.weight`, [nOut, nIn]), filled(`${scope}.bias`, nOut, 0)], { alpha: f(1), beta: f(1), transB: 1 }));
  const layerNorm = (scope: string, x: string) => b.scope(scope, () =>
    b.op('LayerNormalization', [x, filled(`${scope}.weight`, H, 1), filled(`${scope}.bias`, H, 0)], { axis: -1, epsilon: f(cfg.layerNormEps) }));
  /** Dim `i` of `x`'s shape as a 1-element int64 tensor (Shape → Gather → Unsqueeze, as exported). */
  const dim = (x: string, i: number) => b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', [x]), b.i64([i], [])], { axis: 0 }), b.i64([0])]);

  // Embeddings.
  const hidden0 = b.scope('bert.embeddings', () => {
    const seqLen = dim(inputIds, 1);
    const positionIds = b.initializer('bert.embeddings.position_ids', [1, cfg.maxPositions],
      BigInt64Array.from({ length: cfg.maxPositions }, (_, i) => BigInt(i)));
    const tokenTypeBuffer = b.initializer('bert.embeddings.token_type_ids', [1, cfg.maxPositions], new BigInt64Array(cfg.maxPositions));
    const words = b.scope('bert.embeddings.word_embeddings', () =>
      b.op('Gather', [normal('bert.embeddings.word_embeddings.weight', [cfg.vocabSize, H]), inputIds]));
    const tokenTypeIds = b.op('Expand', [
      b.op('Slice', [tokenTypeBuffer, b.i64([0]), seqLen, b.i64([1]), b.i64([1])]),
      b.op('Shape', [inputIds]),
    ]);
    const types = b.scope('bert.embeddings.token_type_embeddings', () =>
      b.op('Gather', [normal('bert.embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]), tokenTypeIds]));
    const positions = b.scope('bert.embeddings.position_embeddings', () =>
      b.op('Gather', [normal('bert.embeddings.position_embeddings.weight', [cfg.maxPositions, H]),
        b.op('Slice', [positionIds, b.i64([0]), seqLen, b.i64([1]), b.i64([1])])]));
    return layerNorm('bert.embeddings.LayerNorm', b.op('Add', [b.op('Add', [words, types]), positions]));
  });

  // Extended attention mask: (1 - mask[:, None, None, :]) * -10000.
  const extendedMask = b.op('Mul', [
    b.op('Sub', [b.f32(1), b.op('Cast', [b.op('Unsqueeze', [b.op('Unsqueeze', [attentionMask, b.i64([1])]), b.i64([2])])], { to: DT.FLOAT })]),
    b.f32(-10000),
  ]);

  let hidden = hidden0;
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    hidden = b.scope(p, () => {
      const x = hidden;
      const toHeads = (v: string, perm: number[]) => b.op('Transpose', [
        b.op('Reshape', [v, b.op('Concat', [dim(v, 0), dim(v, 1), b.i64([nh]), b.i64([d])], { axis: 0 })], { allowzero: 0 }),
      ], { perm });
      const attention = b.scope(`${p}.attention`, () => {
        const q = toHeads(linear(`${p}.attention.self.query`, x, H, H), [0, 2, 1, 3]);
        // key.transpose(-1, -2) after the head transpose: the exporter fuses the two into one perm.
        const kT = toHeads(linear(`${p}.attention.self.key`, x, H, H), [0, 2, 3, 1]);
        const v = toHeads(linear(`${p}.attention.self.value`, x, H, H), [0, 2, 1, 3]);
        const context = b.scope(`${p}.attention.self`, () => {
          const scores = b.op('Add', [b.op('Div', [b.op('MatMul', [q, kT]), b.f32(Math.sqrt(d))]), extendedMask]);
          const probs = b.op('Softmax', [scores], { axis: -1 });
          const ctx = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
          return b.op('Reshape', [ctx, b.op('Concat', [dim(ctx, 0), dim(ctx, 1), b.i64([H])], { axis: 0 })], { allowzero: 0 });
        });
        const dense = linear(`${p}.attention.output.dense`, context, H, H);
        return layerNorm(`${p}.attention.output.LayerNorm`, b.scope(`${p}.attention.output`, () => b.op('Add', [dense, x])));
      });
      const inter = linear(`${p}.intermediate.dense`, attention, H, I);
      const gelu = b.scope(`${p}.intermediate.intermediate_act_fn`, () => {
        const erf = b.op('Erf', [b.op('Div', [inter, b.f32(Math.SQRT2)])]);
        return b.op('Mul', [b.op('Mul', [inter, b.op('Add', [erf, b.f32(1)])]), b.f32(0.5)]);
      });
      const out = linear(`${p}.output.dense`, gelu, I, H);
      return layerNorm(`${p}.output.LayerNorm`, b.scope(`${p}.output`, () => b.op('Add', [out, attention])));
    });
  }

  const pooled = b.scope('bert.pooler', () => {
    const first = b.op('Gather', [hidden, b.i64([0], [])], { axis: 1 });
    return b.op('Tanh', [gemm('bert.pooler.dense', first, H, H)]);
  });
  const logits = gemm('classifier', pooled, H, cfg.numLabels);
  b.output(logits, 'logits', DT.FLOAT, ['batch', cfg.numLabels]);
  return b.build();
}

/** Parameter count of a config: total, and trainable when the embeddings and the first `frozenLayers` are frozen. */
export function bertParamCounts(cfg: BertConfig, frozenLayers = 0): { total: number; trainable: number } {
  const H = cfg.hiddenSize, I = cfg.intermediateSize;
  const embeddings = (cfg.vocabSize + cfg.maxPositions + cfg.typeVocabSize) * H + 2 * H;
  const layer = 4 * (H * H + H) + (H * I + I) + (I * H + H) + 4 * H;
  const head = (H * H + H) + (H * cfg.numLabels + cfg.numLabels);
  const total = embeddings + cfg.numLayers * layer + head;
  const trainable = frozenLayers > 0 ? (cfg.numLayers - frozenLayers) * layer + head : total;
  return { total, trainable };
}

export interface StepFlops {
  forward: number;
  backward: number;
  total: number;
}

/**
 * Matrix-multiply FLOPs (2·m·n·k each) of one training step on a [batch, seq] batch, counted from the dims.
 * Forward: per layer Q/K/V/output (4·H²), FFN (2·H·I) per token, and scores + context (2·S²·H) per sequence.
 * Backward: each matmul needs the gradients of the operands that depend on trained parameters — dW for trained
 * Linears (1× its forward cost) and dX where the input requires a gradient (1×). With `frozenLayers` = k (> 0, the
 * embeddings frozen too), layers < k have no backward and layer k's Q/K/V skip dX; with nothing frozen, the
 * backward is 2× the forward. Embedding Gathers, LayerNorm and elementwise ops are not counted.
 */
export function bertStepFlops(cfg: BertConfig, batch: number, seq: number, frozenLayers = 0): StepFlops {
  const H = cfg.hiddenSize, I = cfg.intermediateSize, T = batch * seq;
  const qkv = 3 * 2 * T * H * H, dense = 2 * T * H * H, ffn = 2 * 2 * T * H * I;
  const attn = 2 * (2 * batch * seq * seq * H);
  const layerFwd = qkv + dense + ffn + attn;
  const head = 2 * batch * H * H + 2 * batch * H * cfg.numLabels;
  const forward = cfg.numLayers * layerFwd + head;
  let backward = 0;
  for (let l = 0; l < cfg.numLayers; l++) {
    if (l < frozenLayers) continue;
    const inputNeedsGrad = l > frozenLayers || frozenLayers === 0;
    backward += 2 * layerFwd - (inputNeedsGrad ? 0 : qkv);
  }
  backward += 2 * head;
  return { forward, backward, total: forward + backward };
}
