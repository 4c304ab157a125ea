import * as assert from 'assert';
import type { ReportFormat, ToWebview } from '../../../src/protocol/panel-messages';
import { PanelSession, SessionPorts } from '../../../src/panel/host/session';
import { MemoryResults } from './memory-results';
import type { Suggestion } from '../../../src/protocol/results';
import { makeResults, SPEC_HASH } from './fixtures';

const KEY = 'file:///w/m.dynn.yaml';

function harness(opts: { hash?: string | undefined; hashThrows?: boolean; applyThrows?: string; confirm?: boolean; delivered?: boolean } = {}) {
  const store = new MemoryResults();
  const posted: ToWebview[] = [];
  const applied: Suggestion[] = [];
  const exported: ReportFormat[] = [];
  const confirmations: string[] = [];
  const errorsShown: string[] = [];
  const logged: string[] = [];
  const ports: SessionPorts = {
    fileKey: KEY,
    fileLabel: 'm.dynn.yaml',
    results: store,
    post: (m) => {
      posted.push(m);
      return Promise.resolve(opts.delivered ?? true);
    },
    currentSpecHash: () => (opts.hashThrows ? Promise.reject(new Error('parse failed')) : Promise.resolve('hash' in opts ? opts.hash : SPEC_HASH)),
    applySuggestion: (s) => {
      if (opts.applyThrows) return Promise.reject(new Error(opts.applyThrows));
      applied.push(s);
      return Promise.resolve();
    },
    confirmStaleApply: (s) => {
      confirmations.push(s.id);
      return Promise.resolve(opts.confirm ?? false);
    },
    exportReport: (f) => {
      exported.push(f);
      return Promise.resolve();
    },
    showError: (m) => errorsShown.push(m),
    log: { info: (m) => logged.push(`info ${m}`), warn: (m) => logged.push(`warn ${m}`), error: (w) => logged.push(`error ${w}`) },
  };
  return { session: new PanelSession(ports), store, posted, applied, exported, confirmations, errorsShown, logged };
}

describe('panel session', () => {
  it('answers "ready" with "empty" when nothing is stored, and with the results and current hash otherwise', async () => {
    const h = harness({ hash: 'sha256:newer' });
    await h.session.receive({ type: 'ready' });
    assert.strictEqual(h.posted[0]?.type, 'empty');
    h.store.set(KEY, makeResults());
    await h.session.receive({ type: 'ready' });
    const show = h.posted[1];
    assert.ok(show?.type === 'show');
    assert.strictEqual(show.currentSpecHash, 'sha256:newer');
    assert.strictEqual(show.results.model.name, 'mnist-sdn');
  });

  it('sends a null hash when the file cannot be hashed, and logs why', async () => {
    const h = harness({ hashThrows: true });
    h.store.set(KEY, makeResults());
    await h.session.receive({ type: 'ready' });
    assert.ok(h.posted[0]?.type === 'show' && h.posted[0].currentSpecHash === null);
    assert.ok(h.logged.some((l) => l.startsWith('error Results panel: spec hash of')));
  });

  it('ignores and logs malformed or unknown messages', async () => {
    const h = harness();
    await h.session.receive({ type: 'applySuggestion', suggestionId: 42 });
    await h.session.receive('ready');
    assert.deepStrictEqual(h.posted, []);
    assert.strictEqual(h.logged.filter((l) => l.startsWith('warn Results panel ignored a message')).length, 2);
  });

  it('applies a stored suggestion by id and reports success', async () => {
    const h = harness();
    h.store.set(KEY, makeResults());
    await h.session.receive({ type: 'applySuggestion', suggestionId: 's1' });
    assert.deepStrictEqual(h.applied.map((s) => s.change), [{ path: ['exits', 0, 'policy', 'threshold'], value: 0.97 }]);
    assert.deepStrictEqual(h.confirmations, []);
    const r = h.posted[0];
    assert.ok(r?.type === 'applyResult' && r.ok && r.message.startsWith('Applied'));
  });

  it('refuses an id that is not in its own results', async () => {
    const h = harness();
    h.store.set(KEY, makeResults());
    await h.session.receive({ type: 'applySuggestion', suggestionId: 'forged' });
    assert.deepStrictEqual(h.applied, []);
    assert.ok(h.posted[0]?.type === 'applyResult' && !h.posted[0].ok);
  });

  it('asks before applying a suggestion measured on an older file, and respects the answer', async () => {
    const no = harness({ hash: 'sha256:changed', confirm: false });
    no.store.set(KEY, makeResults());
    await no.session.receive({ type: 'applySuggestion', suggestionId: 's1' });
    assert.deepStrictEqual(no.confirmations, ['s1']);
    assert.deepStrictEqual(no.applied, []);
    assert.ok(no.posted[0]?.type === 'applyResult' && !no.posted[0].ok && no.posted[0].message.includes('changed'));
    const yes = harness({ hash: 'sha256:changed', confirm: true });
    yes.store.set(KEY, makeResults());
    await yes.session.receive({ type: 'applySuggestion', suggestionId: 's1' });
    assert.strictEqual(yes.applied.length, 1);
  });

  it('reports a failed edit to the webview with the reason', async () => {
    const h = harness({ applyThrows: 'path exits[0].policy not found in the file' });
    h.store.set(KEY, makeResults());
    await h.session.receive({ type: 'applySuggestion', suggestionId: 's1' });
    const r = h.posted[0];
    assert.ok(r?.type === 'applyResult' && !r.ok && r.message === 'Could not apply: path exits[0].policy not found in the file');
  });

  it('exports, logs webview errors, and shows failures of a handler', async () => {
    const h = harness();
    await h.session.receive({ type: 'exportReport', format: 'html' });
    await h.session.receive({ type: 'webviewError', message: 'chart failed' });
    assert.deepStrictEqual(h.exported, ['html']);
    assert.ok(h.logged.includes('warn Results panel (webview): chart failed'));
    const failing = harness();
    (failing.session as unknown as { ports: SessionPorts }).ports.exportReport = () => Promise.reject(new Error('disk full'));
    await failing.session.receive({ type: 'exportReport', format: 'markdown' });
    assert.deepStrictEqual(failing.errorsShown, ['disk full']);
  });

  it('posts the current hash for the stale banner and logs undelivered messages', async () => {
    const h = harness({ hash: undefined, delivered: false });
    await h.session.refreshSpecHash();
    assert.deepStrictEqual(h.posted, [{ type: 'specHash', currentSpecHash: null }]);
    assert.ok(h.logged.some((l) => l.includes('specHash not delivered')));
  });
});
