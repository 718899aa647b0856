// A checkpoint as a plain inference model: the run's model, in its original form, with the checkpoint's parameters
// written where each came from (what `exportModelForInference` writes at the end of a run, for any checkpoint).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES } from '../experiment/run-dir.js';
import { UserError } from '../onnx/errors.js';
import { loadModel, saveModel } from '../onnx/model.js';
import { DT, makeTensor } from '../onnx/tensor.js';
import { originalWithValues } from '../original-form.js';
import { prepareModel } from '../training-graph.js';
import { loadCheckpoint } from './checkpoint.js';

export async function exportCheckpoint(runDir: string, checkpointDir: string, out: string): Promise<{ replaced: number }> {
  let spec: { model?: string };
  try {
    spec = JSON.parse(fs.readFileSync(path.join(runDir, RUN_FILES.experiment), 'utf8'));
  } catch (e) {
    throw new UserError(`${runDir}: cannot read ${RUN_FILES.experiment} (${(e as Error).message})`);
  }
  if (typeof spec.model !== 'string') throw new UserError(`${runDir}: ${RUN_FILES.experiment} names no model`);
  const original = loadModel(spec.model);
  const prepared = prepareModel(original, spec.model);
  const { params } = await loadCheckpoint(checkpointDir);
  const names = new Set(prepared.graph!.initializer.map((t) => t.name));
  const values = new Map(Object.entries(params).filter(([name]) => names.has(name)).map(([name, p]) => [name, p.data]));
  if (values.size === 0) throw new UserError(`${checkpointDir}: no parameter of the checkpoint is in ${spec.model}`);
  // The original graph with the checkpoint's values; the normalized one when a value has no place in it.
  const restored = originalWithValues(original, prepared.graph!, values);
  let model = restored.model;
  if (restored.unplaced.length) {
    model = prepared;
    model.graph!.initializer = model.graph!.initializer.map((t) => {
      const v = values.get(t.name);
      return v ? makeTensor(t.name, t.dims.map(Number), v, DT.FLOAT) : t;
    });
  }
  const replaced = values.size;
  try {
    const labels = fs.readFileSync(path.join(runDir, RUN_FILES.labels), 'utf8');
    model.metadataProps = model.metadataProps.filter((p) => p.key !== 'labels');
    model.metadataProps.push({ $typeName: 'onnx.StringStringEntryProto', key: 'labels', value: JSON.stringify(JSON.parse(labels)) });
  } catch {
    // regression and causal-LM runs have no labels
  }
  await saveModel(model, out);
  return { replaced };
}
