import { groupSettings, splitState, stateFor, stateRecord } from './groups.js';
import type { Optimizer, ParamGroup, TrainParam } from './types.js';

export interface SgdOptions {
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** torch.optim.SGD (single-tensor path). Arithmetic in doubles, results stored as float32. */
export class Sgd implements Optimizer {
  readonly name = 'sgd';
  private readonly momentum: number;
  private readonly dampening: number;
  private readonly weightDecay: number;
  private readonly nesterov: boolean;
  private buffers = new Map<string, Float32Array>();

  constructor(opts: SgdOptions = {}) {
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.nesterov = opts.nesterov ?? false;
  }

  step(params: TrainParam[], groups: ParamGroup[], lr: number): number {
    const { momentum, dampening, nesterov } = this;
    let squares = 0;
    for (const p of params) {
      const { lr: plr, weightDecay } = groupSettings(p, groups, lr, this.weightDecay);
      const { data, grad } = p;
      if (momentum === 0) {
        for (let i = 0; i < data.length; i++) {
          squares += grad[i] * grad[i];
          data[i] -= plr * (grad[i] + weightDecay * data[i]);
        }
        continue;
      }
      // torch starts the buffer as a copy of the first gradient (no dampening on that step).
      const first = !this.buffers.has(p.name);
      const buf = stateFor(this.buffers, p, 'momentum_buffer');
      for (let i = 0; i < data.length; i++) {
        squares += grad[i] * grad[i];
        const g = grad[i] + weightDecay * data[i];
        buf[i] = first ? g : momentum * buf[i] + (1 - dampening) * g;
        const d = nesterov ? g + momentum * buf[i] : buf[i];
        data[i] -= plr * d;
      }
    }
    return squares;
  }

  stateTensors(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    stateRecord('momentum_buffer', this.buffers, out);
    return out;
  }

  stateScalars(): Record<string, number> {
    return {};
  }

  loadState(tensors: Record<string, Float32Array>, _scalars: Record<string, number>): void {
    this.buffers = splitState(tensors, ['momentum_buffer'], 'sgd').get('momentum_buffer')!;
  }
}
