// A flow test that, when it fails, leaves what is needed to see why: a screenshot of the window at that moment, the
// notifications, and the tails of the extension host's and the extension's own logs, appended to the error.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { Session } from './session.js';

function logFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String)
    .filter((f) => /(exthost|Fine-tune)[^/]*\.log$/.test(f))
    .map((f) => path.join(dir, f));
}

const tail = (file: string, lines: number) => fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');

export async function diagnostics(s: Session, name: string): Promise<string> {
  const out: string[] = [];
  const shot = await s.wb.screenshot(`FAILED-${name.replace(/\W+/g, '-').slice(0, 60)}`).catch((e: Error) => `(no screenshot: ${e.message})`);
  out.push(`screenshot: ${shot}`);
  const notes = await s.wb.page.locator('.notification-list-item').allTextContents().catch(() => []);
  if (notes.length) out.push(`notifications:\n  ${notes.map((n) => n.trim()).join('\n  ')}`);
  for (const f of logFiles(path.join(s.server.dirs.userData, 'logs'))) out.push(`${path.basename(f)}:\n${tail(f, 25)}`);
  return out.join('\n');
}

/** `test(name, fn)` with the window's state added to the error of a failing flow. */
export function flow(name: string, session: () => Session | undefined, fn: () => Promise<void>): void {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      const s = session();
      if (!s || !(e instanceof Error)) throw e;
      e.message += `\n--- diagnostics ---\n${await diagnostics(s, name)}`;
      throw e;
    }
  });
}
