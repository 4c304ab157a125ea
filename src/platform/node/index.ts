// Node as the core's host: entry points (worker, CLI, extension, tests) call useNodeHost() before any core code runs.
import { setHost } from '../../protocol/host';
import { nodeHost } from './host';

export function useNodeHost(): void {
  setHost(nodeHost);
}
