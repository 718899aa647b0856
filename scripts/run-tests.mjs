// Runs the compiled test files with node's test runner. Node 22+ rejects a directory argument and Node 20 has no
// globs, so the files are listed here: every `*.test.js` under out/test (helpers are not tests), optionally only
// those whose path contains one of the arguments (`node scripts/run-tests.mjs data/ engine/`).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '..', 'out', 'test');
const filters = process.argv.slice(2);
const files = fs.readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.js') && !f.split(path.sep).includes('e2e'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => path.join(root, f));
if (files.length === 0) {
  console.error(`no test files under ${root}${filters.length ? ` matching ${filters.join(', ')}` : ''}`);
  process.exit(1);
}
// V8 sizes its young generation from the heap limit, and Node 24's V8 makes it several times larger than Node 20's:
// pinning it (16 MiB semi-spaces) keeps the peak-RSS bounds of the memory tests (200 MB
// CSV, bound 100 MiB: Node 20 +96 unpinned, +54 pinned; Node 24 +277 unpinned, +78 pinned) meaning the same on every Node.
const r = spawnSync(process.execPath, ['--max-semi-space-size=16', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
