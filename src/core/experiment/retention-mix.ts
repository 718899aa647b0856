// "Mix N% source data into training": the remedy for forgetting that the retention set makes visible.
import { RowsSource } from '../data/batches.js';
import { openDataset } from '../data/index.js';
import { MixedSource } from '../data/mix.js';
import type { BatchSource, Dataset, OpenOptions } from '../data/types.js';
import type { RunEvent } from './events.js';
import type { ExperimentSpec } from './spec.js';

/** The training rows, with `retention.mix` of them drawn from the source task's rows when the spec asks for it. */
export async function withRetentionMix(spec: ExperimentSpec, dataset: Dataset, open: OpenOptions, emit: (e: RunEvent) => void): Promise<BatchSource> {
  const train = dataset.splits.train;
  const retention = spec.retention;
  if (!retention?.mix) return train;
  const file = retention.train ?? retention.data;
  if (!retention.train) {
    emit({ type: 'log', level: 'warn', message: `retention.mix trains on rows of retention.data (${file}), which the retention eval also reads; give the source task's training rows as retention.train to keep that eval held out` });
  }
  // Encoded exactly as the training rows (same columns, tokenizer, length, label ids), since they share batches.
  const { columns, tokenizer, maxLength, skipBadRows, header } = spec.data;
  const extra = (await openDataset({ train: file, labels: dataset.labels, columns, tokenizer, maxLength, skipBadRows, header }, open)).splits.train;
  if (!(train instanceof RowsSource) || !(extra instanceof RowsSource)) throw new Error('retention.mix needs indexed row sources');
  const mixed = new MixedSource(train, extra, retention.mix);
  emit({ type: 'log', level: 'info', message: `mixing ${mixed.size - train.size} rows of ${file} into each epoch of ${train.size} training rows (${Math.round(retention.mix * 100)}%)` });
  return mixed;
}
