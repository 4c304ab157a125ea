// `dynn-lens study --paper --matrix` in-process on two tiny MNIST models (an early-exit net and a gated one): the
// cells, their verdicts, one Results document per cell, the combined JSON / Markdown / HTML and the usage errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkPaperMatrix, type PaperMatrix } from '../../../src/protocol/matrix';
import { checkResults } from '../../../src/protocol/results-check';
import { runCli } from '../cli/runCli';
import { tempWorkspace, TINY_MNIST_YAML } from './helpers';

const TINY_GATED = `dynn: 1
name: tiny-gated
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: stem, type: conv2d, filters: 4, kernel: 3, stride: 2, activation: relu}
  - name: block
    type: residual
    layers:
      - {type: conv2d, filters: 4, kernel: 3}
  - {name: flatten, type: flatten}
  - {name: classifier, type: dense, units: 10}
gates:
  - {name: g1, block: block}
data: {source: mnist, trainFraction: 0.03}
train: {epochs: 1, batchSize: 32, optimizer: adam, learningRate: 0.01, seed: 3}
`;

describe('studies: study --paper --matrix', function () {
  this.timeout(300000);
  const ws = tempWorkspace(TINY_MNIST_YAML);
  fs.writeFileSync(path.join(ws.root, 'gated.dynn.yaml'), TINY_GATED);
  after(() => ws.cleanup());
  const quick = ['--backend', 'cpu', '--samples', '24', '--steps', '2'];

  it('runs every file, prints a verdict line per cell and writes the cells and the matrix', async () => {
    const r = await runCli(['study', '--paper', '--matrix', ws.file, 'gated.dynn.yaml', ...quick], ws.root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^MNIST \/ SDN \(max-prob exits\): RQ1 (holds|does not hold|no difference|n\/a), RQ2 .*, RQ3 .*, RQ4 .* \(24 samples, \d+ s\)$/m);
    assert.match(r.stdout, /^MNIST \/ SkipNet \(gates\): RQ1 .* \(24 samples/m);
    assert.match(r.stderr, /\[1\/2\] tiny\.dynn\.yaml: eps 0\.3, 2 steps/);
    const matrix = JSON.parse(fs.readFileSync(path.join(ws.root, '.dynn', 'matrix', 'paper-matrix.json'), 'utf8')) as PaperMatrix;
    assert.deepEqual(checkPaperMatrix(matrix), []);
    assert.deepEqual(matrix.cells.map((c) => [c.model, c.resultsFile, c.samples]), [['tiny-mnist', '.dynn/results/tiny-mnist.json', 24], ['tiny-gated', '.dynn/results/tiny-gated.json', 24]]);
    for (const c of matrix.cells) {
      assert.ok(c.rq1 !== null && c.rq2 !== null && c.rq4 !== null, `${c.model}: transfer, efficiency and mechanism measured`);
      assert.equal(c.rq1.dynToStatic.n + c.rq1.staticToDyn.n > 0, true);
      const results = JSON.parse(fs.readFileSync(path.join(ws.root, c.resultsFile), 'utf8')) as unknown;
      assert.deepEqual(checkResults(results), []);
    }
    assert.deepEqual(matrix.cells[0]!.rq4!.rows.map((x) => x.kind), ['hijack', 'slowdown']);
    assert.deepEqual(matrix.cells[1]!.rq4!.rows.map((x) => x.kind), ['gate']);
    assert.ok(matrix.cells[1]!.rq3 !== null, 'the gated cell has a gate-threshold sweep on static-crafted examples');
    assert.match(fs.readFileSync(path.join(ws.root, '.dynn', 'matrix', 'paper-matrix.md'), 'utf8'), /\*\*RQ1 transfer/);
    assert.match(fs.readFileSync(path.join(ws.root, '.dynn', 'matrix', 'paper-matrix.html'), 'utf8'), /<table id="matrix-grid">/);
  });

  it('usage: --matrix needs --paper, fixes its own attacks, refuses two files with one model name', async () => {
    const noPaper = await runCli(['study', '--matrix', ws.file], ws.root);
    assert.equal(noPaper.code, 2);
    assert.match(noPaper.stderr, /study --paper --matrix/);
    const attack = await runCli(['study', '--paper', '--matrix', ws.file, '--attack', 'pgd'], ws.root);
    assert.equal(attack.code, 2);
    assert.match(attack.stderr, /--attack does not combine with --matrix/);
    fs.writeFileSync(path.join(ws.root, 'copy.dynn.yaml'), TINY_MNIST_YAML);
    const twice = await runCli(['study', '--paper', '--matrix', ws.file, 'copy.dynn.yaml'], ws.root);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /both name their model 'tiny-mnist'/);
    const missing = await runCli(['study', '--paper', '--matrix', 'nope.dynn.yaml'], ws.root);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.dynn\.yaml: file not found/);
  });
});
