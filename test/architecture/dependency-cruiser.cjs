// The house's layering, checked in `npm test` (stage "architecture") by dependency-cruiser. docs/architecture.md
// explains the rooms; this file is the one place the rules are written. Violations scheduled to go would be listed
// in known-violations.json (empty today): the check fails on any violation not in that list, so the list can only
// shrink. Node's globals (Buffer, process, setImmediate) in the core are caught by the type-check of
// tsconfig.core.json, which leaves Node's types out.
'use strict';

/** Folders of the core: no VS Code, no Node built-ins (src/platform implements the host they need). */
const CORE = '^src/(protocol|modelfile|advice|engine|attacks|studies)/';

/** Each layer may import only the ones before it (and itself). */
const LAYERS = ['protocol', 'modelfile', 'advice', 'engine', 'attacks', 'studies', 'panel', 'platform', 'worker', 'cli', 'extension'];

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer} sits below ${LAYERS.slice(i + 1).join(', ')} and must not import them`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'import circles make every room depend on every other', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'vscode-only-in-extension',
      comment: 'only src/extension talks to VS Code; everything else runs in plain Node (CLI, worker, unit tests)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/extension/' },
      to: { path: '^vscode$' },
    },
    {
      name: 'core-without-node-builtins',
      comment: 'the core gets the host (files, hashing, processes) through an interface, never from Node directly',
      severity: 'error',
      from: { path: CORE },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'host-only-in-platform',
      comment:
        'files, processes, the OS, hashing and compression are reached through src/platform (pure helpers such as path and util may be used by the worker, CLI and extension)',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(fs|fs/promises|os|crypto|zlib|child_process|worker_threads|module|net|http|https|http2|dgram|cluster|vm|v8|process)$' },
    },
    {
      name: 'core-not-platform',
      comment: 'the core is handed its host (src/protocol/host.ts) by the entry points; it never picks one itself',
      severity: 'error',
      from: { path: CORE },
      to: { path: '^src/platform/' },
    },
    ...upward,
  ],
  options: {
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a circle of types is still a circle for the reader.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/panel/view/' },
  },
};
