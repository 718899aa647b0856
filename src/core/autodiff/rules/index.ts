import type { RuleTable } from '../rule.js';
import { einsumRules } from './einsum.js';
import { elementwiseRules } from './elementwise.js';
import { indexingRules } from './indexing.js';
import { matmulRules } from './matmul.js';
import { nnRules } from './nn.js';
import { recurrentRules } from './recurrent.js';
import { reduceRules } from './reduce.js';
import { resampleRules } from './resample.js';
import { shapeRules } from './shape.js';

/** opType → gradient rule, for ops of the default ONNX domain. */
export const RULES: RuleTable = {
  ...elementwiseRules, ...matmulRules, ...nnRules, ...shapeRules, ...indexingRules, ...reduceRules, ...resampleRules,
  ...recurrentRules, ...einsumRules,
};
