// Drives the VS Code workbench the way a user does: the command palette, quick picks, the activity bar, tree views,
// the Explorer's context menu, notifications and webviews. Every step waits on what the UI shows.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { resultsDir } from './paths.js';
import { waitUntil } from './wait.js';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Matches an element whose whole text is `text` (ignoring surrounding spaces). */
export const exactly = (text: string) => new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`);

export type Theme = 'light' | 'dark';
const themes: Record<Theme, { label: string; workbenchClass: string; webviewClass: string }> = {
  light: { label: 'Light Modern', workbenchClass: 'vs', webviewClass: 'vscode-light' },
  dark: { label: 'Dark Modern', workbenchClass: 'vs-dark', webviewClass: 'vscode-dark' },
};

export class Workbench {
  constructor(readonly page: Page) {}

  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  get quickInputBox(): Locator {
    return this.page.locator('.quick-input-widget .quick-input-box input');
  }

  /** A visible row of the open quick input whose label is exactly `label`. */
  quickInputRow(label: string | RegExp): Locator {
    const text = typeof label === 'string' ? exactly(label) : label;
    return this.page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name').filter({ hasText: text }) });
  }

  /**
   * Runs a command from the palette by its full title ("Fine-tune: Fine-tune model"). While the workbench settles the
   * palette can close under the test: such attempts are retried, but only up to the moment the command's row is
   * clicked, so a command never runs twice.
   */
  async runCommand(title: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.page.keyboard.press('Escape');
        await this.page.keyboard.press('F1');
        await this.quickInputBox.waitFor({ state: 'visible', timeout: 5_000 });
        await this.quickInputBox.fill(`>${title}`);
        const row = this.quickInputRow(title).first();
        await row.waitFor({ state: 'visible', timeout: 10_000 });
        if ((await this.quickInputBox.inputValue()) !== `>${title}`) continue;
      } catch (e) {
        lastError = e;
        continue;
      }
      // A click, not Enter: Enter runs the highlighted row, which need not be this one.
      await this.quickInputRow(title).first().click();
      return;
    }
    throw new Error(`could not run "${title}" from the command palette: ${String(lastError ?? 'its row never stayed')}`);
  }

  /** Lists the palette's commands matching `filter`, then closes the palette. */
  async paletteCommands(filter: string): Promise<string[]> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    await this.quickInputBox.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(`>${filter}`);
    const labels = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
    await labels.first().waitFor({ state: 'visible' });
    const texts = (await labels.allTextContents()).map((t) => t.trim());
    await this.page.keyboard.press('Escape');
    await this.quickInput.waitFor({ state: 'hidden' });
    return texts;
  }

  /** Waits for a quick pick to offer `label` and picks it (typing the label first to filter long lists). */
  async quickPick(label: string | RegExp, { filter = true }: { filter?: boolean } = {}): Promise<void> {
    await this.quickInputBox.waitFor({ state: 'visible' });
    if (filter && typeof label === 'string') await this.quickInputBox.fill(label);
    const row = this.quickInputRow(label).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
  }

  /** Types into an open input box (quick input without a list) and accepts it. */
  async inputBox(value: string, { prompt }: { prompt?: string | RegExp } = {}): Promise<void> {
    if (prompt) await this.quickInput.filter({ hasText: prompt }).waitFor({ state: 'visible' });
    await this.quickInputBox.waitFor({ state: 'visible' });
    await this.quickInputBox.fill(value);
    await this.quickInputBox.press('Enter');
  }

  /** The activity-bar entry of a view container ("Explorer", "Fine-tune"). */
  activityBarItem(title: string): Locator {
    return this.page.locator('.part.activitybar .action-item').filter({
      has: this.page.locator(`.action-label[aria-label^="${title}"]`),
    });
  }

  /** Shows a view container in the side bar (a click on an already shown one would hide it). */
  async showViewContainer(title: string): Promise<Locator> {
    const item = this.activityBarItem(title);
    await item.waitFor({ state: 'visible' });
    const sidebarTitle = this.page.locator('.part.sidebar .composite.title');
    if (!((await item.getAttribute('class')) ?? '').split(' ').includes('checked')) await item.click();
    await waitUntil(async () => ((await item.getAttribute('class')) ?? '').split(' ').includes('checked'), {
      what: `the "${title}" view container to be shown`,
    });
    await sidebarTitle.filter({ hasText: new RegExp(escapeRegExp(title), 'i') }).waitFor({ state: 'visible' });
    return this.page.locator('.part.sidebar');
  }

  /** Drags the side bar's edge so that it is `width` pixels wide (tree descriptions stay readable in screenshots). */
  async resizeSidebar(width: number): Promise<void> {
    const sidebar = this.page.locator('.part.sidebar');
    const box = await sidebar.boundingBox();
    if (!box) throw new Error('the side bar is not shown');
    const edge = box.x + box.width;
    const sashes = await this.page.locator('.monaco-sash.vertical').all();
    for (const sash of sashes) {
      const b = await sash.boundingBox();
      if (!b || Math.abs(b.x + b.width / 2 - edge) > 6 || b.height < box.height / 2) continue;
      const y = b.y + b.height / 2;
      await this.page.mouse.move(b.x + b.width / 2, y);
      await this.page.mouse.down();
      await this.page.mouse.move(box.x + width, y, { steps: 5 });
      await this.page.mouse.up();
      await this.page.mouse.move(box.x + width + 300, y); // off the sash, which is highlighted while hovered
      await waitUntil(async () => Math.abs(((await sidebar.boundingBox())?.width ?? 0) - width) < 10, { what: `the side bar to be ${width} px wide` });
      return;
    }
    throw new Error('no sash on the side bar\'s edge');
  }

  /** A row of the side bar's trees whose label is exactly `label`, at a depth if given (1: roots). */
  treeItem(label: string | RegExp, level?: number): Locator {
    const text = typeof label === 'string' ? exactly(label) : label;
    return this.page
      .locator(`.part.sidebar .monaco-list-row${level ? `[aria-level="${level}"]` : ''}`)
      .filter({ has: this.page.locator('.label-name').filter({ hasText: text }) });
  }

  /** Rows of the side bar's trees at a depth (1: roots), optionally only those whose text matches. */
  treeRows(level: number, text?: string | RegExp): Locator {
    const rows = this.page.locator(`.part.sidebar .monaco-list-row[aria-level="${level}"]`);
    return text === undefined ? rows : rows.filter({ hasText: text });
  }

  /** The description (the grey text after the label) of a tree row. */
  async description(row: Locator): Promise<string> {
    return ((await row.locator('.label-description').first().textContent()) ?? '').trim();
  }

  /** Expands a collapsed tree row and waits until it is expanded. */
  async expand(row: Locator): Promise<void> {
    await row.waitFor({ state: 'visible' });
    const expanded = async () => (await row.getAttribute('aria-expanded')) === 'true';
    // A row without children has no aria-expanded yet: wait until it can be expanded, then click its twistie.
    await waitUntil(async () => {
      if ((await row.getAttribute('aria-expanded')) !== 'false') return expanded();
      await row.locator('.monaco-tl-twistie').click();
      return waitUntil(expanded, { timeoutMs: 2_000, what: 'the row to expand' }).catch(() => false);
    }, { what: 'a tree row to expand' });
  }

  /** Opens the context menu of a row (tree or Explorer) and picks `item`. */
  async contextMenu(row: Locator, item: string): Promise<void> {
    await row.waitFor({ state: 'visible' });
    await row.click({ button: 'right' });
    const entry = this.page.locator('.context-view .monaco-menu .action-item').filter({
      has: this.page.locator('.action-label').filter({ hasText: exactly(item) }),
    });
    await entry.first().waitFor({ state: 'visible' });
    // A click can land while the menu is still settling (it then stays open, the item only highlighted): the item
    // runs when the menu closes, so click again only while it is still open.
    const menu = this.page.locator('.context-view .monaco-menu');
    await waitUntil(async () => {
      if (!(await menu.isVisible())) return true;
      await entry.first().click({ timeout: 5_000 }).catch(() => undefined);
      return menu.waitFor({ state: 'hidden', timeout: 2_000 }).then(() => true, () => false);
    }, { what: `the context menu to run "${item}" and close` });
  }

  /**
   * The items of a row's context menu once it offers all of `expected` (menus follow context keys, which settle
   * after start-up: the menu is opened again until they are there, or the wait ends with what it last offered).
   */
  async contextMenuOffering(row: Locator, expected: string[], { screenshot }: { screenshot?: string } = {}): Promise<string[]> {
    let items: string[] = [];
    try {
      await waitUntil(async () => {
        items = await this.contextMenuItems(row);
        return expected.every((e) => items.includes(e));
      }, { what: `the context menu to offer ${expected.join(', ')}`, intervalMs: 500 });
    } catch (e) {
      throw new Error(`${(e as Error).message}; it offers: ${items.join(' | ')}`);
    }
    return screenshot ? this.contextMenuItems(row, { screenshot }) : items;
  }

  /** The items of a row's context menu (closed again afterwards; `screenshot` names a picture of it while open). */
  async contextMenuItems(row: Locator, { screenshot }: { screenshot?: string } = {}): Promise<string[]> {
    await row.waitFor({ state: 'visible' });
    await row.click({ button: 'right' });
    const labels = this.page.locator('.context-view .monaco-menu .action-item .action-label');
    await labels.first().waitFor({ state: 'visible' });
    const texts = (await labels.allTextContents()).map((t) => t.trim()).filter(Boolean);
    if (screenshot) await this.screenshot(screenshot);
    await this.page.keyboard.press('Escape');
    await this.page.locator('.context-view .monaco-menu').waitFor({ state: 'hidden' });
    return texts;
  }

  /** An Explorer row by its path relative to the workspace root, expanding the folders above it. */
  async explorerItem(relativePath: string): Promise<Locator> {
    await this.showViewContainer('Explorer');
    const parts = relativePath.split('/');
    let row: Locator | undefined;
    for (let i = 0; i < parts.length; i++) {
      row = this.page
        .locator('.explorer-folders-view .monaco-list-row')
        .filter({ has: this.page.locator('.label-name').filter({ hasText: exactly(parts[i]!) }) })
        .first();
      if (i < parts.length - 1) await this.expand(row);
    }
    await row!.waitFor({ state: 'visible' });
    return row!;
  }

  notification(text: string | RegExp): Locator {
    return this.page.locator('.notification-list-item').filter({ hasText: text });
  }

  /**
   * The content frame of a webview. Webviews sit in `iframe.webview` → `#active-frame`; with several open, `title`
   * picks the one whose editor tab or view has that title (the outer iframe carries it).
   */
  webview(title?: string): FrameLocator {
    const outer = title ? `iframe.webview[title="${title}"]` : 'iframe.webview.ready';
    return this.page.frameLocator(outer).first().frameLocator('#active-frame');
  }

  /**
   * Switches the colour theme as a user does: "Preferences: Color Theme" and a click on the theme (typing would
   * start a Marketplace search, offline). code-server does not notice settings.json edited from outside.
   */
  async setTheme(theme: Theme): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    await this.quickPick(themes[theme].label, { filter: false });
    await this.page.locator(`.monaco-workbench.${themes[theme].workbenchClass}`).waitFor({ state: 'attached' });
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Waits until a webview's body carries the theme's class (VS Code passes the theme into webviews). */
  async waitForWebviewTheme(frame: FrameLocator, theme: Theme): Promise<void> {
    await frame.locator(`body.${themes[theme].webviewClass}`).waitFor({ state: 'attached' });
  }

  /** Writes test-results/e2e/NAME.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(resultsDir, 'e2e', `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    return file;
  }
}
