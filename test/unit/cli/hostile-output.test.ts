// Names, keys, paths and member names from a hostile file reach the terminal with their control characters shown,
// not obeyed (issue 13): validate's messages, a failed train/check run, and the summaries of a finished one.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from '../../../src/cli/command';
import { summaryText } from '../../../src/cli/commands/check';
import { trainSummaryText } from '../../../src/cli/commands/train';
import { encodeNpy } from '../../../src/engine/data/npy';
import { encodeZip } from '../engine/data/zipFixture';
import { buildMarkdownReport } from '../../../src/panel/host/report';
import { makeResults } from '../panel/fixtures';
import { runCli } from './runCli';

/** ESC ] 0 ; title BEL (set the window title), ESC [ 2 J (clear the screen). */
const RAW = '\u001b]0;title\u0007\u001b[2J';
const SHOWN = '\\u001b]0;title\\u0007\\u001b[2J';
const YAML_ESCAPED = '"\\e]0;title\\a\\e[2J"';

function assertNoControl(out: string, where: string): void {
  const bad = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.exec(out);
  assert.equal(bad, null, `${where} has a raw control character U+${bad?.[0].charCodeAt(0).toString(16)}: ${JSON.stringify(out)}`);
}

const MODEL = (data: string): string => `dynn: 1
name: ${YAML_ESCAPED}
${YAML_ESCAPED}: 1
input: {shape: [4, 4, 1], range: [0, 1]}
classes: 3
backbone:
  - {name: flatten, type: flatten}
  - {name: out, type: dense, units: 3}
data: ${data}
train: {epochs: 1, batchSize: 4, optimizer: adam, learningRate: 0.01, seed: 1}
checks:
  samples: 4
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 1}
`;

describe('cli: text from a hostile file is shown, not obeyed', function () {
  this.timeout(120000);
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-hostile-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('validate: an unknown key with escape sequences', async () => {
    fs.writeFileSync(path.join(root, 'm.dynn.yaml'), MODEL('{source: mnist}'));
    const r = await runCli(['validate', 'm.dynn.yaml'], root);
    assert.equal(r.code, 1);
    assert.ok(r.stdout.includes(SHOWN), r.stdout);
    assertNoControl(r.stdout, 'stdout');
    assertNoControl(r.stderr, 'stderr');
    // --json keeps the exact text (JSON escapes it) and stays valid JSON.
    const json = await runCli(['validate', 'm.dynn.yaml', '--json'], root);
    assertNoControl(json.stdout, 'JSON');
    assert.ok((JSON.parse(json.stdout) as { message: string }[]).some((d) => d.message.includes(RAW)));
  });

  for (const verb of ['train', 'check']) {
    it(`${verb}: npz member names and a data path with escape sequences`, async () => {
      const x = encodeNpy({ dtype: '|u1', shape: [1], data: new Uint8Array(1) });
      fs.writeFileSync(path.join(root, 'd.npz'), encodeZip([{ name: `${RAW}.npy`, data: x }], true));
      fs.writeFileSync(path.join(root, 'm.dynn.yaml'), MODEL('{source: npz, train: d.npz, test: d.npz}').replace(`${YAML_ESCAPED}: 1\n`, ''));
      const members = await runCli([verb, 'm.dynn.yaml', '--backend', 'cpu'], root);
      assert.equal(members.code, 1, members.stderr);
      assert.match(members.stderr, /no train arrays found; members are \[\\u001b\]0;title\\u0007\\u001b\[2J\]/);
      assertNoControl(members.stderr, `${verb} stderr`);
      fs.writeFileSync(path.join(root, 'p.dynn.yaml'), MODEL(`{source: npz, train: ${YAML_ESCAPED}, test: d.npz}`).replace(`${YAML_ESCAPED}: 1\n`, ''));
      const missing = await runCli([verb, 'p.dynn.yaml', '--backend', 'cpu'], root);
      assert.equal(missing.code, 1, missing.stderr);
      assert.ok(missing.stderr.includes(`${SHOWN}: file or folder not found`), missing.stderr);
      assertNoControl(missing.stderr, `${verb} stderr`);
    });
  }

  it('every write of a command goes through the terminal escape; only the progress redraw is sent as is', async () => {
    const echo: Command = {
      name: 'echo',
      summary: '',
      usage: 'echo',
      description: '',
      options: {},
      run({ io }) {
        io.stdout.write(`model ${RAW}\nnext line\n`);
        io.stderr.control?.('\r\u001b[2K');
        return Promise.resolve(0);
      },
    };
    const r = await runCli(['echo'], root, [echo]);
    assert.equal(r.stdout, `model ${SHOWN}\nnext line\n`);
    assert.equal(r.stderr, '\r\u001b[2K');
  });

  it('train and check summaries keep a hostile model name on its line', () => {
    const results = makeResults();
    results.model.name = `x\n${RAW}`;
    const first = summaryText(results).split('\n')[0] ?? '';
    assert.ok(first.startsWith(`x\\u000a${SHOWN} (`), first);
    const train = trainSummaryText({
      model: `x\n${RAW}`, backend: 'cpu', backendReason: 'test', cached: true, weights: 'cache', epochLoss: [], trainSeconds: 0,
      exitNames: ['final'], perExitAccuracy: [1], dynamicAccuracy: 1, exitDistribution: [1], meanFlopsRatio: 1, meanFlopsVsStatic: 1,
      eec: 0, testSamples: 1, data: 'd', seconds: 0,
    });
    assert.ok(train.startsWith(`x\\u000a${SHOWN}: cache\n`), train);
  });

  it('the Markdown report writes a model named like an HTML tag as text', () => {
    const results = makeResults();
    results.model.name = '<img src=x onerror=alert(1)>';
    const md = buildMarkdownReport(results);
    assert.ok(!md.includes('<img'), md.slice(0, 200));
    assert.ok(md.startsWith('# &lt;img src=x onerror=alert(1)&gt;: DyNN Lens report'), md.slice(0, 200));
  });
});
