import { groupSettings, splitState, stateFor, stateRecord } from './groups.js';
import type { Optimizer, ParamGroup, TrainParam } from './types.js';

export interface AdamWOptions {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * torch.optim.AdamW (non-amsgrad, single-tensor path). Arithmetic in doubles, moments and params
 * stored as float32, in torch's order: decay the param, update the moments, then the Adam step.
 */
export class AdamW implements Optimizer {
  readonly name = 'adamw';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  private t = 0;
  private expAvg = new Map<string, Float32Array>();
  private expAvgSq = new Map<string, Float32Array>();

  constructor(opts: AdamWOptions = {}) {
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }

  step(params: TrainParam[], groups: ParamGroup[], lr: number): void {
    const { beta1, beta2, eps } = this;
    const t = ++this.t;
    const biasCorrection1 = 1 - beta1 ** t;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** t);
    for (const p of params) {
      const { lr: plr, weightDecay } = groupSettings(p, groups, lr, this.weightDecay);
      const m = stateFor(this.expAvg, p, 'exp_avg');
      const v = stateFor(this.expAvgSq, p, 'exp_avg_sq');
      const decay = 1 - plr * weightDecay;
      const stepSize = plr / biasCorrection1;
      const { data, grad } = p;
      for (let i = 0; i < data.length; i++) {
        const g = grad[i];
        data[i] *= decay;
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        const denom = Math.sqrt(v[i]) / biasCorrection2Sqrt + eps;
        data[i] -= stepSize * (m[i] / denom);
      }
    }
  }

  stateTensors(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    stateRecord('exp_avg', this.expAvg, out);
    stateRecord('exp_avg_sq', this.expAvgSq, out);
    return out;
  }

  stateScalars(): Record<string, number> {
    return { step: this.t };
  }

  loadState(tensors: Record<string, Float32Array>, scalars: Record<string, number>): void {
    const step = scalars.step ?? 0;
    if (!Number.isInteger(step) || step < 0) throw new Error(`adamw state "step" must be a non-negative integer, got ${step}`);
    const split = splitState(tensors, ['exp_avg', 'exp_avg_sq'], 'adamw');
    this.expAvg = split.get('exp_avg')!;
    this.expAvgSq = split.get('exp_avg_sq')!;
    this.t = step;
  }
}
