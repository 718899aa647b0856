// Runs the end-to-end flows in test/e2e/flows against the packaged extension (onnx-finetune.vsix, made by
// `npm run package`) in code-server + Debian's chromium: compiles test/e2e with its own tsconfig, empties
// test-results/e2e (the flows' screenshots) and runs the flow files one at a time with node's test runner,
// optionally only those whose name contains one of the arguments (`npm run test:e2e -- smoke`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', '..');
const harness = path.join(root, 'test', 'e2e');
if (!fs.existsSync(path.join(harness, 'node_modules', '.e2e-install-stamp'))) {
  console.error('the E2E harness is not installed: run scripts/e2e/install.sh (or npm run e2e:install)');
  process.exit(1);
}
const run = (args, opts = {}) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts }).status ?? 1;

const out = path.join(harness, 'out');
fs.rmSync(out, { recursive: true, force: true });
if (run([path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(harness, 'tsconfig.json')]) !== 0) process.exit(1);

const flows = path.join(out, 'flows');
const filters = process.argv.slice(2);
const files = fs.readdirSync(flows)
  .filter((f) => f.endsWith('.test.js'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => path.join(flows, f));
if (files.length === 0) {
  console.error(`no E2E flow files in ${flows}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
fs.rmSync(path.join(root, 'test-results', 'e2e'), { recursive: true, force: true });
process.exit(run(['--test', '--test-concurrency=1', '--test-timeout=600000', ...files]));
