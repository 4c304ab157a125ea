// Findings from measured results and suggestion edits, on real parsed model files (YAML block, YAML flow, JSON).
import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { detectFormat, applyEdits, parsesCleanly } from '../../../src/advice/format';
import { HIJACK_CODE, SLOWDOWN_CODE, TRAINING_CODE, resultFindings, worstHijack, worstSlowdown, type ResultSubject } from '../../../src/advice/resultFindings';
import { suggestionEdits } from '../../../src/advice/suggestionEdit';
import { analyzeText } from '../../../src/modelfile';
import type { NodePath } from '../../../src/modelfile/types';
import type { Results, Suggestion } from '../../../src/protocol/results';
import { LENS_FIXTURE } from '../extension/fixture';
import { cloneResults } from '../panel/fixtures';

function subject(text: string, fileName = 'm.dynn.yaml'): ResultSubject {
  const analysis = analyzeText(text, { fileName });
  assert.ok(analysis.spec, `fixture does not parse: ${analysis.diagnostics.map((d) => d.message).join('; ')}`);
  return { spec: analysis.spec, specHash: analysis.specHash, text, format: detectFormat(text, fileName), locate: (p: NodePath) => analysis.locate(p) };
}

/** Results of the lens fixture: one internal exit e1, gate g1, the hash of the text as it is. */
function resultsFor(s: ResultSubject): Results {
  const r = cloneResults();
  r.model.name = s.spec.name;
  r.model.specHash = s.specHash ?? '';
  r.model.exitNames = ['e1', 'final'];
  r.model.gateNames = ['g1'];
  r.clean.exitDistribution = [0.6, 0.4];
  r.clean.meanFlopsRatio = 0.5;
  r.attacks = r.attacks.map((a) => ({ ...a, hijackByExit: [0.05], meanFlopsRatio: 0.55, exitDistribution: [0.5, 0.5] }));
  r.suggestions = [];
  return r;
}

function suggestion(path: (string | number)[], value: unknown, target: Suggestion['target'] = { kind: 'exit', name: 'e1' }, id = 'pgd@0.3:x'): Suggestion {
  return { id, title: `set ${path.join('.')} to ${JSON.stringify(value)}`, target, change: { path, value }, before: {}, after: {} };
}

function applied(s: ResultSubject, edits: { span: { start: number; end: number }; newText: string }[]): unknown {
  const out = applyEdits(s.text, edits);
  assert.ok(out !== undefined);
  assert.ok(parsesCleanly(out, s.format));
  return s.format === 'json' ? JSON.parse(out) : parse(out);
}

describe('results -> findings', () => {
  it('gives no finding when every measurement is within the limits', () => {
    const s = subject(LENS_FIXTURE);
    assert.deepEqual(resultFindings(resultsFor(s), s), []);
  });

  it('warns at the exit name with the measured hijack rate, the attack and the limit', () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    const pgd03 = r.attacks.find((a) => a.id === 'pgd@0.3');
    assert.ok(pgd03);
    pgd03.hijackByExit = [0.31];
    const found = resultFindings(r, s, { hijackRate: 0.1, slowdownCostIncrease: 1 });
    assert.equal(found.length, 1);
    const f = found[0];
    assert.ok(f);
    assert.equal(f.code, HIJACK_CODE);
    assert.equal(f.severity, 'warning');
    assert.equal(f.source, 'results');
    assert.equal(s.text.slice(f.span.start, f.span.end), 'e1');
    assert.match(f.message, /e1: 31% of samples exit here with a wrong answer under pgd \(pgd, eps 0\.3\); limit 10%/);
    assert.doesNotMatch(f.message, /stale/);
    assert.equal(f.fixes, undefined, 'no suggestion, no fix');
  });

  it('respects the limit exactly: a rate equal to the limit is not a finding', () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    for (const a of r.attacks) a.hijackByExit = [0.1];
    assert.deepEqual(resultFindings(r, s, { hijackRate: 0.1, slowdownCostIncrease: 1 }), []);
    assert.equal(resultFindings(r, s, { hijackRate: 0.09, slowdownCostIncrease: 1 }).length, 1);
  });

  it('warns at the model name when an attack raises the FLOPs per sample past the limit', () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    const fgsm = r.attacks.find((a) => a.attackId === 'fgsm');
    assert.ok(fgsm);
    fgsm.meanFlopsRatio = 0.9; // +80% over clean 0.5
    const worst = worstSlowdown(r);
    assert.equal(worst?.attack.attackId, 'fgsm');
    assert.ok(Math.abs((worst?.increase ?? 0) - 0.8) < 1e-9);
    const found = resultFindings(r, s, { hijackRate: 1, slowdownCostIncrease: 0.25 });
    assert.equal(found.length, 1);
    assert.equal(found[0]?.code, SLOWDOWN_CODE);
    assert.equal(s.text.slice(found[0]?.span.start, found[0]?.span.end), 'lens-fixture');
    assert.match(found[0]?.message ?? '', /raises the mean FLOPs per sample by 80% \(50% -> 90% of the full network\); limit \+25%/);
  });

  it('marks findings as stale when the file changed since the results', () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    for (const a of r.attacks) a.hijackByExit = [0.5];
    r.model.specHash = 'another';
    assert.match(resultFindings(r, s)[0]?.message ?? '', /\(stale: measured before the file last changed\)/);
  });

  it("ignores results of another model (same file, renamed model)", () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    for (const a of r.attacks) a.hijackByExit = [0.5];
    r.model.name = 'other';
    assert.deepEqual(resultFindings(r, s), []);
  });

  it('turns the suggestions for that exit (measured against the worst attack first) into fixes', () => {
    const s = subject(LENS_FIXTURE);
    const r = resultsFor(s);
    for (const a of r.attacks) a.hijackByExit = [0.4];
    r.suggestions = [
      suggestion(['gates', 0, 'threshold'], 0.7, { kind: 'gate', name: 'g1' }),
      suggestion(['exits', 0, 'threshold'], 0.99, { kind: 'exit', name: 'e1' }, 'fgsm@0.3:other'),
      suggestion(['exits', 0, 'threshold'], 0.97, { kind: 'exit', name: 'e1' }, 'pgd@0.1:exits.0.threshold=0.97'),
    ];
    const worst = worstHijack(r, 0);
    assert.equal(worst?.attack.attackId, 'pgd');
    const f = resultFindings(r, s)[0];
    assert.ok(f?.fixes);
    assert.equal(f.fixes.length, 2, 'the gate suggestion does not fix an exit');
    assert.match(f.fixes[0]?.title ?? '', /0\.97/);
    const after = applied(s, f.fixes[0]?.edits ?? []) as { exits: { threshold: number }[] };
    assert.equal(after.exits[0]?.threshold, 0.97);
  });
});

describe('suggestion -> edit', () => {
  it('replaces an existing value in block YAML and keeps the rest of the file', () => {
    const s = subject(LENS_FIXTURE);
    const made = suggestionEdits(s, { path: ['gates', 0, 'threshold'], value: 0.65 });
    assert.ok(made.ok);
    const out = applyEdits(s.text, made.edits) ?? '';
    assert.equal(out, LENS_FIXTURE.replace('    threshold: 0.5\n', '    threshold: 0.65\n'));
  });

  it('sets a value in flow YAML and adds a key the file does not have yet', () => {
    const text = LENS_FIXTURE.replace('gates:\n  - name: g1\n    block: res1\n    threshold: 0.5\n', 'policy: { kind: maxProb, threshold: 0.9 }\n');
    const s = subject(text);
    const made = suggestionEdits(s, { path: ['policy', 'threshold'], value: 0.95 });
    assert.ok(made.ok);
    assert.deepEqual((applied(s, made.edits) as { policy: unknown }).policy, { kind: 'maxProb', threshold: 0.95 });
    const bare = subject(text.replace('    threshold: 0.95\n', ''));
    const added = suggestionEdits(bare, { path: ['exits', 0, 'threshold'], value: 0.97 });
    assert.ok(added.ok, added.ok ? '' : added.error);
    assert.deepEqual((applied(bare, added.edits) as { exits: unknown[] }).exits[0], { threshold: 0.97, name: 'e1', after: 'conv2' });
  });

  it('removes an exit when the value is null, in JSON', () => {
    const json = JSON.stringify(
      {
        dynn: 1,
        name: 'two-exits',
        input: { shape: [28, 28, 1], range: [0, 1] },
        classes: 10,
        backbone: [
          { type: 'conv2d', name: 'c1', filters: 4, kernel: 3 },
          { type: 'conv2d', name: 'c2', filters: 4, kernel: 3 },
          { type: 'flatten', name: 'f' },
          { type: 'dense', name: 'out', units: 10 },
        ],
        exits: [
          { name: 'a', after: 'c1' },
          { name: 'b', after: 'c2' },
        ],
      },
      null,
      2,
    );
    const s = subject(json, 'm.dynn.json');
    const made = suggestionEdits(s, { path: ['exits', 0], value: null });
    assert.ok(made.ok, made.ok ? '' : made.error);
    assert.deepEqual((applied(s, made.edits) as { exits: { name: string }[] }).exits.map((e) => e.name), ['b']);
  });

  it('refuses with a reason: a vanished path, a non-data value, removing a key, an empty path', () => {
    const s = subject(LENS_FIXTURE);
    const gone = suggestionEdits(s, { path: ['exits', 3, 'threshold'], value: 0.9 });
    assert.deepEqual(gone, { ok: false, error: 'exits[3] is not in the file any more' });
    const fn = suggestionEdits(s, { path: ['exits', 0, 'threshold'], value: { bad: Number.NaN } });
    assert.equal(fn.ok, false);
    assert.match(fn.ok ? '' : fn.error, /not plain data/);
    const key = suggestionEdits(s, { path: ['exits', 0, 'threshold'], value: null });
    assert.match(key.ok ? '' : key.error, /removing the key exits\[0\]\.threshold is not a supported change/);
    assert.deepEqual(suggestionEdits(s, { path: [], value: 1 }), { ok: false, error: 'the change has an empty path' });
  });

  it('quotes strings YAML would misread, so the edit round-trips', () => {
    const s = subject(LENS_FIXTURE);
    const made = suggestionEdits(s, { path: ['name'], value: 'yes' });
    assert.ok(made.ok, made.ok ? '' : made.error);
    assert.equal((applied(s, made.edits) as { name: unknown }).name, 'yes');
  });

  it('puts the measured adversarial-training suggestion at train, with the recipe as its fix; silent once the file has it', () => {
    const recipe = { eps: 0.1, step: 0.025, steps: 5, loss: 'average', fraction: 0.5 };
    const training = suggestion(['train', 'adversarial'], recipe, { kind: 'model', name: 'lens-fixture' }, 'adversarial-training@0.1:x');
    const withTrain = subject(`${LENS_FIXTURE}train:\n  epochs: 2\n`);
    const r = resultsFor(withTrain);
    r.suggestions = [training];
    const [f, ...rest] = resultFindings(r, withTrain);
    assert.ok(f);
    assert.equal(rest.length, 0);
    assert.equal(f.code, TRAINING_CODE);
    assert.equal(f.severity, 'info');
    assert.equal(withTrain.text.slice(f.span.start, f.span.end), 'train');
    assert.equal(f.message, `Measured: ${training.title}`);
    const fix = f.fixes?.[0];
    assert.ok(fix);
    assert.deepEqual((applied(withTrain, fix.edits) as { train: unknown }).train, { epochs: 2, adversarial: recipe });
    // Without a train key the finding sits at the name and has no fix (there is nowhere to add the entry).
    const bare = subject(LENS_FIXTURE);
    const r2 = resultsFor(bare);
    r2.suggestions = [training];
    const [g] = resultFindings(r2, bare);
    assert.equal(g?.code, TRAINING_CODE);
    assert.equal(bare.text.slice(g?.span.start, g?.span.end), 'name');
    assert.equal(g?.fixes, undefined);
    const has = subject(`${LENS_FIXTURE}train:\n  epochs: 2\n  adversarial: {eps: 0.1}\n`);
    const r3 = resultsFor(has);
    r3.suggestions = [training];
    assert.deepEqual(resultFindings(r3, has), []);
  });
});

describe('suggestion -> edit: the rest of the file stays valid', () => {
  it('refuses a change that adds an error elsewhere (removing the only exit a hijack check needs)', () => {
    const text = `dynn: 1
name: one-exit
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: c1, type: conv2d, filters: 4, kernel: 3, stride: 2, activation: relu}
  - {name: f, type: flatten}
  - {name: out, type: dense, units: 10}
exits:
  - {name: e1, after: c1}
checks:
  samples: 10
  seed: 0
  attacks:
    - {id: hijack, kind: hijack, norm: linf, eps: [0.1]}
`;
    const s = subject(text);
    const removed = suggestionEdits(s, { path: ['exits', 0], value: null });
    assert.equal(removed.ok, false);
    assert.match(removed.ok ? '' : removed.error, /^it would leave the file with an error: /);
    const withoutHijack = subject(text.replace('    - {id: hijack, kind: hijack, norm: linf, eps: [0.1]}\n', '    - {id: pgd, kind: pgd, norm: linf, eps: [0.1]}\n'));
    const fine = suggestionEdits(withoutHijack, { path: ['exits', 0], value: null });
    assert.ok(fine.ok, fine.ok ? '' : fine.error);
  });
});
