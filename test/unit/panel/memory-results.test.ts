import * as assert from 'assert';
import { MemoryResults } from './memory-results';
import { makeResults } from './fixtures';

describe('panel MemoryResults', () => {
  it('keeps the latest results per file and tells listeners which file changed', () => {
    const store = new MemoryResults();
    const heard: string[] = [];
    const sub = store.onDidChange((k) => heard.push(k));
    const first = makeResults();
    const second = makeResults();
    store.set('file:///a', first);
    store.set('file:///a', second);
    store.set('file:///b', first);
    assert.strictEqual(store.get('file:///a'), second);
    assert.strictEqual(store.get('file:///c'), undefined);
    assert.deepStrictEqual(heard, ['file:///a', 'file:///a', 'file:///b']);
    sub.dispose();
    store.set('file:///a', first);
    assert.strictEqual(heard.length, 3);
  });

  it('still notifies every listener when one throws, then reports the failure', () => {
    const store = new MemoryResults();
    const heard: string[] = [];
    store.onDidChange(() => {
      throw new Error('boom');
    });
    store.onDidChange((k) => heard.push(k));
    assert.throws(() => store.set('k', makeResults()), /1 results listener\(s\) failed for k/);
    assert.deepStrictEqual(heard, ['k']);
    assert.ok(store.get('k'));
  });
});
