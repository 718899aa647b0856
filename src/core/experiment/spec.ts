import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import type { DataSpec } from '../data/types.js';
import { UserError } from '../onnx/errors.js';
import type { OptimizerSpec } from '../optim/types.js';
import type { LoraSpec } from '../lora/types.js';
import type { GroupSpec } from '../session.js';
import type { Task } from '../training-graph.js';
import { experimentSchema } from './schema.js';
import type { UnfreezeSpec } from './unfreeze.js';

export interface ExperimentSpec {
  name?: string;
  model: string;
  task: Task;
  prediction?: string;
  /** Tensor the loss reads (a model output or an inner value); wins over `prediction`. */
  modelOutput?: string;
  data: DataSpec;
  /** Source-task rows: `data` is evaluated alongside; `mix` of each epoch's rows come from `train` (else `data`). */
  retention?: { name?: string; data: string; train?: string; mix?: number };
  batchSize: number;
  steps?: number;
  epochs?: number;
  shuffle: boolean;
  seed: number;
  evalEvery?: number;
  checkpointEvery?: number;
  threads: number;
  gradientAccumulation: number;
  optimizer: OptimizerSpec;
  freeze: string[];
  /** Gradual unfreezing: stages of `freeze`d parameters that start to train one every `every` steps. */
  unfreeze?: UnfreezeSpec;
  groups?: GroupSpec[];
  /** LoRA adapters instead of full fine-tuning (`freeze` and `unfreeze` are not used with it). */
  lora?: LoraSpec;
  output: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(experimentSchema);

function describe(err: ErrorObject): string {
  const field = err.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
  if (err.keyword === 'additionalProperties') return `${field === '(top level)' ? '' : field + '.'}${(err.params as { additionalProperty: string }).additionalProperty} is not a known field`;
  if (err.keyword === 'enum') return `${field} must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field} ${err.message}`;
}

/** Validates a parsed experiment and fills in defaults; errors name each bad field. */
export function parseExperiment(value: unknown, source = 'experiment'): ExperimentSpec {
  const spec = structuredClone(value) as Record<string, unknown>;
  if (!validate(spec)) {
    throw new UserError(`${source}: invalid experiment:\n${(validate.errors ?? []).map((e) => `  - ${describe(e)}`).join('\n')}`);
  }
  if (spec.lora && ((spec.freeze as string[] | undefined)?.length || spec.unfreeze)) {
    throw new UserError(`${source}: lora trains only its adapters and lora.trainAlso: remove ${spec.unfreeze ? 'unfreeze' : 'freeze'}`);
  }
  spec.optimizer ??= { name: 'adamw', lr: 5e-5 };
  spec.freeze ??= [];
  spec.threads ??= Math.min(os.availableParallelism(), 8);
  return spec as unknown as ExperimentSpec;
}

/**
 * Reads and validates an experiment file. `overrides` (command-line values) replace top-level fields before
 * validation, so they are checked by the same schema and named in the same message.
 */
export function readExperiment(file: string, overrides: Record<string, unknown> = {}): { spec: ExperimentSpec; baseDir: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read experiment ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (Object.keys(overrides).length) {
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UserError(`${file}: an experiment must be a JSON object`);
    json = { ...json, ...overrides };
  }
  const source = Object.keys(overrides).length ? `${file} with ${Object.keys(overrides).map((k) => `--${k}`).join(', ')}` : file;
  return { spec: parseExperiment(json, source), baseDir: path.dirname(path.resolve(file)) };
}
