/** A trainable float32 tensor. `data` and `grad` are views into the engine's contiguous buffers. */
export interface TrainParam {
  name: string;
  data: Float32Array;
  grad: Float32Array;
  /** Index into the `ParamGroup[]` passed to `Optimizer.step`. */
  group: number;
}

export interface ParamGroup {
  /** The group's lr is the scheduled lr times this. */
  lrScale: number;
  /** Overrides the optimizer's weight decay for this group. */
  weightDecay?: number;
}

export type ScheduleSpec =
  | { type: 'constant'; warmupSteps?: number }
  | { type: 'linear'; warmupSteps?: number }
  | { type: 'cosine'; warmupSteps?: number; numCycles?: number };

export interface OptimizerSpec {
  name: 'sgd' | 'adamw';
  lr: number;
  momentum?: number;
  weightDecay?: number;
  betas?: [number, number];
  eps?: number;
  nesterov?: boolean;
  dampening?: number;
  schedule?: ScheduleSpec;
  maxGradNorm?: number;
}

export interface Optimizer {
  readonly name: string;
  /**
   * One update of every param with its group's lr (`lr * lrScale`). Returns the sum of the squared gradients it
   * read, in double, param by param in order: the gradient norm's square (gradNorm's sum) without another pass.
   */
  step(params: TrainParam[], groups: ParamGroup[], lr: number): number;
  /** Live state tensors keyed like "exp_avg.<param>"; copy them if kept past the next step. */
  stateTensors(): Record<string, Float32Array>;
  /** Scalar state, e.g. `{ step }`. */
  stateScalars(): Record<string, number>;
  /** Replaces all state; the arrays are copied. */
  loadState(tensors: Record<string, Float32Array>, scalars: Record<string, number>): void;
}
