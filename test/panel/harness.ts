// Looks at the panel without VS Code: serves dist/webview over 127.0.0.1, loads it in headless Chromium under the
// real CSP with a fake acquireVsCodeApi wired to a real PanelHost (in-thread jobs), opens each section on made-up
// runs and the shipped digits model, and saves screenshots. Needs Debian's chromium and playwright-core:
//   node out/test/panel/harness.js OUTDIR [light|dark]
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { panelHtml } from '../../src/extension/panel/panel-html.js';
import { PanelHost } from '../../src/extension/panel/panel-host.js';
import { inProcessJobs } from '../../src/extension/panel/jobs-run.js';
import type { ToWebview } from '../../src/contracts/panel.js';
import { digitsExperiment, digitsRun, metricLines, REPO, tmp } from './fixtures.js';

// Browser globals inside page callbacks (this file compiles without the DOM library).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
type Page = any;

// A few of VS Code's Dark Modern / Light Modern theme colours (the real workbench defines them all).
const THEMES = {
  dark: {
    '--vscode-foreground': '#cccccc', '--vscode-editor-background': '#1f1f1f', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-charts-blue': '#3794ff',
    '--vscode-charts-orange': '#d18616', '--vscode-editorWidget-border': '#454545', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-dropdown-background': '#313131', '--vscode-dropdown-foreground': '#cccccc', '--vscode-dropdown-border': '#3c3c3c', '--vscode-input-background': '#313131', '--vscode-input-foreground': '#cccccc',
    '--vscode-panelTitle-activeForeground': '#e7e7e7', '--vscode-panelTitle-inactiveForeground': '#9d9d9d', '--vscode-panelTitle-activeBorder': '#0078d4',
  },
  light: {
    '--vscode-foreground': '#3b3b3b', '--vscode-editor-background': '#ffffff', '--vscode-descriptionForeground': '#717171', '--vscode-charts-blue': '#1a85ff',
    '--vscode-charts-orange': '#c27d1a', '--vscode-editorWidget-border': '#c8c8c8', '--vscode-font-family': 'sans-serif', '--vscode-font-size': '13px',
    '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff', '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-dropdown-background': '#ffffff', '--vscode-dropdown-foreground': '#3b3b3b', '--vscode-dropdown-border': '#cecece', '--vscode-input-background': '#ffffff', '--vscode-input-foreground': '#3b3b3b',
    '--vscode-settings-checkboxBackground': '#f8f8f8', '--vscode-settings-checkboxForeground': '#3b3b3b', '--vscode-settings-checkboxBorder': '#cecece',
    '--vscode-panelTitle-activeForeground': '#3b3b3b', '--vscode-panelTitle-inactiveForeground': '#3b3b3b', '--vscode-panelTitle-activeBorder': '#005fb8',
  },
};

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? tmp('panel-shots-'));
  const theme = (process.argv[3] ?? 'dark') as keyof typeof THEMES;
  fs.mkdirSync(out, { recursive: true });
  const webroot = path.join(REPO, 'dist', 'webview');
  let index = '';
  const server = http.createServer((req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(index);
    // The theme's colours as VS Code gives them: variables on the root element, set before the script runs.
    if (req.url === '/theme.css') return void res.writeHead(200, { 'content-type': 'text/css' }).end(`:root { ${Object.entries(THEMES[theme]).map(([k, v]) => `${k}: ${v};`).join(' ')} }`);
    const f = path.join(webroot, path.basename(new URL(req.url!, 'http://x').pathname));
    if (!fs.existsSync(f)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f.endsWith('.css') ? 'text/css' : 'text/javascript' }).end(fs.readFileSync(f));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  index = panelHtml({ cspSource: origin, script: `${origin}/panel.js`, style: `${origin}/panel.css`, nonce: 'harnessnonce' })
    .replace('<title>', `<link rel="stylesheet" href="${origin}/theme.css">\n<title>`);

  // Data: a live-looking run with 100k steps, a second run, checkpoints with predictions, a tiny CSV.
  const big = await digitsRun({ metrics: metricLines(100_000, { evalEvery: 5000, retention: 'retention (digits 0-4)' }) });
  const preds = (shift: number) => [{ split: 'validation', rows: Array.from({ length: 20 }, (_, i) => ({ index: i, label: i % 10, prediction: (i + (i < shift ? 1 : 0)) % 10, confidence: 0.5 + i / 50, example: `example text number ${i}` })) }];
  const small = await digitsRun({ predictions: { 50: preds(6), 100: preds(0) } });
  const csvDir = tmp('panel-csv-');
  const csv = path.join(csvDir, 'reviews.csv');
  fs.writeFileSync(csv, 'comment,verdict\n"the parcel came two days late and damaged",neg\n"exactly what I ordered, thanks a lot",pos\n"fine, nothing special",neutral\n"would not buy this again, it broke",neg\n"great value for the money, recommended",pos\nbroken,row,here\n');
  const exp = digitsExperiment();

  const pw = 'playwright-core'; // optional: npm i --no-save playwright-core@1.65.1
  const { chromium } = await import(pw);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page: Page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m: any) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e: Error) => errors.push(e.message));
  const host = new PanelHost(
    // As a JSON string: Playwright's own serializer is slow on 40k-row messages.
    (m: ToWebview) => void page.evaluate((json: string) => window.postMessage(JSON.parse(json), '*'), JSON.stringify(m)).catch(() => {}),
    { onRunEvent: () => ({ dispose() {} }), listRuns: async () => [big, small].map((r) => ({ runDir: r.runDir, label: path.basename(path.dirname(r.runDir)), experimentFile: exp, status: 'completed' as const })), log: (s) => errors.push(s) },
    inProcessJobs,
    { saveFile: async () => true },
  );
  await page.exposeBinding('__toHost', (_src: unknown, m: unknown) => void host.receive(m));
  await page.addInitScript(() => {
    let state: unknown;
    window.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => window.__toHost(m),
      getState: () => state,
      setState: (s: unknown) => (state = s),
    });
  });
  await page.goto(`${origin}/`);

  process.on('unhandledRejection', (e) => errors.push(String(e)));
  try {
    await sections();
  } catch (e) {
    await page.screenshot({ path: path.join(out, `${theme}-failure.png`), fullPage: true });
    console.log(`FAILED: ${(e as Error).message.split('\n')[0]}\npage errors:\n${errors.join('\n')}`);
    process.exitCode = 1;
  }
  host.dispose();
  await browser.close();
  server.close();
  console.log(errors.length ? `page errors:\n${errors.join('\n')}` : 'no page errors');
  console.log(`screenshots in ${out}`);

  async function sections(): Promise<void> {
  const shot = async (name: string) => page.screenshot({ path: path.join(out, `${theme}-${name}.png`), fullPage: true });
  await host.show({ section: 'preview', file: csv });
  await page.locator('[data-testid="preview-row"]').first().waitFor();
  await page.locator('[data-testid="label-bar-neg"]').waitFor();
  await shot('preview');
  // A wide file (65 columns): the rows must stay in view under the role dropdowns.
  await host.show({ section: 'preview', file: path.join(REPO, 'examples', 'digits', 'digits.csv') });
  await page.locator('[data-testid="role-select-pixel_7_7"]').waitFor();
  await page.screenshot({ path: path.join(out, `${theme}-preview-wide.png`) });

  await host.show({ section: 'model', experimentFile: exp });
  await page.locator('[data-testid="trainable-count"]').waitFor();
  const before = await page.locator('[data-testid="trainable-count"]').getAttribute('data-trainable');
  await page.locator('[data-testid="module-toggle-classifier"]').click();
  await page.waitForFunction((b: string) => document.querySelector('[data-testid="trainable-count"]')?.getAttribute('data-trainable') !== b, before);
  await shot('model');
  console.log(`model: trainable ${before} → ${await page.locator('[data-testid="trainable-count"]').getAttribute('data-trainable')}; freeze in file: ${JSON.stringify(JSON.parse(fs.readFileSync(exp, 'utf8')).freeze)}`);

  await host.show({ section: 'curves', runDirs: [big.runDir, small.runDir] });
  const t0 = Date.now();
  await page.locator('[data-testid="chart-summary-train-loss"]', { hasText: '100000 points' }).waitFor({ timeout: 60_000 });
  console.log(`curves: 2 runs, 100,000 + 100 steps shown in ${Date.now() - t0} ms`);
  await shot('curves');
  console.log(`curves: ${await page.locator('[data-testid="chart-summary-train-loss"]').textContent()}`);

  await host.show({ section: 'diff', a: small.checkpoints[0], b: small.checkpoints[1] });
  await page.locator('[data-testid="flipped-row"]').first().waitFor();
  await shot('diff');
  console.log(`diff: ${await page.locator('[data-testid="diff-summary"]').textContent()}; flipped rows ${await page.locator('[data-testid="flipped-row"]').count()}`);

  }
}

await main();
