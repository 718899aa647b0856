// Gradual unfreezing (fastai's discipline): `freeze` says what is frozen at step 0, and every `every` steps the next
// stage of `order` (top-down: head first, then the last block, …) starts to train.
import { matchesAny } from '../module-tree.js';
import { UserError } from '../onnx/errors.js';
import type { TrainingSession } from '../session.js';
import type { RunEvent } from './events.js';

export interface UnfreezeSpec {
  /** Steps between two thaws: stage i (0-based) trains from the update after step `every * (i + 1)` on. */
  every: number;
  /** Stages, top-down; each a glob or a list of globs on parameter names or module paths. */
  order: (string | string[])[];
}

const globsOf = (stage: string | string[]) => (typeof stage === 'string' ? [stage] : stage);

/** How many stages train once `step` optimizer steps are done. */
export function stagesThawed(spec: UnfreezeSpec, step: number): number {
  return Math.min(spec.order.length, Math.floor(step / spec.every));
}

/**
 * The schedule of one run. The session's trainable set is a function of its step alone (stages are thawed right
 * after the step that makes them due, before that step's eval and checkpoint), so a resumed run rebuilds it from
 * the checkpoint's step.
 */
export class GradualUnfreeze {
  private thawed = 0;

  /**
   * Checks that every stage thaws something (a stage that matches no parameter `freeze` holds is a mistake) and
   * warns of stages due only after the run's last step.
   */
  constructor(
    private readonly spec: UnfreezeSpec | undefined,
    freeze: string[],
    session: TrainingSession,
    totalSteps: number,
    private readonly emit: (e: RunEvent) => void,
  ) {
    if (!spec) return;
    spec.order.forEach((stage, i) => {
      if (!session.parameters.some((p) => matchesAny(p, freeze) && matchesAny(p, globsOf(stage)))) {
        throw new UserError(`unfreeze.order[${i}] ${JSON.stringify(stage)} matches no parameter that freeze ${JSON.stringify(freeze)} keeps frozen`);
      }
    });
    const reached = stagesThawed(spec, Math.max(0, totalSteps - 1));
    if (reached < spec.order.length) {
      emit({ type: 'log', level: 'warn', message: `unfreeze: only ${reached} of ${spec.order.length} stages thaw within ${totalSteps} steps (one every ${spec.every})` });
    }
  }

  /** Thaws the stages due at the session's step, one recompile each, with an event per stage. */
  async advance(session: TrainingSession): Promise<void> {
    if (!this.spec) return;
    const emit = this.emit;
    const stages = this.spec.order.length;
    for (const due = stagesThawed(this.spec, session.step); this.thawed < due; ) {
      const stage = this.thawed++;
      const params = await session.thaw(globsOf(this.spec.order[stage]));
      const trainableParams = session.parameterCount(true);
      emit({ type: 'unfreeze', step: session.step, stage: stage + 1, stages, params, trainableParams });
      emit({
        type: 'log', level: 'info',
        message: `unfreeze ${stage + 1}/${stages} after step ${session.step}: ${params.length} more tensors train (${globsOf(this.spec.order[stage]).join(', ')}); ${trainableParams.toLocaleString('en-US')} parameters trainable`,
      });
    }
  }

  /** On resume: thaws at once (one recompile) every stage due at the checkpoint's step. */
  async restore(session: TrainingSession, step: number): Promise<void> {
    if (!this.spec) return;
    const due = stagesThawed(this.spec, step);
    if (due <= this.thawed) return;
    await session.thaw(this.spec.order.slice(this.thawed, due).flatMap(globsOf));
    this.thawed = due;
    this.emit({ type: 'log', level: 'info', message: `resuming with ${due}/${this.spec.order.length} unfreeze stages thawed` });
  }
}
