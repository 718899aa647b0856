// The webview side of the message channel: typed posting, validated receiving, and the UI state VS Code keeps
// for us across hide/show and reloads.
import { parseToWebview, type ToHost, type ToWebview } from '../../src/contracts/panel.js';

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const api = acquireVsCodeApi();

export const post = (m: ToHost) => api.postMessage(m);

export function onMessage(handler: (m: ToWebview) => void): void {
  window.addEventListener('message', (e: MessageEvent) => {
    let m: ToWebview;
    try {
      m = parseToWebview(e.data);
    } catch (err) {
      console.error(`fine-tune panel: ignored a bad message: ${(err as Error).message}`);
      return;
    }
    handler(m);
  });
}

export interface UiState {
  section?: string;
  smoothing?: number;
  log?: boolean;
  xAxis?: 'step' | 'time';
  lastBlocks?: number;
}

export function getUiState(): UiState {
  const s = api.getState();
  return typeof s === 'object' && s !== null ? (s as UiState) : {};
}

export function setUiState(patch: UiState): void {
  api.setState({ ...getUiState(), ...patch });
}
