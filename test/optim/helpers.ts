import type { Optimizer, ParamGroup, TrainParam } from '../../src/core/optim/types.js';

export const f = Math.fround;

export function param(name: string, data: number[], group = 0): TrainParam {
  return { name, data: Float32Array.from(data), grad: new Float32Array(data.length), group };
}

/** Gradients for steps 0..2, per param. */
export const GRADS: Record<string, number[][]> = {
  w: [[0.5, -0.25, 1], [0.1, 0.2, -0.3], [-1, 0.5, 0.25]],
  b: [[2, -4], [1, 1], [0.5, -0.5]],
};

/** Runs `steps` optimizer steps with GRADS as the gradients. */
export function run(opt: Optimizer, params: TrainParam[], groups: ParamGroup[], lr: number, steps = 3): void {
  for (let s = 0; s < steps; s++) {
    for (const p of params) p.grad.set(GRADS[p.name][s]);
    opt.step(params, groups, lr);
  }
}
