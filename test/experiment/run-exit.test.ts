import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunState } from '../../src/core/experiment/run-dir.js';
import { tmp } from './run-helpers.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exit-mid-run.js');

function leave(how: string) {
  const out = tmp('ft-exit-');
  const r = spawnSync(process.execPath, [SCRIPT, out, how], { encoding: 'utf8' });
  const [run] = fs.readdirSync(out);
  return { status: r.status, state: readRunState(path.join(out, run))! };
}

test('process.exit during a run (a second Ctrl-C) still writes the final status', () => {
  const quit = leave('exit130');
  assert.equal(quit.status, 130);
  assert.equal(quit.state.status, 'stopped');
  assert.equal(quit.state.step, 3);
  const failed = leave('exit1');
  assert.equal(failed.state.status, 'failed');
  assert.equal(failed.state.error, 'the process exited (code 1) during the run');
});

test('an uncaught exception mid-run is written to run.json as the run\'s error', () => {
  const { status, state } = leave('uncaught');
  assert.equal(status, 1);
  assert.equal(state.status, 'failed');
  assert.equal(state.error, 'boom from a timer');
});
