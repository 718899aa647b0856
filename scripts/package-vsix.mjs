// Packages the extension for linux-x64 as onnx-finetune.vsix (or the path given): production bundles in dist/ plus
// the native modules they load (onnxruntime-node, sharp), which vsce collects from the production dependencies and
// .vscodeignore trims to this platform's binaries. Works offline.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'onnx-finetune.vsix'));
const env = { ...process.env, NODE_ENV: 'production' };
const run = (args) => {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run([path.join(root, 'scripts', 'bundle.mjs')]);
run([path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', 'linux-x64', '--allow-missing-repository', '--out', out]);
