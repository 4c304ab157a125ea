import * as assert from 'assert';
import { Lazy } from '../../../src/extension/lazy';

class Service {
  disposed = 0;
  dispose(): void {
    this.disposed += 1;
  }
}

describe('editor/lazy', () => {
  it('creates nothing until asked, then once', async () => {
    let created = 0;
    const lazy = new Lazy(() => {
      created += 1;
      return Promise.resolve(new Service());
    });
    assert.strictEqual(lazy.started, false);
    assert.strictEqual(created, 0);
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    assert.strictEqual(a, b);
    assert.strictEqual(created, 1);
    assert.strictEqual(lazy.started, true);
  });

  it('forgets a failed creation so the next call retries', async () => {
    let attempts = 0;
    const lazy = new Lazy(() => {
      attempts += 1;
      return attempts === 1 ? Promise.reject(new Error('no worker script')) : Promise.resolve(new Service());
    });
    await assert.rejects(lazy.get(), /no worker script/);
    assert.strictEqual(lazy.started, false);
    assert.ok((await lazy.get()) instanceof Service);
    assert.strictEqual(attempts, 2);
  });

  it('disposes the service it created and refuses afterwards', async () => {
    const lazy = new Lazy(() => Promise.resolve(new Service()));
    const s = await lazy.get();
    lazy.dispose();
    await new Promise((resolve) => setImmediate(resolve));
    assert.strictEqual(s.disposed, 1);
    await assert.rejects(lazy.get(), /shutting down/);
  });

  it('disposes a service whose creation was still pending at dispose', async () => {
    let finish: (s: Service) => void = () => undefined;
    const lazy = new Lazy(() => new Promise<Service>((resolve) => (finish = resolve)));
    const pending = lazy.get();
    lazy.dispose();
    const s = new Service();
    finish(s);
    assert.strictEqual(await pending, s);
    await new Promise((resolve) => setImmediate(resolve));
    assert.strictEqual(s.disposed, 1);
  });
});
