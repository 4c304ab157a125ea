import * as assert from 'assert';
import { host, setHost, type Host } from '../../../src/protocol/host';
import { nodeHost } from '../../../src/platform/node/host';

describe('protocol/host', () => {
  afterEach(() => setHost(nodeHost));

  it('refuses, naming the fix, when no host was installed', () => {
    setHost(undefined as unknown as Host);
    assert.throws(() => host(), /no host installed; the entry point must call setHost\(\)/);
  });

  it('hands the core the installed host', () => {
    const fake: Host = { ...nodeHost, sha256: () => 'fake' };
    setHost(fake);
    assert.strictEqual(host().sha256('x'), 'fake');
  });

  it("node's sha256 is the standard one", () => {
    assert.strictEqual(nodeHost.sha256('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.strictEqual(nodeHost.sha256(new TextEncoder().encode('abc')), nodeHost.sha256('abc'));
  });
});
