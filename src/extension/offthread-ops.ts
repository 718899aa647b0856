import { formatInspection, inspectModel } from '../cli/inspect.js';
import { exportCheckpoint } from '../core/checkpoints/export.js';
import { previewDataset } from '../core/data/preview.js';

/** What the worker thread can do; each takes and returns structured-clonable values. */
export const offthreadOps = {
  inspect: async (model: string) => inspectModel(model),
  inspectText: async (model: string) => formatInspection(inspectModel(model)),
  preview: async (file: string) => previewDataset(file),
  exportCheckpoint: async (runDir: string, checkpointDir: string, out: string) => exportCheckpoint(runDir, checkpointDir, out),
};

export type OffthreadOp = keyof typeof offthreadOps;
export type OffthreadResult<K extends OffthreadOp> = Awaited<ReturnType<(typeof offthreadOps)[K]>>;
export interface OffthreadRequest { id: number; op: OffthreadOp; args: unknown[] }
