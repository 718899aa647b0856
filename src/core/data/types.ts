export type TensorType = 'float32' | 'int64';
export interface HostTensor { type: TensorType; data: Float32Array | BigInt64Array; dims: number[] }
/** A graph input of the model; string or negative dims are dynamic. */
export interface ModelInput { name: string; type: TensorType; dims: (number | string)[] }
/** labels: int64 [B] class ids, or float32 [B] / [B,K] regression targets; for causal-lm, input_ids itself. */
export interface Batch { inputs: Record<string, HostTensor>; labels: HostTensor; size: number }
export type Task = 'classification' | 'regression' | 'causal-lm';
