// The Host of the core (src/protocol/host.ts) on Node: the one place the core's file, hashing and memory needs
// meet Node's built-ins.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Host } from '../../protocol/host';
import { nodeBackends } from './backends';

export const nodeHost: Host = {
  path,
  backends: nodeBackends,
  sha256: (data) => createHash('sha256').update(data).digest('hex'),
};
