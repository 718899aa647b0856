// `npm run test:faults`: the SIGKILL-and-resume campaign (test/faults/*.faults.ts) and the fault-case tests of the
// run folder (full disk, permissions, bad paths, oversized batches, corrupt images, exits, signals), on the build.
// FAULT_KILLS (default 12) and FAULT_SEED choose the campaign; it stops itself after 150 s.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', 'out', 'test');
const campaign = fs.readdirSync(path.join(root, 'faults')).filter((f) => f.endsWith('.faults.js')).map((f) => path.join(root, 'faults', f));
const cases = ['run-faults', 'run-data', 'run-exit', 'run-child'].map((f) => path.join(root, 'experiment', `${f}.test.js`));
const started = Date.now();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...campaign, ...cases], { stdio: 'inherit' });
console.log(`test:faults took ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(r.status ?? 1);
