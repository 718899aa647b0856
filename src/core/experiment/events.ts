/** What a run reports while it trains: the CLI prints these, the child process forwards them to the host. */
export interface StepMetric { step: number; loss: number; lr: number; gradNorm: number; seconds: number; epoch: number }
export interface EvalMetric { step: number; split: string; loss: number; accuracy?: number; examples: number }

export interface RunSummary {
  runDir: string;
  status: 'completed' | 'stopped';
  steps: number;
  totalSteps: number;
  trainableParams: number;
  totalParams: number;
  secondsPerStep: number;
  /** Eval rows before training (step 0) and after the last step, per split. */
  before: EvalMetric[];
  after: EvalMetric[];
  modelPath?: string;
}

export type RunEvent =
  | { type: 'start'; runDir: string; /** The training process. */ pid: number; totalSteps: number; trainableParams: number; totalParams: number; frozen: string[]; resumedFrom?: number }
  | { type: 'step'; metric: StepMetric }
  | { type: 'eval'; metric: EvalMetric }
  | { type: 'checkpoint'; step: number; dir: string }
  /** Gradual unfreezing thawed stage `stage` (1-based) of `stages` after `step`: `params` train from now on. */
  | { type: 'unfreeze'; step: number; stage: number; stages: number; params: string[]; trainableParams: number }
  | { type: 'log'; level: 'info' | 'warn'; message: string }
  | { type: 'done'; summary: RunSummary };
