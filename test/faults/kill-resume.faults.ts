// The SIGKILL campaign of `npm run test:faults` (not part of `npm test`: it trains ~15 child processes).
// One run is killed at random moments (during set-up, training, evaluation, and while a checkpoint is being
// written) and resumed each time, until it completes; it must end exactly where an uninterrupted run ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent } from '../../src/core/experiment/events.js';
import { judgeRunState, readRunState } from '../../src/core/experiment/run-dir.js';
import { startTraining } from '../../src/worker/spawn.js';
import { mixSeed, mulberry32 } from '../../src/core/data/random.js';
import { metricLines, mlpJson, stepsOf, tmp } from '../experiment/run-helpers.js';

const KILLS = Math.max(10, Number(process.env.FAULT_KILLS ?? 10));
const SEED = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
const STEPS = 150;
const CHECKPOINT_EVERY = 5;
/** Extra kills spent trying to catch a checkpoint half-written, if none of the first ones did. */
const EXTRA_CHECKPOINT_KILLS = 6;
const BUDGET_MS = 150_000;

function experiment(dir: string): string {
  const file = path.join(dir, 'exp.json');
  fs.writeFileSync(file, JSON.stringify(mlpJson(path.join(dir, 'runs'), { steps: STEPS, checkpointEvery: CHECKPOINT_EVERY, evalEvery: 25, seed: 5 })));
  return file;
}

type Kill = 'none' | 'from-spawn' | 'at-step' | 'mid-checkpoint';
interface Attempt { code: number; killed: boolean; leftTemp: boolean; sawProgress: boolean; completed: boolean; setupMs: number; stepMs: number }

/**
 * One child process on the experiment (resuming `runDir` if given), killed as `kill` says: `delay` ms after it is
 * spawned (set-up), `delay` ms after step `step` is reported (training, evaluation, checkpointing), or as the
 * `step`-th checkpoint after the start is being written.
 */
async function attempt(file: string, runDir: string | undefined, kill: Kill, step: number, delay: number): Promise<Attempt> {
  const before = temps(runDir);
  const t0 = performance.now();
  let tStart = t0, killed = false, completed = false, sawProgress = false, watcher: fs.FSWatcher | undefined, dir = runDir;
  const events: RunEvent[] = [];
  const doKill = () => {
    if (!killed && run.child.exitCode === null) killed = run.child.kill('SIGKILL');
  };
  const run = startTraining({ type: 'start', experimentFile: file, resume: runDir }, {
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'done') completed = e.summary.status === 'completed';
      if (e.type === 'step' && kill === 'at-step' && e.metric.step === step) setTimeout(doKill, delay);
      if (e.type !== 'start') return;
      tStart = performance.now();
      dir = e.runDir;
      if (kill === 'mid-checkpoint') {
        const ckpts = path.join(e.runDir, 'checkpoints');
        fs.mkdirSync(ckpts, { recursive: true });
        let seen = 0;
        watcher = fs.watch(ckpts, (_, name) => {
          if (String(name).includes('.tmp-') && ++seen > step) doKill();
        });
      }
    },
    onError: () => {},
  });
  if (kill === 'from-spawn') setTimeout(doKill, delay);
  // run.json as a reader sees it while the run goes on.
  const poll = setInterval(() => {
    const s = dir && readRunState(dir);
    if (s && s.status === 'running' && s.step > 0 && s.pid === run.child.pid) sawProgress = true;
  }, 20);
  const code = await run.exited;
  const steps = events.filter((e) => e.type === 'step').length;
  clearInterval(poll);
  watcher?.close();
  const leftTemp = temps(dir).some((n) => !before.includes(n));
  return { code, killed, leftTemp, sawProgress, completed, setupMs: tStart - t0, stepMs: (performance.now() - tStart) / Math.max(1, steps) };
}

/** Temporary checkpoint folders in a run. */
function temps(runDir: string | undefined): string[] {
  const dir = runDir && path.join(runDir, 'checkpoints');
  return dir && fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.includes('.tmp-')) : [];
}

const onlyRun = (out: string) => {
  const dirs = fs.existsSync(out) ? fs.readdirSync(out).filter((n) => !n.includes('.tmp-')) : [];
  assert.ok(dirs.length <= 1, `one run folder, found ${dirs.join(', ')}`);
  return dirs[0] && path.join(out, dirs[0]);
};

test(`SIGKILL at ${KILLS} random moments, then resume: the same model as an uninterrupted run (seed ${SEED})`, { timeout: BUDGET_MS + 30_000 }, async () => {
  const began = performance.now();
  const refDir = tmp('ft-faults-ref-');
  const ref = await attempt(experiment(refDir), undefined, 'none', 0, 0);
  assert.ok(ref.completed && ref.code === 0);
  const refRun = onlyRun(path.join(refDir, 'runs'))!;
  const reference = fs.readFileSync(path.join(refRun, 'model.onnx'));

  const rand = mulberry32(mixSeed(SEED, 1));
  const log: string[] = [];
  let kills = 0, midCheckpoint = 0, progress = false, attempts = 0, rounds = 0;
  // A round is one run, killed and resumed until it completes; a run that completes before all the kills are spent
  // is checked and the next round starts a new one.
  while (kills < KILLS || (midCheckpoint === 0 && kills < KILLS + EXTRA_CHECKPOINT_KILLS)) {
    rounds++;
    const dir = tmp('ft-faults-');
    const file = experiment(dir);
    for (;;) {
      assert.ok(performance.now() - began < BUDGET_MS, `campaign over its ${BUDGET_MS / 1000} s budget after ${kills} kills:\n${log.join('\n')}`);
      const runDir = onlyRun(path.join(dir, 'runs'));
      const kill: Kill = kills < KILLS ? (['at-step', 'at-step', 'mid-checkpoint', 'from-spawn'] as const)[attempts % 4]
        : midCheckpoint === 0 && kills < KILLS + EXTRA_CHECKPOINT_KILLS ? 'mid-checkpoint' : 'none';
      // Moments drawn over what is left of the run, so that the run does not simply finish first.
      const done = runDir ? readRunState(runDir)?.step ?? 0 : 0;
      const step = kill === 'at-step' ? done + 1 + Math.floor(rand() * (STEPS - done - 2))
        : kill === 'mid-checkpoint' ? Math.floor(rand() * Math.min(4, (STEPS - done) / CHECKPOINT_EVERY - 1)) : 0;
      const delay = kill === 'from-spawn' ? rand() * ref.setupMs * 1.5 : kill === 'at-step' ? rand() * 2 * ref.stepMs : 0;
      const a = await attempt(file, runDir, kill, step, delay);
      attempts++;
      progress ||= a.sawProgress;
      const after = onlyRun(path.join(dir, 'runs'));
      const state = after ? readRunState(after) : undefined;
      const when = kill === 'from-spawn' ? ` ${delay.toFixed(0)} ms in` : kill === 'at-step' ? ` ${delay.toFixed(1)} ms after step ${step}` : kill === 'mid-checkpoint' ? ` checkpoint #${step + 1}` : '';
      log.push(`${rounds}. ${kill}${when}: ${a.killed ? 'killed' : `exit ${a.code}`}` +
        `${a.leftTemp ? ' (mid-checkpoint)' : ''}, run.json ${state ? `${state.status} @${state.step}` : 'absent'}`);
      if (a.killed) {
        kills++;
        if (a.leftTemp) midCheckpoint++;
        // A reader calls the killed run interrupted (or sees the final status if it had just finished).
        if (state?.status === 'running') assert.equal(judgeRunState(state).status, 'interrupted');
        if (after) for (const r of metricLines(after)) assert.equal(typeof r.step, 'number');
        continue;
      }
      assert.equal(a.code, 0, log.join('\n'));
      if (a.completed) break;
    }
    const run = onlyRun(path.join(dir, 'runs'))!;
    const rows = metricLines(run);
    assert.deepEqual(stepsOf(rows), Array.from({ length: STEPS }, (_, i) => i + 1), 'every step once');
    assert.deepEqual(rows.filter((r) => r.split).map((r) => r.step), [0, 25, 50, 75, 100, 125, 150], 'every eval once');
    assert.equal(readRunState(run)?.status, 'completed');
    assert.deepEqual(fs.readdirSync(path.join(run, 'checkpoints')).filter((n) => n.includes('.tmp-')), [], 'no temporaries left');
    assert.ok(fs.readFileSync(path.join(run, 'model.onnx')).equals(reference), 'model.onnx is byte-identical to the uninterrupted run');
  }
  assert.ok(progress, 'run.json showed progress (running, step > 0) while the run trained');
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  console.log(`# ${kills} SIGKILLs (${midCheckpoint} left a checkpoint half-written), ${rounds} run(s), ${attempts} processes, ${seconds} s, seed ${SEED}\n# ${log.join('\n# ')}`);
});
