import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelProto } from 'onnx-buf';
import { applyLora, loraTrainable } from '../../src/core/lora/setup.js';
import { matchesAny, parameterInfos } from '../../src/core/module-tree.js';
import { compileTraining, prepareModel } from '../../src/core/training-graph.js';
import { BERT_TINY, buildBert } from '../../scripts/bench/bert.js';
import { batchFeeds, makeBatch } from '../../scripts/bench/data.js';

/** Nodes none of whose outputs is read or a graph output: ONNX Runtime still runs them. */
function deadNodes(m: ModelProto): string[] {
  const read = new Set(m.graph!.node.flatMap((n) => n.input));
  for (const o of m.graph!.output) read.add(o.name);
  return m.graph!.node.filter((n) => !n.output.some((o) => read.has(o))).map((n) => `${n.opType} ${n.name} (${n.docString})`);
}

test('BERT training graphs compute no gradient that nothing reads (frozen biases, the attention mask): full, frozen, LoRA', async () => {
  const feeds = batchFeeds(makeBatch(2, 8, BERT_TINY.vocabSize, BERT_TINY.numLabels));
  const prepared = prepareModel(buildBert(BERT_TINY));
  const params = parameterInfos(prepared.graph!);
  const lora = { r: 2, alpha: 4, seed: 1, target: ['*attention.self.query', '*attention.self.value'] };
  const { model, lora: injection } = await applyLora(prepared, lora);
  const configs: [string, ModelProto, string[]][] = [
    ['full', prepared, params.map((p) => p.name)],
    ['frozen', prepared, params.filter((p) => !matchesAny(p, ['bert.embeddings.*', 'bert.encoder.layer.0.*'])).map((p) => p.name)],
    ['LoRA', model, loraTrainable(parameterInfos(model.graph!), injection, ['classifier.*'])],
  ];
  for (const [name, m, trainable] of configs) {
    const compiled = await compileTraining(m, { task: 'classification', trainable, sample: feeds });
    assert.deepEqual(deadNodes(compiled.train), [], name);
  }
});
