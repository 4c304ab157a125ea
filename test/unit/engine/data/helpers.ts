// Shared fixtures for the data loader tests: a minimal spec and a temporary workspace per test.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataSpec, ModelSpec } from '../../../../src/modelfile/types';

export function specWith(data: Omit<DataSpec, 'path'> & Record<string, unknown>, input: { shape: number[]; range?: [number, number] } = { shape: [4, 4, 1] }, classes = 3): ModelSpec {
  return {
    version: 1,
    name: 'test',
    input: { ...input, path: ['input'] },
    classes,
    backbone: [],
    exits: [],
    gates: [],
    policy: { kind: 'maxProb', threshold: 0.9, patience: 2, path: ['policy'] },
    data: { ...data, path: ['data'] } as unknown as DataSpec,
    train: { epochs: 1, batchSize: 8, optimizer: 'adam', learningRate: 0.001, mode: 'joint', seed: 1, path: ['train'] },
    checks: { samples: 10, seed: 1, attacks: [], path: ['checks'] },
  };
}

export class TempWorkspace {
  readonly root: string;
  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-data-'));
  }
  write(rel: string, content: Uint8Array | string): string {
    const p = path.join(this.root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    return rel;
  }
  mkdir(rel: string): void {
    fs.mkdirSync(path.join(this.root, rel), { recursive: true });
  }
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Asserts that `p` rejects with a DataError whose message matches every pattern. */
export async function rejectsData(p: Promise<unknown>, ...patterns: RegExp[]): Promise<Error & { file: string; detail?: string }> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'DataError') throw new Error(`expected a DataError, got ${String(e)}`);
    for (const re of patterns) if (!re.test(e.message)) throw new Error(`message '${e.message}' does not match ${re}`);
    return e as Error & { file: string; detail?: string };
  }
  throw new Error('expected a DataError, but the promise resolved');
}
