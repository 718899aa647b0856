/** The experiment's `lora` field (Hugging Face PEFT's LoraConfig, the parts this engine supports). */
export interface LoraSpec {
  r: number;
  alpha: number;
  /** Only 0 is supported (no dropout on the adapters' input). */
  dropout?: number;
  /** Globs on parameter names or module paths: the MatMul/Gemm weights that get adapters. */
  target: string[];
  /** Globs of parameters that train beside the adapters (a new classifier head). */
  trainAlso?: string[];
  /** PEFT safetensors file (`base_model.model.<module>.lora_A.weight` / `.lora_B.weight`) to start the adapters from. */
  init?: string;
}

/** One adapted weight: y = xW + (alpha/r)·(x·Aᵀ)·Bᵀ at every MatMul/Gemm that reads it. */
export interface LoraTarget {
  /** Initializer name of the base weight W. */
  weight: string;
  /** Module path (`encoder.layer.0.attention.self.query`), as `finetune inspect` shows it. */
  module: string;
  /** W is stored [in, out] (MatMul, Gemm transB=0) or [out, in] (Gemm transB=1). */
  layout: 'in-out' | 'out-in';
  in: number;
  out: number;
  /** Initializer names of A [r, in] and B [out, r]. */
  a: string;
  b: string;
}

export interface LoraInjection {
  targets: LoraTarget[];
  r: number;
  scale: number;
}

/** PEFT's tensor names for a module's adapters. */
export const peftName = (module: string, which: 'A' | 'B') => `base_model.model.${module}.lora_${which}.weight`;

/** Every node and constant the rewrite adds is named under this prefix, so merging can take them out again. */
export const LORA_PREFIX = 'lora/';
