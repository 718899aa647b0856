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
 * As in torch, each param has its own step count (state['step']), which starts at its first update: a param that
 * joins later (gradual unfreezing: torch skips params whose .grad is None) gets its own bias correction.
 */
export class AdamW implements Optimizer {
  readonly name = 'adamw';
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  private readonly weightDecay: number;
  /** Optimizer steps taken (the `step` scalar of checkpoints). */
  private t = 0;
  private steps = new Map<string, number>();
  private expAvg = new Map<string, Float32Array>();
  private expAvgSq = new Map<string, Float32Array>();

  constructor(opts: AdamWOptions = {}) {
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
  }

  step(params: TrainParam[], groups: ParamGroup[], lr: number): number {
    const { beta1, beta2, eps } = this;
    this.t++;
    let squares = 0;
    for (const p of params) {
      const { lr: plr, weightDecay } = groupSettings(p, groups, lr, this.weightDecay);
      const t = (this.steps.get(p.name) ?? 0) + 1;
      this.steps.set(p.name, t);
      const biasCorrection1 = 1 - beta1 ** t;
      // torch divides by sqrt(1 - beta2^t); multiplying by its inverse differs by at most an ulp of a double, far
      // below the float32 rounding of the result, and spares a division per value (the loop is compute-bound).
      const inverseBiasCorrection2Sqrt = 1 / Math.sqrt(1 - beta2 ** t);
      const m = stateFor(this.expAvg, p, 'exp_avg');
      const v = stateFor(this.expAvgSq, p, 'exp_avg_sq');
      const decay = 1 - plr * weightDecay;
      const stepSize = plr / biasCorrection1;
      const oneMinusBeta1 = 1 - beta1, oneMinusBeta2 = 1 - beta2;
      const { data, grad } = p;
      // One pass, each array read and written once: the float32 values torch stores (decayed param, moments) are
      // rounded where it stores them (Math.fround), so the result is the same as updating the arrays in place.
      for (let i = 0; i < data.length; i++) {
        const g = grad[i];
        squares += g * g;
        const decayed = Math.fround(data[i] * decay);
        const mi = Math.fround(beta1 * m[i] + oneMinusBeta1 * g);
        const vi = Math.fround(beta2 * v[i] + oneMinusBeta2 * g * g);
        m[i] = mi;
        v[i] = vi;
        const denom = Math.sqrt(vi) * inverseBiasCorrection2Sqrt + eps;
        data[i] = decayed - stepSize * (mi / denom);
      }
    }
    return squares;
  }

  stateTensors(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    stateRecord('exp_avg', this.expAvg, out);
    stateRecord('exp_avg_sq', this.expAvgSq, out);
    return out;
  }

  /** `step`, plus `step.<param>` for each param whose own count differs (it joined later). */
  stateScalars(): Record<string, number> {
    const out: Record<string, number> = { step: this.t };
    for (const [name, n] of this.steps) if (n !== this.t) out[`step.${name}`] = n;
    return out;
  }

  loadState(tensors: Record<string, Float32Array>, scalars: Record<string, number>): void {
    const count = (key: string, fallback: number) => {
      const n = scalars[key] ?? fallback;
      if (!Number.isInteger(n) || n < 0) throw new Error(`adamw state "${key}" must be a non-negative integer, got ${n}`);
      return n;
    };
    const step = count('step', 0);
    const split = splitState(tensors, ['exp_avg', 'exp_avg_sq'], 'adamw');
    this.expAvg = split.get('exp_avg')!;
    this.expAvgSq = split.get('exp_avg_sq')!;
    for (const key of Object.keys(scalars)) {
      if (key !== 'step' && !(key.startsWith('step.') && this.expAvg.has(key.slice(5)))) {
        throw new Error(`adamw state has unexpected scalar "${key}" (expected step or step.<param with state>)`);
      }
    }
    this.steps = new Map([...this.expAvg.keys()].map((name) => [name, count(`step.${name}`, step)]));
    this.t = step;
  }
}
