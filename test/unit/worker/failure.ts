// The error a worker run fails with; fails the test when the run succeeds or fails with anything else.
import * as assert from 'node:assert/strict';
import { WorkerError } from '../../../src/worker/client';

export async function failure(p: Promise<unknown>): Promise<WorkerError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkerError, `expected a WorkerError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the run to fail');
}
