// Tables of figures: per-exit accuracy, gate firing, the attack summary, generation efficiency, paper findings
// and provenance. Cells are formatted strings, so the panel and both reports print the same thing.
import type { Results } from '../../protocol/results';
import type { TableModel } from './charts';
import { big, num, pct, seconds } from './format';

export function perExitTable(r: Results): TableModel {
  const last = r.model.exitNames.length - 1;
  return {
    id: 'per-exit',
    caption: "Per-exit accuracy (each exit's prediction on all samples) and share of samples answered there",
    columns: ['exit', 'FLOPs share', 'clean accuracy', 'clean exit share', ...r.attacks.map((a) => `${a.id} accuracy`), ...r.attacks.map((a) => `${a.id} exit share`)],
    rows: r.model.exitNames.map((name, i) => [
      i === last ? `${name} (final)` : name,
      pct(r.model.exitFlopsShare[i] ?? NaN),
      pct(r.clean.perExitAccuracy[i] ?? NaN),
      pct(r.clean.exitDistribution[i] ?? NaN),
      ...r.attacks.map((a) => pct(a.perExitAccuracy[i] ?? NaN)),
      ...r.attacks.map((a) => pct(a.exitDistribution[i] ?? NaN)),
    ]),
  };
}

/** Gate firing rates (block ran), clean and per attack; undefined for a model without gates. */
export function gateTable(r: Results): TableModel | undefined {
  if (r.model.gateNames.length === 0) return undefined;
  return {
    id: 'gates',
    caption: 'Gate firing rate (share of samples whose block ran)',
    columns: ['gate', 'clean', ...r.attacks.map((a) => a.id)],
    rows: r.model.gateNames.map((name, i) => [name, pct(r.clean.gateFiringRate[i] ?? NaN), ...r.attacks.map((a) => pct(a.gateFiringRate[i] ?? NaN))]),
  };
}

/** Where attacks made the network stop early on a wrong answer: per internal exit, per attack. */
export function hijackTable(r: Results): TableModel | undefined {
  const internal = r.model.exitNames.slice(0, -1);
  if (internal.length === 0 || r.attacks.length === 0) return undefined;
  return {
    id: 'hijack',
    caption: 'Exit hijack: share of samples answered wrongly at each internal exit',
    columns: ['exit', ...r.attacks.map((a) => a.id)],
    rows: internal.map((name, i) => [name, ...r.attacks.map((a) => (i < a.hijackByExit.length ? pct(a.hijackByExit[i] ?? NaN) : '–'))]),
  };
}

/**
 * The worst case first: per ensemble result, the dynamic and final-exit worst case, then what each member gave
 * (the samples it broke first and the worst case after it), with its cost. Undefined without an ensemble.
 */
export function ensembleTable(r: Results): TableModel | undefined {
  const ensembles = r.attacks.filter((a) => a.ensemble !== undefined);
  if (ensembles.length === 0) return undefined;
  const rows: string[][] = [];
  for (const a of ensembles) {
    const members = a.ensemble?.members ?? [];
    rows.push([`${a.attackId} @ ${num(a.eps, 4)}`, 'worst case (all members)', '', '', '', pct(a.robustAccuracy), pct(a.finalExitRobustAccuracy), big(a.gradEvals), seconds(a.seconds), a.flags.map((f) => f.code).join(', ')]);
    for (const m of members) {
      const note = m.skipped !== undefined ? `skipped: ${m.skipped}` : m.reusedFrom !== undefined ? `examples of ${m.reusedFrom}` : '';
      rows.push(['', m.name, `${m.steps} × ${m.restarts}`, String(m.attacked), `${m.brokeFirst.length} / ${m.brokeFirstFinalExit.length}`, pct(m.robustAccuracyAfter), pct(m.finalExitRobustAccuracyAfter), big(m.gradEvals), seconds(m.seconds), note]);
    }
  }
  return {
    id: 'ensemble',
    caption: 'Worst case over the ensemble: a sample counts as robust only if it survived every member (members ran in this order on the samples still standing)',
    columns: ['ensemble', 'member', 'steps × restarts', 'samples attacked', 'broke first (dynamic / final exit)', 'robust after (dynamic)', 'robust after (final exit)', 'grad evals', 'time', 'notes'],
    rows,
  };
}

export function attackTable(r: Results): TableModel {
  return {
    id: 'attacks',
    caption: 'Attacks: robustness, mechanism and cost under attack',
    columns: ['attack', 'kind', 'norm', 'eps', 'loss', 'steps × restarts', 'robust accuracy (dynamic)', 'robust accuracy (final exit)', 'success rate', 'hijack rate', 'mean FLOPs', 'EEC', 'max / mean perturbation', 'grad evals', 'time', 'flags'],
    rows: r.attacks.map((a) => [
      a.attackId,
      a.kind,
      a.norm === 'l2' ? 'L2' : 'L∞',
      num(a.eps, 4),
      a.loss,
      `${a.steps} × ${a.restarts}`,
      pct(a.robustAccuracy),
      pct(a.finalExitRobustAccuracy),
      pct(a.successRate),
      pct(a.hijackRate),
      pct(a.meanFlopsRatio),
      num(a.eec),
      `${num(a.maxPerturbation, 4)} / ${num(a.meanPerturbation, 4)}`,
      big(a.gradEvals),
      seconds(a.seconds),
      a.flags.length === 0 ? '' : a.flags.map((f) => f.code).join(', '),
    ]),
  };
}

export function cleanTable(r: Results): TableModel {
  return {
    id: 'clean',
    caption: 'Clean figures',
    columns: ['figure', 'value'],
    rows: [
      ['accuracy (dynamic inference)', pct(r.clean.accuracy)],
      ['accuracy (final exit alone)', pct(r.clean.finalExitAccuracy)],
      ['mean executed FLOPs', `${pct(r.clean.meanFlopsRatio)} of ${big(r.model.fullFlops)}`],
      ['EEC', num(r.clean.eec)],
      ['exit distribution', r.model.exitNames.map((n, i) => `${n} ${pct(r.clean.exitDistribution[i] ?? NaN)}`).join(', ')],
    ],
  };
}

export function efficiencyTable(r: Results): TableModel | undefined {
  if (r.efficiency.length === 0) return undefined;
  return {
    id: 'efficiency',
    caption: 'Generation efficiency: cost per successful adversarial example',
    columns: ['attack', 'eps', 'crafted on', 'successes', 'grad evals / success', 'FLOPs / success', 'seconds / success'],
    rows: r.efficiency.map((e) => [e.attackId, num(e.eps, 4), e.model, String(e.successes), num(e.gradEvalsPerSuccess, 1), big(e.flopsPerSuccess), num(e.secondsPerSuccess, 4)]),
  };
}

export function findingsTable(r: Results): TableModel | undefined {
  if (r.findings.length === 0) return undefined;
  return {
    id: 'findings',
    caption: 'Paper findings on this model',
    columns: ['finding', 'claim', 'holds', 'evidence'],
    rows: r.findings.map((f) => [f.id, f.claim, f.holds === null ? 'not measured' : f.holds ? 'yes' : 'no', f.evidence]),
  };
}

export function provenanceRows(r: Results): [string, string][] {
  const p = r.provenance;
  return [
    ['model', `${r.model.name} (${r.model.file})`],
    ['backend', `${p.backend}: ${p.backendReason}`],
    ['seed', String(p.seed)],
    ['samples', String(p.samples)],
    ['run time', seconds(p.seconds)],
    ['spec hash', r.model.specHash],
    ['date', p.date],
    ['weights', p.weights],
    ['data', p.data],
    ...(r.model.classNames !== undefined ? [['classes', r.model.classNames.map((n, i) => `${i} ${n}`).join(', ')] as [string, string]] : []),
    ['tool', `dynn-lens ${p.toolVersion}, TF.js ${p.tfjsVersion}`],
  ];
}
