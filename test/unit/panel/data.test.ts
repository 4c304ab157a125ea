import * as assert from 'assert';
import { datasetLabels } from '../../../src/panel/model/charts';
import { eecArea, eecChart, eecCurve, exitDistributionChart, flopsChart } from '../../../src/panel/model/exits';
import { allFlags } from '../../../src/panel/model/flags';
import { jsonPath, metric, pct, percentTicks } from '../../../src/panel/model/format';
import { amplifiedPerturbation, galleryView, toRgba } from '../../../src/panel/model/gallery';
import { attacksById, robustAccuracyChart } from '../../../src/panel/model/robustness';
import { suggestionView } from '../../../src/panel/model/suggestions';
import { frontIndices, paretoFront, sweepChart } from '../../../src/panel/model/sweep';
import { attackTable, gateTable, hijackTable, perExitTable, provenanceRows } from '../../../src/panel/model/tables';
import { transferHeatmap } from '../../../src/panel/model/transfer';
import { buildPanelView } from '../../../src/panel/model/viewModel';
import { cloneResults, SPEC_HASH } from './fixtures';

describe('panel data shaping', () => {
  describe('percent axis ticks', () => {
    it('uses the fewest decimals that keep neighbouring labels apart (the sweep chart read 93% 93% 94% 94%)', () => {
      assert.deepStrictEqual(percentTicks([0.93, 0.935, 0.94, 0.945]), ['93.0%', '93.5%', '94.0%', '94.5%']);
      assert.deepStrictEqual(percentTicks([0.9, 0.95, 1]), ['90%', '95%', '100%']);
      assert.deepStrictEqual(percentTicks([0.9325, 0.935, 0.9375]), ['93.25%', '93.50%', '93.75%']);
      assert.deepStrictEqual(percentTicks([0.5]), ['50%']);
      assert.deepStrictEqual(percentTicks([]), []);
    });
  });


  describe('robust accuracy', () => {
    it('groups attacks by id sorted by eps, each curve starting at the clean figure', () => {
      const r = cloneResults();
      r.attacks.reverse();
      assert.deepStrictEqual([...attacksById(r.attacks).keys()], ['fgsm', 'pgd']);
      const chart = robustAccuracyChart(r);
      assert.strictEqual(chart.id, 'robust-accuracy');
      assert.deepStrictEqual(datasetLabels(chart), ['fgsm (L∞): dynamic', 'fgsm (L∞): final exit', 'pgd (L∞): dynamic', 'pgd (L∞): final exit']);
      const pgdDynamic = chart.series[2];
      assert.deepStrictEqual(pgdDynamic?.points, [{ x: 0, y: 0.962 }, { x: 0.1, y: 0.71 }, { x: 0.3, y: 0.12 }]);
      assert.deepStrictEqual(chart.series[3]?.points, [{ x: 0, y: 0.974 }, { x: 0.1, y: 0.78 }, { x: 0.3, y: 0.2 }]);
      assert.strictEqual(chart.series[3]?.dashed, true);
      assert.strictEqual(chart.series[2]?.group, chart.series[3]?.group);
    });
  });

  describe('exits and cost', () => {
    it('stacks one series per exit over clean and every attack', () => {
      const chart = exitDistributionChart(cloneResults());
      assert.deepStrictEqual(chart.categories, ['clean', 'pgd@0.1', 'pgd@0.3', 'fgsm@0.3']);
      assert.deepStrictEqual(datasetLabels(chart), ['exit e1', 'exit e2', 'exit final']);
      assert.deepStrictEqual(chart.series[0]?.values, [0.7, 0.5, 0.5, 0.5]);
      assert.strictEqual(chart.stacked, true);
      assert.deepStrictEqual(flopsChart(cloneResults()).series[0]?.values, [0.395, 0.52, 0.52, 0.52]);
    });

    it('builds the EEC step curve and its area matches the definition', () => {
      const pts = eecCurve([0.7, 0.2, 0.1], [0.25, 0.6, 1]);
      assert.deepStrictEqual(pts.map((p) => [p.x, Number(p.y.toFixed(6))]), [[0, 0], [0.25, 0.7], [0.6, 0.9], [1, 1]]);
      // 0.7 * (0.6 - 0.25) + 0.9 * (1 - 0.6) = 0.245 + 0.36
      assert.ok(Math.abs(eecArea(pts) - 0.605) < 1e-9);
      // Everybody leaving at a free first exit is the ideal 1; everybody at the end is 0.
      assert.strictEqual(eecArea(eecCurve([1, 0], [0, 1])), 1);
      assert.strictEqual(eecArea(eecCurve([0, 1], [0.5, 1])), 0);
      assert.throws(() => eecCurve([1], [0.5, 1]), /1 exit shares but 2 FLOPs shares/);
    });

    it('labels EEC curves with the stored EEC', () => {
      const chart = eecChart(cloneResults());
      assert.deepStrictEqual(datasetLabels(chart), ['clean (EEC 0.800)', 'pgd@0.1 (EEC 0.610)', 'pgd@0.3 (EEC 0.610)', 'fgsm@0.3 (EEC 0.610)']);
      assert.strictEqual(chart.stepped, true);
    });
  });

  describe('tables', () => {
    it('prints per-exit accuracy with the final exit marked', () => {
      const t = perExitTable(cloneResults());
      assert.deepStrictEqual(t.rows.map((r) => r[0]), ['e1', 'e2', 'final (final)']);
      assert.deepStrictEqual(t.rows[0]?.slice(0, 5), ['e1', '25.0%', '91.0%', '70.0%', '33.0%']);
      assert.strictEqual(t.columns.length, t.rows[0]?.length);
    });

    it('has a gate table only for gated models', () => {
      const r = cloneResults();
      assert.deepStrictEqual(gateTable(r)?.rows, [['g1', '64.0%', '90.0%', '90.0%', '90.0%']]);
      r.model.gateNames = [];
      assert.strictEqual(gateTable(r), undefined);
    });

    it('shows exit hijack per internal exit and attack', () => {
      const r = cloneResults();
      r.attacks[2]!.hijackByExit = [0.5];
      assert.deepStrictEqual(hijackTable(r)?.rows, [['e1', '22.0%', '22.0%', '50.0%'], ['e2', '9.0%', '9.0%', '–']]);
      r.attacks = [];
      assert.strictEqual(hijackTable(r), undefined);
    });

    it('summarises attacks with their flags and provenance', () => {
      const t = attackTable(cloneResults());
      const row = t.rows[1] ?? [];
      assert.strictEqual(row[t.columns.indexOf('robust accuracy (dynamic)')], '12.0%');
      assert.strictEqual(row[t.columns.indexOf('hijack rate')], '31.0%');
      assert.strictEqual(row[t.columns.indexOf('flags')], 'weaker-than-noise');
      const prov = new Map(provenanceRows(cloneResults()));
      assert.strictEqual(prov.get('backend'), 'wasm: tfjs-node not installed; WASM with SIMD');
      assert.strictEqual(prov.get('spec hash'), SPEC_HASH);
      assert.strictEqual(prov.get('seed'), '1234');
    });
  });

  describe('transfer heatmap', () => {
    it('maps the 2x2 matrix to cells with the transfer direction', () => {
      const m = transferHeatmap(cloneResults().transfer[0]!);
      assert.deepStrictEqual(m.cells.map((r) => r.map((c) => c.text)), [['88.0%', '62.0%'], ['41.0%', '80.0%']]);
      assert.ok(m.cells[0]?.[1]?.label.includes('crafted on dynamic, evaluated on static twin'));
      assert.ok(m.cells[0]?.[0]?.label.endsWith('(white-box)'));
      assert.match(m.note, /^dynamic → static transfers better \(62\.0% against 41\.0%\)/);
      const clamped = transferHeatmap({ attackId: 'a', eps: 1, matrix: [[1.4, -0.1], [0, 0]], staticCleanAccuracy: 1 });
      assert.deepStrictEqual(clamped.cells[0]?.map((c) => c.intensity), [1, 0]);
    });
  });

  describe('sweeps', () => {
    it('computes the Pareto front of cost against robustness', () => {
      const pts = [
        { cost: 0.3, value: 0.55 },
        { cost: 0.6, value: 0.78 },
        { cost: 0.45, value: 0.71 },
        { cost: 0.55, value: 0.8 },
        { cost: 0.45, value: 0.71 },
      ];
      assert.deepStrictEqual(paretoFront(pts), [0, 2, 4, 3]);
      assert.deepStrictEqual(paretoFront([]), []);
    });

    it('draws the study-marked front, falling back to the computed one, and the current design', () => {
      const r = cloneResults();
      const chart = sweepChart(r.sweeps[0]!, 0);
      assert.deepStrictEqual(datasetLabels(chart), ['designs', 'Pareto front', 'current design']);
      assert.deepStrictEqual(chart.series[1]?.points.map((p) => p.x), [0.45, 0.55]);
      assert.deepStrictEqual(chart.series[2]?.points.map((p) => [p.x, p.y]), [[0.45, 0.71]]);
      assert.match(chart.series[2]?.points[0]?.note ?? '', /^thresholds \[0\.9, 0\.9\]; gates \[0\.5\]: clean 95\.0%, robust 71\.0%/);
      for (const p of r.sweeps[0]!.points) p.onParetoFront = false;
      assert.deepStrictEqual(frontIndices(r.sweeps[0]!.points), [0, 1, 2]);
    });
  });

  describe('suggestions, flags, formatting', () => {
    it('shows a suggestion with its change and measured effect', () => {
      const s = suggestionView(cloneResults().suggestions[0]!);
      assert.strictEqual(s.change, 'exits[0].policy.threshold = 0.97');
      assert.deepStrictEqual(s.effects.map((e) => [e.metric, e.before, e.after]), [['hijackRate', '31.0%', '6.0%'], ['cleanFlopsRatio', '39.5%', '43.5%']]);
      assert.ok(Math.abs((s.effects[0]?.delta ?? 0) + 0.25) < 1e-12);
    });

    it('lists run and attack flags, errors first', () => {
      const flags = allFlags(cloneResults());
      assert.deepStrictEqual(flags.map((f) => [f.severity, f.code, f.source]), [['error', 'robust-above-clean', 'run'], ['warning', 'weaker-than-noise', 'pgd@0.3']]);
    });

    it('formats paths, shares and metrics', () => {
      assert.strictEqual(jsonPath([]), '(model root)');
      assert.strictEqual(jsonPath(['gates', 2, 'odd key']), 'gates[2]["odd key"]');
      assert.strictEqual(pct(0.3125), '31.3%');
      assert.strictEqual(metric('steps', 40), '40');
      assert.strictEqual(metric('robustAccuracy', 0.5), '50.0%');
    });
  });

  describe('gallery', () => {
    it('turns grey HWC values into opaque RGBA, clamped', () => {
      const img = toRgba([0, 1, 0.5, 2], [2, 2, 1]);
      assert.deepStrictEqual([...img.data.slice(0, 8)], [0, 0, 0, 255, 255, 255, 255, 255]);
      assert.deepStrictEqual([...img.data.slice(12, 16)], [255, 255, 255, 255]);
      const rgb = toRgba([1, 0, 0], [1, 1, 3]);
      assert.deepStrictEqual([...rgb.data], [255, 0, 0, 255]);
      assert.throws(() => toRgba([0], [2, 2]), /1 values for shape \[2, 2\]/);
      assert.throws(() => toRgba([0, 0], [1, 1, 2]), /is not \[height, width\]/);
    });

    it('amplifies the perturbation around mid-grey', () => {
      const p = amplifiedPerturbation([0, 0.5], [0.1, 0.45]);
      assert.ok(Math.abs(p.gain - 5) < 1e-9);
      assert.deepStrictEqual(p.values.map((v) => Number(v.toFixed(6))), [1, 0.25]);
      assert.deepStrictEqual(amplifiedPerturbation([0.2], [0.2]), { values: [0.5], gain: 1, maxAbs: 0 });
    });

    it('reports each exit clean and adversarial with correctness', () => {
      const r = cloneResults();
      const g = galleryView(r.gallery[0]!, r.model.exitNames);
      assert.deepStrictEqual(g.exits[0], { exit: 'e1', clean: '7 (91.0%)', adversarial: '2 (97.0%)', cleanCorrect: true, adversarialCorrect: false, answeredClean: false, answeredAdversarial: false });
      const answered = galleryView(r.gallery[0]!, r.model.exitNames, r.samples[0]);
      assert.deepStrictEqual(answered.exits.map((e) => [e.answeredClean, e.answeredAdversarial]), [[true, true], [false, false], [false, false]]);
      assert.strictEqual(g.original.width, 2);
      assert.match(g.perturbationNote, /^perturbation ×1\.7 \(max \|δ\| 0\.300\)$/);
    });
  });

  it('assembles the whole view and marks stale results', () => {
    const r = cloneResults();
    assert.strictEqual(buildPanelView(r, SPEC_HASH).stale, false);
    const v = buildPanelView(r, 'sha256:other');
    assert.strictEqual(v.stale, true);
    assert.strictEqual(v.sweeps.length, 1);
    assert.strictEqual(v.transfer.length, 1);
    assert.strictEqual(v.flags.length, 2);
  });
});
