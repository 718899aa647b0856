// Run by run-exit.test.ts as its own process: trains the MLP and leaves at step 3 the way argv[3] says, so the
// test can read what run.json says afterwards. argv[2] is the output folder.
import { runExperiment } from '../../src/core/experiment/run.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { mlpSpec } from './run-helpers.js';

const [output, how] = process.argv.slice(2);
await runExperiment(mlpSpec(output, { steps: 1000 }), {
  baseDir: FIXTURES,
  onEvent: (e) => {
    if (e.type !== 'step' || e.metric.step !== 3) return;
    if (how === 'exit130') process.exit(130); // what a second Ctrl-C does in the CLI
    if (how === 'exit1') process.exit(1);
    if (how === 'uncaught') setImmediate(() => { throw new Error('boom from a timer'); });
  },
});
