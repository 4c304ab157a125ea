// The train / check / study verbs in-process on the tiny model: summaries, reports, results file, exit codes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { progressPrinter } from '../../../src/cli/commands/check';
import { parseCheckParams, parseTrainParams } from '../../../src/worker/studyJobs';
import { tempWorkspace } from './helpers';
import { runCli } from '../cli/runCli';

const run = runCli;

describe('studies: CLI verbs', function () {
  this.timeout(120000);
  const ws = tempWorkspace();
  after(() => ws.cleanup());
  const quick = ['--backend', 'cpu', '--attack', 'pgd', '--eps', '0.2', '--samples', '16'];

  it('train: trains once, then reports the cached weights with per-exit accuracy', async () => {
    const first = await run(['train', ws.file, '--backend', 'cpu'], ws.root);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /trained this run/);
    assert.match(first.stdout, /exit1 +accuracy +\d+\.\d%/);
    assert.match(first.stdout, /dynamic accuracy \d+\.\d%/);
    assert.match(first.stderr, /train: /, 'plain progress lines off a terminal');
    const second = await run(['train', ws.file, '--backend', 'cpu', '--json', '-'], ws.root);
    assert.equal(second.code, 0, second.stderr);
    const summary = JSON.parse(second.stdout) as { cached: boolean; exitNames: string[]; perExitAccuracy: number[] };
    assert.equal(summary.cached, true);
    assert.deepEqual(summary.exitNames, ['exit1', 'final']);
  });

  it('check: prints the table, writes results, JSON and Markdown; a met bar exits 0', async () => {
    const r = await run(['check', ws.file, ...quick, '--json', 'out/r.json', '--md', 'out/r.md', '--fail-under', 'clean-accuracy=0.1'], ws.root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^attack +eps +robust/m);
    assert.match(r.stdout, /^pgd +0\.2 /m);
    assert.ok(fs.existsSync(path.join(ws.root, '.dynn', 'results', 'tiny-mnist.json')));
    const json = JSON.parse(fs.readFileSync(path.join(ws.root, 'out', 'r.json'), 'utf8')) as { attacks: { id: string }[] };
    assert.deepEqual(json.attacks.map((a) => a.id), ['pgd@0.2']);
    assert.match(fs.readFileSync(path.join(ws.root, 'out', 'r.md'), 'utf8'), /^# tiny-mnist: DyNN Lens report/);
  });

  it('check --fail-under: exit 1 naming the bar and the result that missed it', async () => {
    const r = await run(['check', ws.file, ...quick, '--fail-under', 'robust-accuracy:pgd=1', '--fail-under', 'clean-accuracy=0'], ws.root);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--fail-under robust-accuracy:pgd=1 not met: pgd@0\.2 robust-accuracy \d+\.\d% < 100\.0%/);
    assert.doesNotMatch(r.stderr, /clean-accuracy=0 not met/);
  });

  it('study --study sweep: the sweep and its suggestions in the summary, no twin needed', async () => {
    const r = await run(['study', ws.file, '--study', 'sweep', ...quick], ws.root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Design sweeps: pgd@0\.2 \(\d+ designs, \d+ on the front\)/);
    assert.doesNotMatch(r.stdout, /Transfer/);
    assert.doesNotMatch(r.stdout, /Paper findings/);
  });

  it('usage mistakes exit 2 with the reason; a broken model file exits 1 with its errors', async () => {
    const bar = await run(['check', ws.file, '--fail-under', 'speed=3'], ws.root);
    assert.equal(bar.code, 2);
    assert.match(bar.stderr, /unknown metric 'speed'/);
    const attack = await run(['check', ws.file, '--backend', 'cpu', '--attack', 'nope'], ws.root);
    assert.equal(attack.code, 2);
    assert.match(attack.stderr, /attack 'nope' is not in checks.attacks/);
    const samples = await run(['check', ws.file, '--samples', 'many'], ws.root);
    assert.equal(samples.code, 2);
    assert.match(samples.stderr, /--samples must be an integer >= 1, got 'many'/);
    const preset = await run(['check', ws.file, '--ensemble-preset', 'fast'], ws.root);
    assert.equal(preset.code, 2);
    assert.match(preset.stderr, /--ensemble-preset must be thorough or quick, got 'fast'/);
    const study = await run(['study', ws.file], ws.root);
    assert.equal(study.code, 2);
    assert.match(study.stderr, /--paper, or --study/);
    fs.writeFileSync(path.join(ws.root, 'bad.dynn.yaml'), 'dynn: 1\nname: bad\nclasses: -3\n');
    const bad = await run(['check', 'bad.dynn.yaml'], ws.root);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.dynn\.yaml: the model has \d+ errors?/);
    assert.match(bad.stderr, /bad\.dynn\.yaml:\d+:\d+: /);
    const missing = await run(['check', 'missing.dynn.yaml'], ws.root);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing\.dynn\.yaml: file not found/);
  });

  it('progress: one redrawn bar on a terminal, plain lines per phase and 10% elsewhere', () => {
    let tty = '';
    const bar = progressPrinter({ write: (s: string) => (tty += s) }, true);
    bar.update({ phase: 'attack', fraction: 0.5, message: 'pgd', etaSeconds: 3 });
    bar.done();
    assert.match(tty, /\r\x1b\[2K\[#{12}\.{12}\]  50% attack: pgd, ~3 s left/);
    let plain = '';
    const lines = progressPrinter({ write: (s: string) => (plain += s) }, false);
    for (let i = 0; i <= 20; i++) lines.update({ phase: 'attack', fraction: i / 20, message: `batch ${i}` });
    assert.equal(plain.split('\n').filter(Boolean).length, 11);
  });
});

describe('studies: worker job parameters', () => {
  const base = { file: 'm.dynn.yaml', workspaceRoot: path.resolve('/') };

  it('accepts well-formed params and refuses unknown keys, bad types and relative roots', () => {
    assert.deepEqual(parseCheckParams({ ...base, attacks: ['pgd'], eps: [0.1], samples: 10, seed: 2, studies: ['sweep'], save: false }), {
      ...base,
      attacks: ['pgd'],
      eps: [0.1],
      samples: 10,
      seed: 2,
      studies: ['sweep'],
      save: false,
    });
    assert.throws(() => parseCheckParams({ ...base, epsilon: [0.1] }), /does not take parameter 'epsilon'/);
    assert.throws(() => parseCheckParams({ ...base, eps: [-1] }), /'eps' must be an array of numbers >= 0/);
    assert.throws(() => parseCheckParams({ ...base, studies: ['nope'] }), /unknown nope/);
    assert.throws(() => parseCheckParams({ ...base, samples: 1.5 }), /'samples' must be an integer/);
    assert.deepEqual(parseCheckParams({ ...base, ensemblePreset: 'quick' }), { ...base, ensemblePreset: 'quick' });
    assert.throws(() => parseCheckParams({ ...base, ensemblePreset: 'fast' }), /'ensemblePreset' must be 'thorough' or 'quick'/);
    assert.throws(() => parseTrainParams({ file: 'm.dynn.yaml', workspaceRoot: 'relative' }), /must be an absolute path/);
    assert.throws(() => parseTrainParams({ ...base, staticTwin: 'yes' }), /'staticTwin' must be true or false/);
  });
});
