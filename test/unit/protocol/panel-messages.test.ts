import * as assert from 'assert';
import { isStale, parseFromWebview, parseToWebview } from '../../../src/protocol/panel-messages';
import { cloneResults } from '../panel/fixtures';

describe('panel messages', () => {
  it('accepts every webview message and keeps only known fields', () => {
    assert.deepStrictEqual(parseFromWebview({ type: 'ready', extra: 1 }), { ok: true, message: { type: 'ready' } });
    assert.deepStrictEqual(parseFromWebview({ type: 'applySuggestion', suggestionId: 's1' }), { ok: true, message: { type: 'applySuggestion', suggestionId: 's1' } });
    assert.deepStrictEqual(parseFromWebview({ type: 'exportReport', format: 'markdown' }), { ok: true, message: { type: 'exportReport', format: 'markdown' } });
    const err = parseFromWebview({ type: 'webviewError', message: 'x'.repeat(20_000) });
    assert.ok(err.ok && err.message.type === 'webviewError' && err.message.message.length === 10_000);
  });

  it('rejects unknown and malformed webview messages with a reason', () => {
    for (const [value, reason] of [
      [null, 'not an object'],
      [[1], 'not an object'],
      [{ type: 'runShell', cmd: 'rm' }, 'unknown message type "runShell"'],
      [{ type: 'applySuggestion' }, 'suggestionId must be a non-empty string'],
      [{ type: 'applySuggestion', suggestionId: '' }, 'suggestionId must be a non-empty string'],
      [{ type: 'exportReport', format: 'pdf' }, 'format must be "html" or "markdown"'],
    ] as const) {
      const parsed = parseFromWebview(value);
      assert.strictEqual(parsed.ok, false);
      assert.ok(!parsed.ok && parsed.error.includes(reason), `${JSON.stringify(value)} -> ${!parsed.ok ? parsed.error : ''}`);
    }
  });

  it('accepts a show message with Results of this version and rejects anything else', () => {
    const good = parseToWebview({ type: 'show', fileKey: 'file:///m.dynn.yaml', fileLabel: 'm.dynn.yaml', results: cloneResults(), currentSpecHash: null });
    assert.ok(good.ok);
    const show = (results: unknown) => parseToWebview({ type: 'show', fileKey: 'k', fileLabel: 'l', results, currentSpecHash: 'h' });
    const older = { ...cloneResults(), version: 0 };
    const noModel = { ...cloneResults(), model: 'm' };
    for (const [results, reason] of [[older, 'results.version: expected 1, got 0'], [noModel, 'results.model: expected an object'], [[], 'results: expected an object']] as const) {
      const bad = show(results);
      assert.ok(!bad.ok && bad.error === `show: ${reason}` + (reason.startsWith('results.model') ? ' with exitNames' : ''), !bad.ok ? bad.error : 'accepted');
    }
  });

  it('checks the other extension messages', () => {
    assert.ok(parseToWebview({ type: 'specHash', currentSpecHash: 'abc' }).ok);
    assert.ok(!parseToWebview({ type: 'specHash', currentSpecHash: 3 }).ok);
    assert.ok(parseToWebview({ type: 'applyResult', suggestionId: 's1', ok: true, message: 'done' }).ok);
    assert.ok(!parseToWebview({ type: 'applyResult', suggestionId: 's1', ok: 'yes', message: 'done' }).ok);
    assert.ok(parseToWebview({ type: 'empty', fileKey: 'k', fileLabel: 'l', message: 'none' }).ok);
    assert.ok(!parseToWebview({ type: 'eval', code: '1' }).ok);
  });

  it('calls results stale only when the current hash is known and differs', () => {
    assert.strictEqual(isStale('a', 'a'), false);
    assert.strictEqual(isStale('a', 'b'), true);
    assert.strictEqual(isStale('a', null), false);
  });
});
