import type { LoraSpec } from '../../src/core/lora/types.js';
import { TrainingSession } from '../../src/core/session.js';
import type { Batch } from './data.js';
import { batchFeeds } from './data.js';
import { median } from './matmul-peak.js';

export interface RunConfig {
  id: string;
  label: string;
  /** Freeze globs (empty: full fine-tuning). */
  freeze: string[];
  /** Leading encoder layers frozen (with the embeddings), for the FLOP count. */
  frozenLayers: number;
  /** LoRA adapters instead (PEFT init; base weights frozen). */
  lora?: LoraSpec;
}

export interface RunResult {
  id: string;
  trainable: number;
  total: number;
  setupSeconds: number;
  /** Seconds per step (trainStep + optimizerStep), median over the timed steps. */
  stepSeconds: number;
  trainStepSeconds: number;
  optimizerStepSeconds: number;
  steps: number[];
  /** Minor page faults per timed step (first touches of fresh memory: expensive in some VMs). */
  pageFaultsPerStep: number;
  losses: number[];
  /** Peak resident set size of the process, MiB: by the end of setup (model load + compile), and overall. */
  setupPeakRssMiB: number;
  peakRssMiB: number;
  /** Set-up seconds by phase (ONNX Runtime: load, probe, graph, sessions; see TrainingSession.setupSeconds). */
  setupPhases?: Record<string, number>;
  /** Where the bytes go at the end of the run, MiB (see memoryBreakdown). */
  memory?: MemoryBreakdown;
}

/**
 * The process's memory at the end of the timed steps, MiB. params/grads/optimizer: the trained parameters, their
 * gradients and AdamW's two moments (4 bytes a value each); frozen: the frozen weights (a JS copy in the engine,
 * tensors in PyTorch); otherJs: the rest of the JS ArrayBuffers (for the engine mostly ONNX Runtime's per-run copies
 * of the gradient outputs that the garbage collector has not freed yet); runtime: the rest of the peak RSS (ORT's
 * arena and activations, or PyTorch's activations and allocator, plus the runtime's own code and heap).
 */
export interface MemoryBreakdown { params: number; grads: number; optimizer: number; frozen: number; otherJs: number; runtime: number }

const MIB = 2 ** 20;

function memoryBreakdown(trainable: number, total: number, peakRssMiB: number): MemoryBreakdown {
  const params = (trainable * 4) / MIB, frozen = ((total - trainable) * 4) / MIB;
  const arrays = process.memoryUsage().arrayBuffers / MIB;
  const otherJs = Math.max(0, arrays - 4 * params - frozen);
  return { params, grads: params, optimizer: 2 * params, frozen, otherJs, runtime: peakRssMiB - arrays };
}

export const LR = 5e-5;
export const WEIGHT_DECAY = 0.01;

/** Runs warm-up + timed AdamW steps of one configuration on the same batch; meant to run in its own process. */
export async function runOrt(modelPath: string, batch: Batch, cfg: RunConfig, o: { threads: number; warmup: number; steps: number }): Promise<RunResult> {
  const feeds = batchFeeds(batch);
  const t0 = performance.now();
  const session = await TrainingSession.create(modelPath, feeds, {
    task: 'classification',
    freeze: cfg.freeze,
    lora: cfg.lora && { ...cfg.lora, seed: 0 },
    optimizer: { name: 'adamw', lr: LR, weightDecay: WEIGHT_DECAY },
    totalSteps: o.warmup + o.steps,
    threads: o.threads,
  });
  const setupSeconds = (performance.now() - t0) / 1e3;
  const setupPeakRssMiB = process.resourceUsage().maxRSS / 1024;
  const steps: number[] = [], train: number[] = [], optim: number[] = [], losses: number[] = [];
  let faults = 0;
  try {
    for (let s = 0; s < o.warmup + o.steps; s++) {
      if (s === o.warmup) faults = process.resourceUsage().minorPageFault;
      const a = performance.now();
      session.lazyResetGrad();
      const { loss } = await session.trainStep(feeds);
      const b = performance.now();
      session.optimizerStep();
      const c = performance.now();
      losses.push(loss);
      if (s < o.warmup) continue;
      steps.push((c - a) / 1e3);
      train.push((b - a) / 1e3);
      optim.push((c - b) / 1e3);
    }
    faults = process.resourceUsage().minorPageFault - faults;
    const trainable = session.parameterCount(true), total = session.parameterCount(false);
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    return {
      id: cfg.id,
      trainable,
      total,
      setupSeconds,
      stepSeconds: median(steps),
      trainStepSeconds: median(train),
      optimizerStepSeconds: median(optim),
      steps,
      pageFaultsPerStep: faults / o.steps,
      losses,
      setupPeakRssMiB,
      peakRssMiB,
      setupPhases: session.setupSeconds,
      memory: memoryBreakdown(trainable, total, peakRssMiB),
    };
  } finally {
    await session.release();
  }
}
