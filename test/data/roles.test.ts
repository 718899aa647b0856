// Column roles guessed AutoTrain-style (names first, then values), and overridden by the experiment file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferRoles, sortLabels } from '../../src/core/data/index.js';

const roles = (rows: Record<string, unknown>[], opts = {}) =>
  Object.fromEntries(inferRoles(Object.keys(rows[0]), rows, opts).map((c) => [c.name, c.role]));
const reviews = [
  { id: 1, body: 'I loved every minute of this film, the cast was great', verdict: 'good' },
  { id: 2, body: 'Two hours of my life I will never get back again, sadly', verdict: 'bad' },
  { id: 3, body: 'A solid, if unremarkable, entry in the long series', verdict: 'good' },
  { id: 4, body: 'The soundtrack alone is worth the price of the ticket', verdict: 'good' },
  { id: 5, body: 'Dull, slow and far too long for what it has to say', verdict: 'bad' },
];

test('long strings are text, a low-cardinality column is the label, numbers are features', () => {
  assert.deepEqual(roles(reviews), { id: 'feature', body: 'text', verdict: 'label' });
});

test('a column of fractional numbers is a regression target when the task is unknown or regression', () => {
  const rows = reviews.map((r, i) => ({ body: r.body, score: [0.5, 3.25, 1.75, 4.5, 2.125][i] }));
  assert.deepEqual(roles(rows), { body: 'text', score: 'target' });
  assert.deepEqual(roles(rows, { task: 'regression' }), { body: 'text', score: 'target' });
  assert.deepEqual(roles(rows, { task: 'causal-lm' }), { body: 'text', score: 'feature' });
});

test("the model's input names mark pre-tokenized columns; overrides win", () => {
  const rows = [{ input_ids: [1, 2], attention_mask: [1, 1], label: 0 }, { input_ids: [1, 3], attention_mask: [1, 1], label: 1 }];
  assert.deepEqual(roles(rows, { modelInputs: ['input_ids', 'attention_mask'] }), { input_ids: 'input', attention_mask: 'input', label: 'label' });
  assert.deepEqual(roles(reviews, { override: { label: 'id', text: 'verdict' } }), { id: 'label', body: 'ignore', verdict: 'text' });
});

test('label order is stable: integers numerically, strings by code unit (not locale)', () => {
  assert.deepEqual(sortLabels(['10', '2', '1']), ['1', '2', '10']);
  assert.deepEqual(sortLabels(['b', 'B', 'a', 'É']), ['B', 'a', 'b', 'É']);
});

// The rule: a column of a few short values that repeat is a label candidate, whatever the names, also in a
// five-row file; an unsure guess says so.
const five = (labels: (string | number)[]) => [
  'the parcel came two days late and damaged', 'exactly what I ordered, thanks a lot', 'fine, nothing special about it',
  'would not buy this again, it broke', 'great value for the money, recommended',
].map((t, i) => ({ col_a: t, col_b: labels[i] }));
const info = (rows: Record<string, unknown>[], opts = {}) => inferRoles(Object.keys(rows[0]), rows, opts);

test('three repeating short values in five rows are the label, with neutral column names', () => {
  assert.deepEqual(info(five(['neg', 'pos', 'neutral', 'neg', 'pos'])), [{ name: 'col_a', role: 'text' }, { name: 'col_b', role: 'label' }]);
  assert.deepEqual(info(five([0, 1, 2, 0, 1])).map((c) => c.role), ['text', 'label']);
});

test('a label that barely repeats, or one of two repeating columns, is guessed but marked unsure', () => {
  assert.deepEqual(info(five(['a', 'b', 'c', 'd', 'a'])).find((c) => c.name === 'col_b'), { name: 'col_b', role: 'label', unsure: true });
  const two = five(['x', 'y', 'x', 'y', 'x']).map((r, i) => ({ ...r, lang: ['en', 'de', 'en', 'de', 'en'][i] }));
  assert.deepEqual(info(two).filter((c) => c.role === 'label'), [{ name: 'lang', role: 'label', unsure: true }]);
  // Values that never repeat are not a label (ids, free text).
  assert.equal(info(five(['a', 'b', 'c', 'd', 'e'])).find((c) => c.role === 'label'), undefined);
});

test('columns the user set aside are never guessed into a role', () => {
  const rows = five(['neg', 'pos', 'neutral', 'neg', 'pos']);
  assert.deepEqual(info(rows, { ignore: ['col_b'] }).map((c) => c.role), ['text', 'ignore']);
});
