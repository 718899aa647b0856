// Where the harness finds the repository, code-server, the browser, the packaged extension and the results folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/e2e (this file compiles to test/e2e/out/lib/paths.js). */
export const harnessDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoRoot = path.resolve(harnessDir, '..', '..');
export const codeServerEntry = path.join(harnessDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
export const vsixPath = path.resolve(process.env.E2E_VSIX ?? path.join(repoRoot, 'onnx-finetune.vsix'));
export const resultsDir = path.join(repoRoot, 'test-results');
export const exampleDir = path.join(repoRoot, 'examples', 'digits');

/** Fails with the command that fixes it when the harness or the package is missing. */
export function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!fs.existsSync(codeServerEntry)) missing.push(`code-server (${codeServerEntry})`);
  if (!fs.existsSync(chromiumPath)) missing.push(`chromium (${chromiumPath})`);
  if (missing.length) throw new Error(`E2E harness not installed: ${missing.join(', ')}; run scripts/e2e/install.sh`);
  if (!fs.existsSync(vsixPath)) throw new Error(`no packaged extension at ${vsixPath}; run npm run package`);
}
