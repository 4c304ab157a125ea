import * as assert from 'node:assert/strict';
import { childEnv, childExecArgv } from '../../../src/worker/client';
import { findNonJson } from '../../../src/worker/plainJson';
import { TEST_JOBS_ENV } from '../../../src/protocol/worker';

describe('worker client helpers', () => {
  it('passes only allow-listed environment variables, plus explicit extras', () => {
    process.env.DYNN_SECRET_FOR_TEST = 'x';
    process.env[TEST_JOBS_ENV] = '/somewhere/jobs.js';
    try {
      const env = childEnv();
      assert.equal(env.DYNN_SECRET_FOR_TEST, undefined);
      assert.equal(env[TEST_JOBS_ENV], undefined, 'test hooks are never inherited');
      assert.equal(env.PATH, process.env.PATH);
      assert.equal(env.ELECTRON_RUN_AS_NODE, '1');
      assert.equal(childEnv({ CUDA_VISIBLE_DEVICES: '1' }).CUDA_VISIBLE_DEVICES, '1');
    } finally {
      delete process.env.DYNN_SECRET_FOR_TEST;
      delete process.env[TEST_JOBS_ENV];
    }
  });

  it('drops inspector flags from the child execArgv', () => {
    assert.deepEqual(childExecArgv(['--inspect=9229', '--max-old-space-size=4096', '--inspect-brk', '--debug-port=1']), ['--max-old-space-size=4096']);
  });

  it('finds values that JSON would corrupt', () => {
    assert.equal(findNonJson({ a: [1, 'x', null, { b: true }], c: undefined }), undefined);
    assert.equal(findNonJson({ a: [1, Infinity] }), 'result.a[1] is Infinity (not representable in JSON)');
    assert.equal(findNonJson({ t: new Float32Array(2) }), 'result.t is a Float32Array; send a plain array');
    assert.equal(findNonJson({ d: new Date(0) }), 'result.d is a Date, not plain data');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.equal(findNonJson(loop), 'result.self is a circular reference');
    assert.equal(findNonJson({ f: () => 1 }), 'result.f is a function');
    const shared = { x: 1 };
    assert.equal(findNonJson({ a: shared, b: shared }), undefined, 'a shared (non-circular) object is fine');
  });
});
