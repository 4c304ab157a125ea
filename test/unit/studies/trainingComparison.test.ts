// Study adversarial-training: the file's network against the same network trained the other way, with the same
// samples, seeds and attacks; the recipe's suggestion and its measured deltas. End to end on the tiny MNIST model
// (real training, real attacks, pure-JS backend), and the pure parts on hand-built figures.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { proposedAdversarialTraining } from '../../../src/advice';
import { checkResults } from '../../../src/protocol/results-check';
import type { Results, TrainingAttackFigures, TrainingComparison, TrainingVariant } from '../../../src/protocol/results';
import { CheckInputError, runCheck } from '../../../src/studies/check';
import { headline, suggestTraining, trainingPair } from '../../../src/studies/trainingComparison';
import { TINY_MNIST_YAML, tempWorkspace, tinyAnalysis } from './helpers';

function attack(id: string, kind: TrainingAttackFigures['kind'], eps: number, robust: number, extra: Partial<TrainingAttackFigures> = {}): TrainingAttackFigures {
  return { id: `${id}@${eps}`, attackId: id, kind, norm: 'linf', eps, robustAccuracy: robust, finalExitRobustAccuracy: robust, perExitRobustAccuracy: [robust, robust], hijackRate: 0.1, meanFlopsRatio: 0.5, ...extra };
}

function variant(clean: number, attacks: TrainingAttackFigures[], trainingSeconds = 10): TrainingVariant {
  return { weights: 'w', trainingSeconds, cleanAccuracy: clean, cleanPerExitAccuracy: [clean, clean], cleanFlopsRatio: 0.4, attacks };
}

const RECIPE = { eps: 0.1, step: 0.025, steps: 5, loss: 'average' as const, fraction: 0.5 };

describe('studies: adversarial-training comparison (pure parts)', () => {
  const { spec } = tinyAnalysis();

  it('pairs a clean-trained file with the proposed recipe, and a file with a recipe with clean training', () => {
    const pair = trainingPair(spec);
    assert.equal(pair.file, 'clean');
    assert.deepEqual(pair.recipe, proposedAdversarialTraining(spec));
    // The smallest L-inf accuracy radius the tiny file checks (pgd at 0.05 and 0.2; hijack is not an accuracy attack).
    assert.deepEqual(pair.recipe, { eps: 0.05, step: 0.0125, steps: 5, loss: 'average', fraction: 0.5 });
    assert.deepEqual(pair.other.train.adversarial, pair.recipe);
    assert.equal(spec.train.adversarial, undefined, 'the file spec is not changed');
    const adv = tinyAnalysis(TINY_MNIST_YAML.replace('seed: 3}', 'seed: 3, adversarial: {eps: 0.2, steps: 2}}')).spec;
    const back = trainingPair(adv);
    assert.equal(back.file, 'adversarial');
    assert.deepEqual(back.recipe, { eps: 0.2, step: 0.05, steps: 2, loss: 'maxAverage', fraction: 0.5 });
    assert.equal(back.other.train.adversarial, undefined);
    assert.deepEqual({ ...back.other.train, path: [] }, { ...spec.train, path: [] }, 'only the recipe differs');
  });

  it('refuses a file with no L-inf accuracy attack, and an imported model, saying why', () => {
    const mechanismOnly = tinyAnalysis(TINY_MNIST_YAML.replace(/ {4}- \{id: pgd,[^\n]*\n/, '')).spec;
    assert.throws(() => trainingPair(mechanismOnly), (e: unknown) => e instanceof CheckInputError && /checks no L-inf accuracy attack/.test(e.message));
    assert.throws(() => trainingPair({ ...spec, import: { model: 'm.onnx', outputs: ['a', 'b'] } as never }), /imported model, trained elsewhere/);
  });

  it('judges by the lowest dynamic robust accuracy at the recipe radius (the ensemble when it ran), on each side', () => {
    const c: TrainingComparison = {
      recipe: RECIPE,
      file: 'clean',
      clean: variant(0.98, [attack('pgd', 'pgd', 0.1, 0.5), attack('worst', 'ensemble', 0.1, 0.25), attack('pgd', 'pgd', 0.3, 0.0), attack('hijack', 'hijack', 0.1, 0.1)]),
      adversarial: variant(0.97, [attack('pgd', 'pgd', 0.1, 0.7), attack('worst', 'ensemble', 0.1, 0.6), attack('pgd', 'pgd', 0.3, 0.0), attack('hijack', 'hijack', 0.1, 0.5)]),
      otherSweeps: [],
    };
    const h = headline(c);
    assert.equal(h?.clean.id, 'worst@0.1');
    assert.equal(h?.adversarial.id, 'worst@0.1');
    const s = suggestTraining(c, 'm', ['exit1', 'final']);
    assert.ok(s);
    assert.deepEqual(s.change, { path: ['train', 'adversarial'], value: RECIPE });
    assert.deepEqual(s.target, { kind: 'model', name: 'm' });
    assert.equal(s.before.robustAccuracy, 0.25);
    assert.equal(s.after.robustAccuracy, 0.6);
    assert.equal(s.before['robustAccuracy exit1'], 0.25);
    assert.equal(s.after.cleanAccuracy, 0.97);
    assert.equal(s.after.trainingSeconds, 10);
    assert.match(s.title, /robust accuracy 25\.0% -> 60\.0% under worst@0\.1 .*clean accuracy 98\.0% -> 97\.0%, clean cost \+0%, training 1\.0x as long/);
  });

  it('suggests nothing when the recipe gains less than 2 points, or when the file already has it', () => {
    const small: TrainingComparison = { recipe: RECIPE, file: 'clean', clean: variant(0.98, [attack('pgd', 'pgd', 0.1, 0.5)]), adversarial: variant(0.97, [attack('pgd', 'pgd', 0.1, 0.515)]), otherSweeps: [] };
    assert.equal(suggestTraining(small, 'm', ['exit1', 'final']), undefined);
    const big: TrainingComparison = { ...small, adversarial: variant(0.97, [attack('pgd', 'pgd', 0.1, 0.9)]) };
    assert.ok(suggestTraining(big, 'm', ['exit1', 'final']));
    // When the lowest figure after training comes from another attack, the title names both.
    const moved: TrainingComparison = { ...small, clean: variant(0.98, [attack('pgd', 'pgd', 0.1, 0.5), attack('fgsm', 'fgsm', 0.1, 0.6)]), adversarial: variant(0.97, [attack('pgd', 'pgd', 0.1, 0.9), attack('fgsm', 'fgsm', 0.1, 0.8)]) };
    assert.match(suggestTraining(moved, 'm', ['exit1', 'final'])?.title ?? '', /robust accuracy 50\.0% -> 80\.0% under pgd@0\.1 \(after: under fgsm@0\.1, its lowest\)/);
    assert.equal(suggestTraining({ ...big, file: 'adversarial' }, 'm', ['exit1', 'final']), undefined);
  });

  it('judges at the smallest run radius above the recipe when the run used other radii', () => {
    const c: TrainingComparison = { recipe: RECIPE, file: 'clean', clean: variant(0.98, [attack('pgd', 'pgd', 0.3, 0.1), attack('pgd', 'pgd', 0.2, 0.3)]), adversarial: variant(0.97, [attack('pgd', 'pgd', 0.3, 0.2), attack('pgd', 'pgd', 0.2, 0.5)]), otherSweeps: [] };
    assert.equal(headline(c)?.clean.id, 'pgd@0.2');
  });
});

describe('studies: adversarial-training study end to end on the tiny model', function () {
  this.timeout(300_000);
  const { spec, specHash } = tinyAnalysis();
  const ws = tempWorkspace();
  const input = { spec, specHash, file: ws.file, workspaceRoot: ws.root };
  let r: Results;
  const messages: string[] = [];
  const partial: string[] = [];

  before(async () => {
    r = await runCheck(input, {
      backend: 'cpu',
      studies: ['adversarial-training', 'sweep'],
      onProgress: (p) => messages.push(p.message),
      onAttackResult: (a) => partial.push(a.id),
    });
  });
  after(() => ws.cleanup());

  it('adds a comparison that passes the results check, with the file on the clean side', () => {
    assert.deepEqual(checkResults(JSON.parse(JSON.stringify(r))), []);
    const c = r.training;
    assert.ok(c);
    assert.equal(c.file, 'clean');
    assert.deepEqual(c.recipe, proposedAdversarialTraining(spec));
  });

  it("the file's side is the file's own figures; the other side ran the same attacks and radii", () => {
    const c = r.training as TrainingComparison;
    assert.equal(c.clean.cleanAccuracy, r.clean.accuracy);
    assert.deepEqual(c.clean.cleanPerExitAccuracy, r.clean.perExitAccuracy);
    assert.deepEqual(
      c.clean.attacks.map((a) => [a.id, a.robustAccuracy, a.finalExitRobustAccuracy, a.hijackRate]),
      r.attacks.map((a) => [a.id, a.robustAccuracy, a.finalExitRobustAccuracy, a.hijackRate]),
    );
    assert.deepEqual(c.adversarial.attacks.map((a) => a.id), r.attacks.map((a) => a.id));
    for (const a of c.adversarial.attacks) {
      assert.equal(a.perExitRobustAccuracy.length, 2);
      for (const x of [a.robustAccuracy, a.hijackRate, ...a.perExitRobustAccuracy]) assert.ok(x >= 0 && x <= 1);
    }
    // Partial results are the file's only: the other training's would be taken for them.
    assert.deepEqual(partial, r.attacks.map((a) => a.id));
  });

  it('trained two networks into two cache entries, with their training times, and said which one it trained', () => {
    const c = r.training as TrainingComparison;
    assert.match(c.clean.weights, /trained this run/);
    assert.match(c.adversarial.weights, /trained this run/);
    assert.ok((c.clean.trainingSeconds ?? 0) > 0 && (c.adversarial.trainingSeconds ?? 0) > 0);
    assert.equal(fs.readdirSync(path.join(ws.root, '.dynn', 'weights')).length, 2);
    assert.ok(messages.some((m) => /^training the adversarially trained variant: .*adversarial PGD-5 on 50% of each batch/.test(m)), 'progress names the variant and its attack');
    assert.ok(messages.some((m) => /^the adversarially trained variant: /.test(m)), "the variant's measurement is named in progress");
  });

  it('sweeps both trainings against the same attacks; the suggestion follows the measured gain', () => {
    const c = r.training as TrainingComparison;
    assert.ok(r.sweeps.length > 0);
    assert.deepEqual(c.otherSweeps.map((s) => [s.attackId, s.eps]), r.sweeps.map((s) => [s.attackId, s.eps]));
    const expected = suggestTraining(c, spec.name, r.model.exitNames);
    const got = r.suggestions.filter((s) => s.target.kind === 'model');
    assert.deepEqual(got, expected === undefined ? [] : [expected]);
  });

  it('a second run reads both trainings from the cache and repeats every figure', async () => {
    const again = await runCheck(input, { backend: 'cpu', studies: ['adversarial-training'] });
    const c = again.training as TrainingComparison;
    assert.match(c.clean.weights, /cache/);
    assert.match(c.adversarial.weights, /cache/);
    assert.equal(c.adversarial.trainingSeconds, r.training?.adversarial.trainingSeconds, 'the training time recorded with the weights');
    const figures = (t: TrainingComparison): unknown => [t.clean.cleanAccuracy, t.adversarial.cleanAccuracy, t.clean.attacks, t.adversarial.attacks];
    assert.deepEqual(figures(c), figures(r.training as TrainingComparison));
  });

  it('a file that has the recipe is compared with its clean training (the one cached above)', async () => {
    const recipe = r.training?.recipe;
    assert.ok(recipe);
    const text = fs.readFileSync(path.join(ws.root, ws.file), 'utf8').replace('seed: 3}', `seed: 3, adversarial: {eps: ${recipe.eps}, step: ${recipe.step}, steps: ${recipe.steps}, loss: ${recipe.loss}, fraction: ${recipe.fraction}}}`);
    const adv = tinyAnalysis(text);
    const back = await runCheck({ ...input, spec: adv.spec, specHash: adv.specHash }, { backend: 'cpu', studies: ['adversarial-training'] });
    const c = back.training as TrainingComparison;
    assert.equal(c.file, 'adversarial');
    assert.match(c.clean.weights, /cache/);
    assert.match(c.adversarial.weights, /cache/);
    assert.deepEqual(c.adversarial.attacks, r.training?.adversarial.attacks, 'the same network and seeds give the same figures from either side');
    assert.deepEqual(back.suggestions.filter((s) => s.target.kind === 'model'), [], 'nothing to add to a file that has the recipe');
  });

  it('refuses before training when the file checks no L-inf accuracy attack', async () => {
    const text = TINY_MNIST_YAML.replace(/ {4}- \{id: pgd,[^\n]*\n/, '');
    const other = tempWorkspace(text);
    try {
      const t = tinyAnalysis(text);
      await assert.rejects(runCheck({ spec: t.spec, specHash: t.specHash, file: other.file, workspaceRoot: other.root }, { backend: 'cpu', studies: ['adversarial-training'] }), /checks no L-inf accuracy attack/);
      assert.equal(fs.existsSync(path.join(other.root, '.dynn', 'weights')), false, 'nothing was trained');
    } finally {
      other.cleanup();
    }
  });
});
