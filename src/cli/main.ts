// Entry of the dist/cli.js bundle (and of `node out/src/cli/main.js`): runs `main` with the process's values.
// Importing this module from tests does not run anything.
import { main } from './cli';
import { forTerminal } from '../modelfile/display';
import { useNodeHost } from '../platform/node';

export { main } from './cli';

declare const __webpack_require__: unknown;

const isEntry = typeof __webpack_require__ === 'function' || require.main === module;

if (isEntry) {
  useNodeHost();
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dynn-lens: internal error: ${forTerminal(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
