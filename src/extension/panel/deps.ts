import type { RunEvent } from '../../core/experiment/events.js';
import type { RunStatus } from '../../core/experiment/run-dir.js';
import type { PanelJobs } from './jobs.js';

/** What the panel needs from the rest of the host (the run manager and the experiment tree), as plain callbacks so
 * the panel's host-side logic is testable without VS Code. */
export interface PanelDeps {
  /** Live events of runs this window trains; a run started elsewhere (CLI, an earlier window) is only on disk:
   * tail its metrics.jsonl. */
  onRunEvent(listener: (runDir: string, event: RunEvent) => void): { dispose(): void };
  /** Runs the experiment tree knows, newest first, for the overlay and diff pickers, each with the path of the
   * experiment file that made it (where known). */
  listRuns(): Promise<{ runDir: string; label: string; experimentFile?: string; status: RunStatus }[]>;
  /** Writes a line to the extension's output channel. */
  log(message: string): void;
  /** The extension's worker thread for heavy reads, shared with the panel (a panel alone starts its own). */
  jobs?: PanelJobs;
}
