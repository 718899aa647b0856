// The panel as a whole: which section shows, the "ready" handshake, and every feature's messages in one union
// per direction (each feature's own contract validates its part).
import { parseCurvesToHost, parseCurvesToWebview, type CurvesToHost, type CurvesToWebview } from './curves.js';
import { parseDiffToHost, parseDiffToWebview, type DiffToHost, type DiffToWebview } from './diff.js';
import { parseModelToHost, parseModelToWebview, type ModelToHost, type ModelToWebview } from './model.js';
import { parsePreviewToHost, parsePreviewToWebview, type PreviewToHost, type PreviewToWebview } from './preview.js';
import { arr, ContractError, msg, oneOf, str, unionParser, type Check } from './validate.js';

export const SECTIONS = ['preview', 'model', 'curves', 'diff'] as const;
export type Section = (typeof SECTIONS)[number];

export type PanelView =
  | { section: 'preview'; file: string } // dataset file or folder (absolute path)
  | { section: 'model'; experimentFile: string } // freeze toggles on the experiment's model
  | { section: 'curves'; runDirs: string[] } // live/overlaid runs
  | { section: 'diff'; a: string; b: string }; // two checkpoint dirs

const panelView: Check<PanelView> = (v, at) => {
  const section = oneOf(...SECTIONS)((v as { section?: unknown } | null)?.section, { up: at, key: 'section' });
  const o = v as Record<string, unknown>;
  if (section === 'preview') return { section, file: str(o.file, { up: at, key: 'file' }) };
  if (section === 'model') return { section, experimentFile: str(o.experimentFile, { up: at, key: 'experimentFile' }) };
  if (section === 'curves') return { section, runDirs: arr(str)(o.runDirs, { up: at, key: 'runDirs' }) };
  return { section, a: str(o.a, { up: at, key: 'a' }), b: str(o.b, { up: at, key: 'b' }) };
};

/** The section the host shows; `view` undefined: the section without content yet. */
const show = msg('panel/show', { section: oneOf(...SECTIONS) });
const view = msg('panel/view', { view: panelView });
const notice = msg('panel/notice', { level: oneOf('info', 'error'), message: str });
type PanelOwnToWebview = ReturnType<typeof show> | ReturnType<typeof view> | ReturnType<typeof notice>;
const parseOwnToWebview = unionParser<PanelOwnToWebview>('panel message from the host', { 'panel/show': show, 'panel/view': view, 'panel/notice': notice });

const ready = msg('panel/ready', {});
/** The user switched tabs. */
const selected = msg('panel/selected', { section: oneOf(...SECTIONS) });
type PanelOwnToHost = ReturnType<typeof ready> | ReturnType<typeof selected>;
const parseOwnToHost = unionParser<PanelOwnToHost>('panel message from the panel', { 'panel/ready': ready, 'panel/selected': selected });

export type ToWebview = PanelOwnToWebview | PreviewToWebview | ModelToWebview | CurvesToWebview | DiffToWebview;
export type ToHost = PanelOwnToHost | PreviewToHost | ModelToHost | CurvesToHost | DiffToHost;

/** Dispatches on the `feature/` prefix of the message type. */
function byPrefix<M>(name: string, parsers: Record<string, (v: unknown) => M>): (v: unknown) => M {
  return (v) => {
    const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
    const parse = typeof type === 'string' ? parsers[type.slice(0, type.indexOf('/'))] : undefined;
    if (!parse) throw new ContractError(`${name}: unknown message type ${JSON.stringify(type)}`);
    return parse(v);
  };
}

export const parseToWebview = byPrefix<ToWebview>('message from the host', {
  panel: parseOwnToWebview, preview: parsePreviewToWebview, model: parseModelToWebview, curves: parseCurvesToWebview, diff: parseDiffToWebview,
});
export const parseToHost = byPrefix<ToHost>('message from the panel', {
  panel: parseOwnToHost, preview: parsePreviewToHost, model: parseModelToHost, curves: parseCurvesToHost, diff: parseDiffToHost,
});
export { ContractError };
