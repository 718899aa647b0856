// Bundles what VS Code loads: the extension host entry and the training child (CommonJS, for VS Code 1.99's
// extension host), the panel's webview app (browser IIFE + CSS), and the experiment JSON Schema for jsonValidation.
// Native modules stay external and ship in the .vsix.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..');
const dist = path.join(root, 'dist');
const production = process.env.NODE_ENV === "production";
if (production) fs.rmSync(path.join(root, "dist"), { recursive: true, force: true });
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };
const node = { ...common, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'onnxruntime-node', 'sharp'],
  // Bundled ESM sources read import.meta.url; CommonJS has __filename instead.
  define: { 'import.meta.url': 'importMetaUrl' }, banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" } };

fs.mkdirSync(dist, { recursive: true });
await Promise.all([
  esbuild.build({ ...node, entryPoints: { extension: 'src/extension/extension.ts', child: 'src/worker/child.ts', 'offthread-worker': 'src/extension/offthread-worker.ts', 'panel-worker': 'src/extension/panel/jobs-worker.ts' }, outdir: dist, outExtension: { '.js': '.cjs' } }),
  esbuild.build({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: { panel: 'webview-ui/src/main.ts' }, outdir: path.join(dist, 'webview'),
    loader: { '.css': 'css' } }),
]);
const { experimentSchema } = await import(path.join(root, 'out/src/core/experiment/schema.js'));
fs.writeFileSync(path.join(dist, 'experiment.schema.json'), JSON.stringify(experimentSchema, null, 2) + '\n');
