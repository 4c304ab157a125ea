// The worst-case ensemble end to end on the tiny MNIST model: never more robust than any member (PGD-40 style
// attacks of the file included), members run in order on the samples still standing, each sample is credited to
// the member that broke it first, and the figure is the same whether the PGD members were reused or re-run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { checkResults } from '../../../src/protocol/results-check';
import type { AttackResult, Results } from '../../../src/protocol/results';
import { runCheck } from '../../../src/studies/check';
import { planMembers } from '../../../src/studies/ensemble';
import type { AttackSpec } from '../../../src/modelfile/types';
import { tinyMnistModel } from '../../fixtures/tiny-mnist';
import { tempWorkspace, tinyAnalysis } from './helpers';

const SCHEMA = path.join(__dirname, '..', '..', '..', '..', 'docs', 'results.schema.json');

const YAML =
  tinyMnistModel({ name: 'tiny-ensemble', threshold: 0.5, epochs: 2, samples: 40, pgdEps: [0.05, 0.15] }) +
  [
    '    - {id: pgd-taken, kind: pgd, norm: linf, eps: [0.05, 0.15], step: 0.02, steps: 10, loss: taken}',
    '    - {id: worst, kind: ensemble, norm: linf, eps: [0.05, 0.15], preset: quick, steps: 5, targets: 2}',
    '',
  ].join('\n');

describe('studies: the worst-case ensemble', function () {
  this.timeout(300000);
  const { spec, specHash } = tinyAnalysis(YAML);
  const ws = tempWorkspace(YAML);
  const input = { spec, specHash, file: ws.file, workspaceRoot: ws.root };
  let full: Results;
  const byId = (r: Results, id: string): AttackResult => {
    const a = r.attacks.find((k) => k.id === id);
    assert.ok(a, `no result ${id} in ${r.attacks.map((k) => k.id).join(', ')}`);
    return a;
  };

  before(async () => {
    full = await runCheck(input, { backend: 'cpu', attacks: ['pgd', 'pgd-taken', 'worst'] });
    // Some sample must survive the first member at the small eps, or the later members are not exercised.
    const first = full.attacks.find((a) => a.id === 'worst@0.05')?.ensemble?.members[0];
    assert.ok(first !== undefined && first.robustAccuracyAfter > 0, 'everything fell to the first member: the test model is too weak to test the order');
  });
  after(() => ws.cleanup());

  it('validates against the published schema and the panel check', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
    const plain = JSON.parse(JSON.stringify(full)) as unknown;
    assert.ok(validate(plain), ajv.errorsText(validate.errors));
    assert.deepEqual(checkResults(plain), []);
  });

  for (const eps of [0.05, 0.15]) {
    it(`eps ${eps}: never more robust than any PGD of the file, dynamic and final exit, nor than clean`, () => {
      const worst = byId(full, `worst@${eps}`);
      for (const id of [`pgd@${eps}`, `pgd-taken@${eps}`]) {
        const member = byId(full, id);
        assert.ok(worst.robustAccuracy <= member.robustAccuracy, `${id}: ensemble ${worst.robustAccuracy} > ${member.robustAccuracy}`);
        assert.ok(worst.finalExitRobustAccuracy <= member.finalExitRobustAccuracy, `${id} final: ensemble ${worst.finalExitRobustAccuracy} > ${member.finalExitRobustAccuracy}`);
      }
      assert.ok(worst.robustAccuracy <= full.clean.accuracy);
      assert.ok(worst.finalExitRobustAccuracy <= full.clean.finalExitAccuracy);
    });

    it(`eps ${eps}: members run in order, each credited with the samples it broke first, robust accuracy never rising`, () => {
      const worst = byId(full, `worst@${eps}`);
      const members = worst.ensemble?.members ?? [];
      assert.deepEqual(
        members.map((m) => m.name),
        ['APGD-CE, loss final', 'APGD-T (DLR, 2 targets), loss final', 'APGD-CE, loss taken', 'APGD-T (DLR, 2 targets), loss taken', 'pgd', 'pgd-taken'],
      );
      const n = full.provenance.samples;
      const cleanCorrect = full.samples.filter((s) => s.cleanCorrect).length;
      const credited = members.flatMap((m) => m.brokeFirst);
      assert.equal(new Set(credited).size, credited.length, 'a sample credited twice');
      assert.equal(Math.round(worst.robustAccuracy * n), cleanCorrect - credited.length);
      let previous = full.clean.accuracy;
      for (const m of members) {
        assert.ok(m.robustAccuracyAfter <= previous + 1e-12, `${m.name} raised robust accuracy`);
        previous = m.robustAccuracyAfter;
        // A member that found nothing standing attacked nothing and cost nothing; any other paid gradients.
        if (m.kind === 'apgd') assert.equal(m.gradEvals > 0, m.attacked > 0, `${m.name}: ${m.gradEvals} gradient evaluations for ${m.attacked} samples`);
        else assert.ok(m.gradEvals > 0, `${m.name} has no cost`);
      }
      assert.equal(members.at(-1)?.robustAccuracyAfter, worst.robustAccuracy);
      // APGD members attack only what still stands at their exit: a later one never attacks more than an earlier
      // one aiming at the same exit, and none more than the clean-correct samples there.
      for (const loss of ['final', 'taken']) {
        const attacked = members.filter((m) => m.kind === 'apgd' && m.loss === loss).map((m) => m.attacked);
        for (let i = 1; i < attacked.length; i++) assert.ok((attacked[i] ?? 0) <= (attacked[i - 1] ?? 0), `${loss}: ${attacked.join(', ')}`);
      }
      const firstTaken = members.findIndex((m) => m.loss === 'taken');
      assert.equal(members[0]?.attacked, Math.round(full.clean.finalExitAccuracy * n), 'APGD-CE at the final exit attacks every sample the final exit gets right');
      assert.equal(members[firstTaken]?.attacked, Math.round((members[firstTaken - 1]?.robustAccuracyAfter ?? 0) * n), 'APGD-CE at the taken exit attacks every dynamic answer still standing');
      // The file's PGDs ran in this check: their examples are reused, not recomputed.
      assert.deepEqual(members.filter((m) => m.kind === 'pgd').map((m) => m.reusedFrom), [`pgd@${eps}`, `pgd-taken@${eps}`]);
      // The per-sample record of the worst case: every sample broken for the dynamic answer is recorded wrong.
      for (const i of credited) assert.equal(full.samples[i]?.adversarial[worst.id]?.correct, false, `sample ${i}`);
    });
  }

  it('an ensemble preset from the caller (the editor lens: quick) replaces the file\'s and is recorded', async () => {
    const quick = await runCheck(input, { backend: 'cpu', attacks: ['worst'], eps: [0.05], samples: 8, ensemblePreset: 'thorough' });
    const w = byId(quick, 'worst@0.05');
    assert.equal(w.ensemble?.preset, 'thorough');
    // The file's own steps (5) still win over the preset's 100.
    assert.ok(w.ensemble?.members.filter((m) => m.kind === 'apgd').every((m) => m.steps === 5));
    assert.equal(byId(full, 'worst@0.05').ensemble?.preset, 'quick');
  });

  it('gives the same figures when its PGD members are run by the ensemble itself (--attack worst)', async () => {
    const alone = await runCheck(input, { backend: 'cpu', attacks: ['worst'], eps: [0.15] });
    const a = byId(alone, 'worst@0.15');
    const b = byId(full, 'worst@0.15');
    assert.equal(a.robustAccuracy, b.robustAccuracy);
    assert.equal(a.finalExitRobustAccuracy, b.finalExitRobustAccuracy);
    assert.deepEqual(a.ensemble?.members.map((m) => m.brokeFirst), b.ensemble?.members.map((m) => m.brokeFirst));
    assert.ok(a.ensemble?.members.every((m) => m.reusedFrom === undefined));
  });
});

describe('studies: ensemble members', () => {
  const ensemble: AttackSpec = { id: 'worst', kind: 'ensemble', norm: 'linf', eps: [0.1], path: [] };
  const pgd: AttackSpec = { id: 'p', kind: 'pgd', norm: 'linf', eps: [0.1], loss: 'taken', path: [] };
  const pgdL2: AttackSpec = { id: 'q', kind: 'pgd', norm: 'l2', eps: [1], path: [] };

  it('thorough: 100 iterations, restarts for APGD-CE, 9 targets; the PGDs of the same norm last', () => {
    const m = planMembers(ensemble, 0.1, 10, [pgd, pgdL2], () => 7);
    assert.deepEqual(m.map((k) => k.name), ['APGD-CE, loss final', 'APGD-T (DLR, 9 targets), loss final', 'APGD-CE, loss taken', 'APGD-T (DLR, 9 targets), loss taken', 'p']);
    const first = m[0];
    assert.ok(first?.kind === 'apgd' && first.config.steps === 100 && (first.config.restarts ?? 0) > 1);
  });

  it('says DLR does not apply below 4 classes (targeted) and skips only those members', () => {
    const m = planMembers(ensemble, 0.1, 3, [], () => 0);
    const skipped = m.filter((k) => k.kind === 'apgd' && k.skipped !== undefined);
    assert.equal(skipped.length, 2);
    for (const k of skipped) assert.ok(k.kind === 'apgd' && /needs at least 4 classes/.test(k.skipped ?? ''));
  });
});
