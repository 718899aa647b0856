#!/usr/bin/env node
// Entry point of `npx finetune`: the compiled CLI lives in out/ (built by `npm ci` through the prepare script).
import('../out/src/cli.js')
  .then((cli) => cli.main(process.argv.slice(2)))
  .then((code) => { process.exitCode = code; })
  .catch((e) => {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') console.error('finetune: the CLI is not built yet; run `npm run build` first');
    else console.error(e);
    process.exitCode = 1;
  });
