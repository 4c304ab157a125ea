// Study adversarial-training in every view: the panel's table and bar chart, the sweep chart with both trainings on
// one plane, the Markdown report and the CLI summary print the comparison's own figures; the results check
// refuses a comparison whose per-exit figures do not line up.
import * as assert from 'node:assert/strict';
import type { Results, TrainingComparison, TrainingVariant } from '../../../src/protocol/results';
import { checkResults } from '../../../src/protocol/results-check';
import { buildMarkdownReport } from '../../../src/panel/host/report';
import { buildPanelView } from '../../../src/panel/model/viewModel';
import { summaryText } from '../../../src/cli/commands/check';
import { cloneResults } from './fixtures';

function side(r: Results, shift: number, trainingSeconds: number): TrainingVariant {
  return {
    weights: shift === 0 ? r.provenance.weights : 'trained this run (3 epochs on 8000 samples, batch 64, 98.0 s)',
    trainingSeconds,
    cleanAccuracy: r.clean.accuracy - shift / 4,
    cleanPerExitAccuracy: r.clean.perExitAccuracy.map((a) => a - shift / 4),
    cleanFlopsRatio: r.clean.meanFlopsRatio + shift / 2,
    attacks: r.attacks.map((a) => ({
      id: a.id,
      attackId: a.attackId,
      kind: a.kind,
      norm: a.norm,
      eps: a.eps,
      robustAccuracy: Math.min(1, a.robustAccuracy + shift),
      finalExitRobustAccuracy: Math.min(1, a.finalExitRobustAccuracy + shift),
      perExitRobustAccuracy: a.perExitAccuracy.map((x) => Math.min(1, x + shift)),
      hijackRate: Math.max(0, a.hijackRate - shift),
      meanFlopsRatio: a.meanFlopsRatio + shift / 2,
    })),
  };
}

function withTraining(): Results {
  const r = cloneResults();
  const otherSweep = { ...JSON.parse(JSON.stringify(r.sweeps[0])), points: r.sweeps[0]?.points.map((p) => ({ ...p, robustAccuracy: p.robustAccuracy + 0.1 })) } as Results['sweeps'][number];
  const training: TrainingComparison = {
    recipe: { eps: 0.1, step: 0.025, steps: 5, loss: 'average', fraction: 0.5 },
    file: 'clean',
    clean: side(r, 0, 24.5),
    adversarial: side(r, 0.2, 98),
    otherSweeps: [otherSweep],
  };
  r.training = training;
  return r;
}

describe('the adversarial-training comparison in the views', () => {
  it('is a valid Results document; per-exit figures that do not line up are caught', () => {
    const r = withTraining();
    assert.deepEqual(checkResults(JSON.parse(JSON.stringify(r))), []);
    const bad = withTraining();
    (bad.training as TrainingComparison).adversarial.attacks[0]?.perExitRobustAccuracy.pop();
    assert.deepEqual(checkResults(JSON.parse(JSON.stringify(bad))), ['results.training.adversarial.attacks[0].perExitRobustAccuracy: 2 values for 3 exits']);
    const unknown = JSON.parse(JSON.stringify(withTraining())) as { training: { recipe: { loss: string } } };
    unknown.training.recipe.loss = 'taken';
    assert.match(checkResults(unknown).join('\n'), /training\.recipe\.loss/);
  });

  it('the table puts the file and the proposal side by side, with the change in points and the training time', () => {
    const view = buildPanelView(withTraining(), null);
    const t = view.training;
    assert.ok(t);
    assert.deepEqual(t.columns, ['figure', 'clean training (the file)', 'adversarial training (proposed)', 'change']);
    assert.match(t.caption, /PGD-5 at eps 0\.1, step 0\.025, average exit loss, 50% of each batch/);
    const row = (figure: string): string[] | undefined => t.rows.find((x) => x[0] === figure);
    assert.deepEqual(row('training time'), ['training time', '24.5 s', '98 s', '4x']);
    assert.deepEqual(row('weights'), ['weights', 'cache .dynn/weights/ab12', 'trained this run (3 epochs on 8000 samples, batch 64, 98.0 s)', '–']);
    assert.deepEqual(row('clean accuracy (dynamic)'), ['clean accuracy (dynamic)', '96.2%', '91.2%', '-5.0 points']);
    assert.deepEqual(row('pgd@0.1: robust accuracy (dynamic)'), ['pgd@0.1: robust accuracy (dynamic)', '71.0%', '91.0%', '+20.0 points']);
    assert.deepEqual(row('pgd@0.1: accuracy at e1')?.slice(0, 1), ['pgd@0.1: accuracy at e1']);
    assert.equal(row('pgd@0.1: accuracy at final'), undefined, 'the final exit is the robust accuracy (final exit) row');
    assert.ok(row('pgd@0.3: hijack rate'));
    assert.ok(row('fgsm@0.3: mean executed FLOPs'));
  });

  it('the bar chart: clean and each attack, one series per training', () => {
    const c = buildPanelView(withTraining(), null).trainingChart;
    assert.ok(c);
    assert.deepEqual(c.categories, ['clean', 'pgd@0.1', 'pgd@0.3', 'fgsm@0.3']);
    assert.deepEqual(c.series.map((s) => s.label), ['clean training (the file)', 'adversarial training (proposed)']);
    assert.deepEqual(c.series[1]?.values.map((v) => Number(v.toFixed(3))), [0.912, 0.91, 0.32, 0.55]);
  });

  it('the sweep chart draws the other training beside the file, marked as the other', () => {
    const [chart] = buildPanelView(withTraining(), null).sweeps;
    assert.ok(chart);
    assert.deepEqual(chart.series.map((s) => s.label), ['designs', 'Pareto front', 'current design', 'adversarially trained: designs', 'adversarially trained: Pareto front', 'adversarially trained: current design']);
    assert.deepEqual(chart.series.map((s) => s.other === true), [false, false, false, true, true, true]);
    assert.match(chart.series[5]?.points[0]?.note ?? '', /^adversarially trained: thresholds/);
    // Without the study the chart has the file's three series only.
    assert.equal(buildPanelView(cloneResults(), null).sweeps[0]?.series.length, 3);
  });

  it('the Markdown report and the CLI summary print the comparison', () => {
    const r = withTraining();
    const md = buildMarkdownReport(r);
    assert.match(md, /## Adversarial training\n\n.*\n\n\| figure \| clean training \(the file\) \| adversarial training \(proposed\) \| change \|/);
    assert.match(md, /### Design sweeps of the adversarially trained network\n\n- against pgd at eps 0\.1: 4 designs/);
    const text = summaryText(r);
    assert.match(text, /Adversarial training \(PGD-5 at eps 0\.1.*differs:\nfigure +clean training \(the file\) +adversarial training \(proposed\) +change/);
    assert.match(text, /pgd@0\.1: robust accuracy \(dynamic\) +71\.0% +91\.0% +\+20\.0 points/);
    // The terminal keeps the headline rows; the Markdown report has every exit.
    assert.doesNotMatch(text, /pgd@0\.1: accuracy at e1/);
    assert.match(md, /\| pgd@0\.1: accuracy at e1 \| 33\.0% \| 53\.0% \| \+20\.0 points \|/);
  });
});
