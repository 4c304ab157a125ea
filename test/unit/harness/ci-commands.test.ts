// CI must prove what the README promises a new user: .ci/run runs the README's two commands, exactly as written,
// with an empty test-tools folder. This test fails when either file changes the commands without the other.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/** out/test/unit/harness -> project root. */
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** The command lines of the README's "The two commands" section: the non-comment lines of its first sh block. */
export function readmeCommands(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('The two commands'));
  assert.ok(section, 'README has no "## The two commands" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the "two commands" section has no sh code block');
  return commandLines(block[1] ?? '');
}

/** Non-empty lines that are not comments, trimmed. */
function commandLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe('.ci/run and the README', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');

  it('the README names exactly two commands', () => {
    assert.deepStrictEqual(readmeCommands(readme), ['npm ci && npm run example', 'npm ci && npm test']);
  });

  it('.ci/run runs the README commands, in order, after its setup lines', () => {
    const lines = commandLines(ci);
    const runs = lines.filter((l) => /^npm /.test(l));
    assert.deepStrictEqual(runs, readmeCommands(readme));
    // The two commands are the last lines: nothing after them could change the outcome.
    assert.deepStrictEqual(lines.slice(-2), readmeCommands(readme));
  });

  it('.ci/run starts the tests from an empty, temporary tools folder and stops on the first failure', () => {
    assert.match(ci, /^set -euo pipefail$/m);
    assert.match(ci, /^DYNN_TEST_TOOLS="\$\(mktemp -d[^)]*\)"$/m);
    assert.match(ci, /^export DYNN_TEST_TOOLS$/m);
  });
});
