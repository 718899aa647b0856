// One test file's world: a workspace copied from the shipped digits example, a throwaway code-server with the
// packaged extension installed, and a headless Chromium page on its workbench. `close()` ends all of it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { baseSettings, installExtension, makeDirs, startCodeServer, writeUserSettings, type CodeServer } from './code-server.js';
import { checkPrerequisites, chromiumPath, exampleDir, vsixPath } from './paths.js';
import { Workbench } from './workbench.js';

export interface Session {
  wb: Workbench;
  server: CodeServer;
  /** The workspace folder on disk (a copy of examples/digits). */
  workspace: string;
  /** "Developer: Reload Window" from the palette, then waits for the new workbench to be ready. */
  reloadWindow(): Promise<void>;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Adjusts the workspace before code-server opens it. */
  prepareWorkspace?: (workspace: string) => void;
}

const since = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const note = (message: string) => process.stderr.write(`e2e: ${message}\n`);

export async function openSession(name: string, options: SessionOptions = {}): Promise<Session> {
  checkPrerequisites();
  const t0 = Date.now();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `finetune-e2e-${name.replace(/\W+/g, '-')}-`));
  const workspace = path.join(home, 'digits');
  fs.cpSync(exampleDir, workspace, { recursive: true });
  options.prepareWorkspace?.(workspace);
  const dirs = makeDirs(path.join(home, 'code-server'));
  const settings = { ...baseSettings, ...options.settings };
  writeUserSettings(dirs, settings);
  await installExtension(dirs, vsixPath);
  note(`${name}: extension installed after ${since(t0)}`);

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    server = await startCodeServer(dirs, workspace);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    const wb = new Workbench(page);
    const url = `${server.url}/?folder=${encodeURIComponent(workspace)}`;
    const ready = async () => {
      await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
      // The extension's contributions are in once its activity-bar entry shows; the start-up is over once the side
      // bar shows its content (the Explorer's files, or the view restored by a reload) and extensions are no longer
      // being activated.
      await wb.activityBarItem('Fine-tune').waitFor({ state: 'visible', timeout: 60_000 });
      await page.locator('.part.sidebar').locator('.monaco-list-row, .welcome-view-content').first().waitFor({ state: 'visible', timeout: 60_000 });
      await page.locator('.part.statusbar').filter({ hasText: 'Activating Extensions' }).waitFor({ state: 'hidden', timeout: 60_000 });
    };
    note(`${name}: code-server answered after ${since(t0)}`);
    await page.goto(url);
    await ready();
    note(`${name}: workbench ready after ${since(t0)}`);
    const reloadWindow = async () => {
      const loaded = page.waitForEvent('load', { timeout: 60_000 });
      await wb.runCommand('Developer: Reload Window');
      await loaded;
      await ready();
    };
    return { wb, server, workspace, reloadWindow, close };
  } catch (e) {
    const tail = server?.logTail() ?? '';
    await close();
    throw new Error(`${e instanceof Error ? e.message : String(e)}${tail ? `\ncode-server log:\n${tail}` : ''}`, { cause: e });
  }
}
