// Mocha root setup (registered in .mocharc.json `require`): the unit tests run the core on Node, as the worker and
// the CLI do. A single file run without the config needs `--require out/test/unit/setup-host.js`.
import { useNodeHost } from '../../src/platform/node';

useNodeHost();
