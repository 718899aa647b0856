#!/usr/bin/env bash
# Installs what `npm run test:e2e` needs, offline (Debian packages and the npm registry only), idempotently:
#   - Debian: chromium (the browser playwright-core drives), libkrb5-dev (code-server's kerberos module builds from
#     source), ripgrep (VS Code's search binary, otherwise downloaded from GitHub).
#   - test/e2e/node_modules: code-server 4.99.4 (VS Code 1.99) and playwright-core, from test/e2e/package-lock.json,
#     apart from the project's own install. code-server's postinstall refuses to run as root and downloads ripgrep,
#     so it runs with --ignore-scripts and its steps are done here by hand (see ../shared/design/e2e-recipe.md).
# A stamp in test/e2e/node_modules holds the lockfile's hash; a second run with the same lockfile does nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
harness="$root/test/e2e"
stamp="$harness/node_modules/.e2e-install-stamp"
export npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# Native modules compile against the local Node headers (node-gyp would download them otherwise).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

log() { printf 'e2e install: %s\n' "$*"; }

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  log "apt-get install ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "chromium, ripgrep, libkrb5-dev already installed"
fi

want="$(sha256sum "$harness/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "code-server and playwright-core already installed in test/e2e/node_modules"
  exit 0
fi

log "npm ci in test/e2e (install scripts off)"
(cd "$harness" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
log "building argon2 from source (its prebuilt download needs the network)"
(cd "$harness" && npm rebuild argon2 --loglevel=error)

vscode="$harness/node_modules/code-server/lib/vscode"
log "installing VS Code's own dependencies"
(cd "$vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
mkdir -p "$vscode/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$vscode/node_modules/@vscode/ripgrep/bin/rg"
log "building VS Code's native modules (node-pty, spdlog, kerberos, ...)"
(cd "$vscode" && npm rebuild --loglevel=error)
ln -sfn node_modules "$vscode/node_modules.asar"
(cd "$vscode/bin/remote-cli" && ln -sfn code-linux.sh code-server)
(cd "$vscode/bin/helpers" && ln -sfn browser-linux.sh browser.sh)
log "installing the built-in extensions' shared dependencies"
(cd "$vscode/extensions" && npm install --omit=dev --no-audit --no-fund --loglevel=error)

echo "$want" > "$stamp"
log "done"
