// A throwaway code-server: its own user-data, extensions and XDG folders under one temporary home, the packaged
// extension installed from the .vsix, bound to a free 127.0.0.1 port, in its own process group (setsid) so that
// stopping it also ends its extension host, file watchers and the training children the extension forks.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { codeServerEntry } from './paths.js';
import { waitUntil } from './wait.js';

export interface CodeServerDirs {
  home: string;
  userData: string;
  extensions: string;
  log: string;
}

export interface CodeServer {
  url: string;
  dirs: CodeServerDirs;
  /** The last lines code-server wrote, for failure messages. */
  logTail(lines?: number): string;
  /** Ends the whole process group and waits until no process of it is left. */
  stop(): Promise<void>;
}

/** Settings that keep start-up quiet and offline; tests add their own on top. */
export const baseSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'security.workspace.trust.enabled': false,
};

export function makeDirs(home: string): CodeServerDirs {
  const dirs = {
    home,
    userData: path.join(home, 'user-data'),
    extensions: path.join(home, 'extensions'),
    log: path.join(home, 'code-server.log'),
  };
  for (const d of [dirs.userData, dirs.extensions, path.join(home, 'xdg-config'), path.join(home, 'xdg-data'), path.join(home, 'xdg-cache')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  return dirs;
}

export function writeUserSettings(dirs: CodeServerDirs, settings: Record<string, unknown>): void {
  const file = path.join(dirs.userData, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // In place, as an editor saves it: VS Code watches this file, and a rename over it can go unnoticed.
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
}

function env(dirs: CodeServerDirs): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(dirs.home, 'xdg-config'),
    XDG_DATA_HOME: path.join(dirs.home, 'xdg-data'),
    XDG_CACHE_HOME: path.join(dirs.home, 'xdg-cache'),
    // code-server passes its environment to the extension host: keep the test runner's own flags out of it.
    NODE_OPTIONS: '',
    NODE_TEST_CONTEXT: '',
  };
}

const common = (dirs: CodeServerDirs) => ['--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];

/** `code-server --install-extension x.vsix` into these throwaway folders. */
export async function installExtension(dirs: CodeServerDirs, vsix: string): Promise<void> {
  const child = spawn(process.execPath, [codeServerEntry, ...common(dirs), '--install-extension', vsix], {
    env: env(dirs),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b));
  child.stderr.on('data', (b: Buffer) => (out += b));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || !/successfully installed/i.test(out)) {
    throw new Error(`installing ${vsix} into code-server failed (exit ${code}):\n${out.trim()}`);
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.listen(0, '127.0.0.1', resolve).on('error', reject));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Process group id → the throwaway home its processes name on their command lines. */
const liveGroups = new Map<number, string>();
let exitHookInstalled = false;

/** Last resort when a test process ends without `stop()` (a crash, a timeout kill): no code-server survives it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const [pgid, home] of liveGroups) {
      killGroup(pgid, 'SIGKILL');
      killStragglers(home);
    }
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

const groupAlive = (pgid: number) => killGroup(pgid, 0);

/** Pids of processes whose command line names `dir`: the extension's training children are detached (their own
 * session, so that a window reload does not end a run) and so outlive code-server's group. */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function killStragglers(dir: string): number[] {
  const pids = processesNaming(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  return pids;
}

export async function startCodeServer(dirs: CodeServerDirs, workspace: string): Promise<CodeServer> {
  installExitHook();
  const port = await freePort();
  const logFd = fs.openSync(dirs.log, 'a');
  const args = [
    codeServerEntry,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    ...common(dirs),
    workspace,
  ];
  // detached: the child calls setsid(), so its pid is the id of a new process group holding everything it starts.
  const child: ChildProcess = spawn(process.execPath, args, { env: env(dirs), stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  const pgid = child.pid!;
  liveGroups.set(pgid, dirs.home);
  let exited: string | undefined;
  child.on('exit', (code, signal) => (exited = `code-server exited (${signal ?? code})`));

  const logTail = (lines = 40) => {
    const text = fs.existsSync(dirs.log) ? fs.readFileSync(dirs.log, 'utf8') : '';
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  };
  const stop = async () => {
    if (!liveGroups.has(pgid)) return;
    killGroup(pgid, 'SIGTERM');
    const ended = await waitUntil(() => !groupAlive(pgid), { timeoutMs: 10_000, what: 'code-server group to end' }).then(
      () => true,
      () => false,
    );
    if (!ended) {
      killGroup(pgid, 'SIGKILL');
      await waitUntil(() => !groupAlive(pgid), { timeoutMs: 10_000, what: 'code-server group to die after SIGKILL' });
    }
    killStragglers(dirs.home);
    await waitUntil(() => processesNaming(dirs.home).length === 0, { timeoutMs: 10_000, what: `processes under ${dirs.home} to end` });
    liveGroups.delete(pgid);
  };

  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntil(
      async () => {
        if (exited) throw new Error(`${exited} before answering:\n${logTail()}`);
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        return res?.ok === true;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `code-server to answer on ${url}/healthz` },
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dirs, logTail, stop };
}
