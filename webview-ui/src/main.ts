// The panel app: one tab per section; messages from the host are validated and routed to the section's view.
// It says "ready" first: the host sends nothing before, so no message is lost.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { SECTIONS, type Section, type ToWebview } from '../../src/contracts/panel.js';
import { CurvesView } from './curves-view.js';
import { DiffView } from './diff-view.js';
import { clear, h } from './dom.js';
import { ModelView } from './model-view.js';
import { PreviewView } from './preview-view.js';
import { getUiState, onMessage, post, setUiState } from './vscode-api.js';
import './panel.css';

const TITLES: Record<Section, string> = { preview: 'Data', model: 'Model & freezing', curves: 'Curves', diff: 'Checkpoint diff' };

const app = document.getElementById('app') ?? document.body;
const notice = h('div', { class: 'notice', role: 'alert', testid: 'notice', hidden: true });
const panels = Object.fromEntries(SECTIONS.map((s) => [s, h('div', { class: 'section', testid: `section-${s}` })])) as Record<Section, HTMLElement>;
const tabs = h('vscode-tabs', { testid: 'tabs' },
  SECTIONS.map((s) => [h('vscode-tab-header', { slot: 'header', testid: `tab-${s}` }, TITLES[s]), h('vscode-tab-panel', {}, panels[s])]).flat());
clear(app, notice, tabs);

const views = {
  preview: new PreviewView(panels.preview),
  model: new ModelView(panels.model),
  curves: new CurvesView(panels.curves),
  diff: new DiffView(panels.diff),
};

function select(section: Section): void {
  (tabs as unknown as { selectedIndex: number }).selectedIndex = SECTIONS.indexOf(section);
  document.body.dataset.section = section;
  setUiState({ section });
}
tabs.addEventListener('vsc-tabs-select', (e) => {
  const section = SECTIONS[(e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex];
  if (!section || document.body.dataset.section === section) return;
  document.body.dataset.section = section;
  setUiState({ section });
  post({ type: 'panel/selected', section });
});

function route(m: ToWebview): void {
  const feature = m.type.slice(0, m.type.indexOf('/'));
  switch (feature) {
    case 'panel':
      if (m.type === 'panel/show') select(m.section);
      else if (m.type === 'panel/notice') {
        notice.textContent = m.message;
        notice.className = `notice ${m.level}`;
        notice.hidden = false;
      }
      return;
    case 'preview':
      return views.preview.apply(m as Parameters<PreviewView['apply']>[0]);
    case 'model':
      return views.model.apply(m as Parameters<ModelView['apply']>[0]);
    case 'curves':
      return views.curves.apply(m as Parameters<CurvesView['apply']>[0]);
    case 'diff':
      return views.diff.apply(m as Parameters<DiffView['apply']>[0]);
  }
}

notice.addEventListener('click', () => (notice.hidden = true));
const saved = getUiState().section;
if (saved && (SECTIONS as readonly string[]).includes(saved)) select(saved as Section);
onMessage(route);
post({ type: 'panel/ready' });
