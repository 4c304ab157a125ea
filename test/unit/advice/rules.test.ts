import * as assert from 'node:assert/strict';
import { advise } from '../../../src/advice';
import { applyFix, check, findings, model, spanText, toJsonText } from './helpers';

describe('advice rules', () => {
  it('the base test model triggers no rule', () => {
    assert.deepEqual(check(model()).advice, []);
  });

  describe('exit-threshold-permissive', () => {
    const code = 'exit-threshold-permissive';

    it('fires on a low policy threshold that an exit inherits, at the threshold value', () => {
      const c = check(model({ policy: 'policy:\n  kind: maxProb\n  threshold: 0.6' }));
      const [d, ...rest] = findings(c, code);
      assert.ok(d);
      assert.equal(rest.length, 0);
      assert.equal(spanText(c, d), '0.6');
      assert.equal(d.severity, 'warning');
      assert.equal(d.source, 'advice');
      assert.match(d.message, /exit 'mid' uses it/);
      assert.deepEqual(d.subjects, [['exits', 0]]);
    });

    it('does not fire at 0.8 or when every exit sets its own threshold', () => {
      assert.deepEqual(findings(check(model({ policy: 'policy:\n  kind: maxProb\n  threshold: 0.8' })), code), []);
      const own = model({ policy: 'policy:\n  kind: maxProb\n  threshold: 0.5', exits: 'exits:\n  - name: mid\n    after: widen\n    threshold: 0.9' });
      assert.deepEqual(findings(check(own), code), []);
    });

    it('fires on a low per-exit threshold', () => {
      const c = check(model({ exits: 'exits:\n  - name: mid\n    after: widen\n    threshold: 0.7' }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), '0.7');
      const after = applyFix(c, d);
      assert.match(after.text, /threshold: 0\.9\n/);
    });

    it('judges entropy thresholds by the top-class probability they admit', () => {
      const entropy = (t: number): string => `policy:\n  kind: entropy\n  threshold: ${t}`;
      const [d] = findings(check(model({ policy: entropy(0.3) })), code);
      assert.ok(d);
      assert.match(d.message, /as low as 0\.53/);
      assert.deepEqual(findings(check(model({ policy: entropy(0.2) })), code), []);
    });

    it('is silent for the patience policy, which reads no threshold', () => {
      assert.deepEqual(findings(check(model({ policy: 'policy:\n  kind: patience\n  threshold: 0.1\n  patience: 2' })), code), []);
    });

    it('fix raises the policy threshold to 0.9 (YAML and JSON) without creating falling thresholds', () => {
      const text = model({ policy: 'policy:\n  kind: maxProb\n  threshold: 0.6' });
      for (const [t, name] of [[text, 'm.dynn.yaml'], [toJsonText(text), 'm.dynn.json']] as const) {
        const c = check(t, name);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        assert.equal(after.analysis.spec?.policy.threshold, 0.9);
        assert.deepEqual(after.advice, []);
      }
    });

    it('entropy fix picks the threshold whose floor is 0.9', () => {
      const c = check(model({ policy: 'policy:\n  kind: entropy\n  threshold: 0.5' }));
      const [d] = findings(c, code);
      assert.ok(d);
      const after = applyFix(c, d);
      assert.equal(after.analysis.spec?.policy.threshold, 0.14);
    });
  });

  describe('shallow-exit-permissive', () => {
    const code = 'shallow-exit-permissive';
    const shallow = (threshold: string): string => `exits:\n  - name: early\n    after: stem${threshold}\n  - name: mid\n    after: widen`;

    it('fires on an exit under 10% of the FLOPs that leaves at 0.9', () => {
      const c = check(model({ exits: shallow('') }));
      const [d, ...rest] = findings(c, code);
      assert.ok(d);
      assert.equal(rest.length, 0);
      assert.equal(spanText(c, d), 'early');
      assert.match(d.message, /3\.\d% of the FLOPs/);
      assert.equal(d.fixes?.length, 2);
    });

    it('does not fire at 0.95, nor for a deep exit at 0.9', () => {
      assert.deepEqual(findings(check(model({ exits: shallow('\n    threshold: 0.95') })), code), []);
      assert.deepEqual(findings(check(model()), code), []);
    });

    it('stays silent when shapes (and so FLOPs) are unknown', () => {
      const c = check(model({ exits: shallow('') }));
      const { cost: _cost, ...noCost } = c.analysis;
      assert.deepEqual(advise(noCost, c.text).filter((d) => d.code === code), []);
    });

    it('fix 1 raises the exit (and the deeper one) to 0.95', () => {
      const c = check(model({ exits: shallow('') }));
      const [d] = findings(c, code);
      assert.ok(d);
      const after = applyFix(c, d, 0);
      assert.deepEqual(after.analysis.spec?.exits.map((e) => e.threshold), [0.95, 0.95]);
      assert.deepEqual(after.advice, []);
    });

    it('fix 2 removes the exit and its loss weight (YAML and JSON)', () => {
      const text = model({ exits: shallow(''), train: 'train:\n  epochs: 1\n  exitWeights: [0.5, 1, 1]' });
      for (const [t, name] of [[text, 'm.dynn.yaml'], [toJsonText(text), 'm.dynn.json']] as const) {
        const c = check(t, name);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d, 1);
        assert.deepEqual(after.analysis.spec?.exits.map((e) => e.name), ['mid']);
        assert.deepEqual(after.analysis.spec?.train.exitWeights, [1, 1]);
      }
    });
  });

  describe('thresholds-fall-with-depth', () => {
    const code = 'thresholds-fall-with-depth';
    const two = (a: number, b: number): string =>
      `exits:\n  - name: early\n    after: block1\n    threshold: ${a}\n  - name: mid\n    after: widen\n    threshold: ${b}`;

    it('fires on a deeper, lower max-probability threshold, at that threshold', () => {
      const c = check(model({ exits: two(0.97, 0.85) }));
      const [d, ...rest] = findings(c, code);
      assert.ok(d);
      assert.equal(rest.length, 0);
      assert.equal(spanText(c, d), '0.85');
      assert.deepEqual(d.subjects, [['exits', 1]]);
    });

    it('does not fire on rising or equal thresholds', () => {
      assert.deepEqual(findings(check(model({ exits: two(0.85, 0.97) })), code), []);
      assert.deepEqual(findings(check(model({ exits: two(0.9, 0.9) })), code), []);
    });

    it('reverses the direction for entropy', () => {
      const policy = 'policy:\n  kind: entropy\n  threshold: 0.1';
      assert.equal(findings(check(model({ exits: two(0.05, 0.1), policy })), code).length, 1);
      assert.deepEqual(findings(check(model({ exits: two(0.1, 0.05), policy })), code), []);
    });

    it('fires on an exit that inherits a lower policy threshold; the fix lifts it', () => {
      const exits = 'exits:\n  - name: early\n    after: block1\n    threshold: 0.97\n  - name: mid\n    after: widen';
      const c = check(model({ exits }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), 'mid');
      const after = applyFix(c, d);
      assert.deepEqual(after.analysis.spec?.exits.map((e) => e.threshold), [0.97, 0.97]);
    });
  });

  describe('gate-placement', () => {
    const code = 'gate-placement';

    it('fires on a gate on the first residual block, at its block name', () => {
      const c = check(model({ gates: 'gates:\n  - name: skip1\n    block: block1' }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), 'block1');
      assert.match(d.message, /first residual block/);
    });

    it('does not fire on a shape-keeping block after the first', () => {
      assert.deepEqual(findings(check(model()), code), []);
    });

    it('fires on a downsampling block (stride 2 with projection), and its fix removes the gate', () => {
      const block2 = `  - type: residual
    name: block2
    projection: true
    layers:
      - {type: conv2d, filters: 32, kernel: 3, stride: 2, activation: relu}
      - {type: conv2d, filters: 32, kernel: 3}`;
      const c = check(model({ block2 }), 'model.dynn.yaml', true);
      const [d] = findings(c, code);
      assert.ok(d);
      assert.match(d.message, /downsampling block \(it changes the shape from 14x14x16 to 7x7x32\)/);
      const fix = d.fixes?.[0];
      assert.ok(fix);
      assert.match(fix.title, /Remove gate 'skip2'/);
      const after = applyFix(c, d);
      assert.deepEqual(after.analysis.spec?.gates, []);
    });

    it('removes one gate of several, in YAML and JSON', () => {
      const gates = 'gates:\n  - name: skip1\n    block: block1\n  - name: skip2\n    block: block2';
      for (const [t, name] of [[model({ gates }), 'm.dynn.yaml'], [toJsonText(model({ gates })), 'm.dynn.json']] as const) {
        const c = check(t, name);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        assert.deepEqual(after.analysis.spec?.gates.map((g) => g.name), ['skip2']);
      }
    });
  });

  describe('exit-head-dense-on-large-map', () => {
    const code = 'exit-head-dense-on-large-map';
    const headed = (head: string): string => `exits:\n  - name: mid\n    after: widen\n    head:\n${head}`;
    const denseHead = '      - {type: flatten}\n      - {type: dense, units: 10}';

    it('fires on flatten + dense over a 14x14x16 map, at the head key', () => {
      const c = check(model({ exits: headed(denseHead) }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), 'head');
      assert.match(d.message, /14x14x16 feature map \(3136 inputs/);
    });

    it('does not fire on a pooled head, a conv head, or the default (SDN) head', () => {
      const pooled = '      - {type: mixedPool, size: 4}\n      - {type: flatten}\n      - {type: dense, units: 10}';
      const conv = '      - {type: conv2d, filters: 4, kernel: 3, stride: 2}\n      - {type: flatten}\n      - {type: dense, units: 10}';
      assert.deepEqual(findings(check(model({ exits: headed(pooled) })), code), []);
      assert.deepEqual(findings(check(model({ exits: headed(conv) })), code), []);
      assert.deepEqual(findings(check(model()), code), []);
    });

    it('fix inserts a mixedPool sized to at most 1024 inputs (block YAML, flow YAML, JSON)', () => {
      const flow = 'exits:\n  - name: mid\n    after: widen\n    head: [{type: flatten}, {type: dense, units: 10}]';
      const texts = [
        [model({ exits: headed(denseHead) }), 'm.dynn.yaml'],
        [model({ exits: flow }), 'm.dynn.yaml'],
        [toJsonText(model({ exits: headed(denseHead) })), 'm.dynn.json'],
      ] as const;
      for (const [t, name] of texts) {
        const c = check(t, name);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        const head = after.analysis.spec?.exits[0]?.head;
        assert.deepEqual(head?.map((l) => l.type), ['mixedPool', 'flatten', 'dense']);
        assert.equal(head?.[0]?.type === 'mixedPool' ? head[0].size : undefined, 8);
        assert.deepEqual(after.advice, []);
      }
    });
  });

  describe('input-range-unbounded', () => {
    const code = 'input-range-unbounded';

    it('fires when input.range is missing, at the input key', () => {
      const c = check(model({ input: 'input:\n  shape: [28, 28, 1]' }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), 'input');
    });

    it('fires on a placeholder range wider than 65535 and not on [0, 255]', () => {
      const c = check(model({ input: 'input:\n  shape: [28, 28, 1]\n  range: [-1000000, 1000000]' }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), '[-1000000, 1000000]');
      applyFix(c, d);
      assert.deepEqual(findings(check(model({ input: 'input:\n  shape: [28, 28, 1]\n  range: [0, 255]' })), code), []);
    });

    it('fix declares range: [0, 1] in block YAML, flow YAML and JSON', () => {
      const texts = [
        [model({ input: 'input:\n  shape: [28, 28, 1]' }), 'm.dynn.yaml'],
        [model({ input: 'input: {shape: [28, 28, 1]}' }), 'm.dynn.yaml'],
        [toJsonText(model({ input: 'input:\n  shape: [28, 28, 1]' })), 'm.dynn.json'],
      ] as const;
      for (const [t, name] of texts) {
        const c = check(t, name);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        assert.deepEqual(after.analysis.spec?.input.range, [0, 1]);
        assert.deepEqual(after.advice, []);
      }
    });
  });

  describe('exit-weight-zero', () => {
    const code = 'exit-weight-zero';
    const weights = (w: string): string => `train:\n  epochs: 1\n  exitWeights: ${w}`;

    it('fires on an internal exit with weight 0, at that weight', () => {
      const c = check(model({ train: weights('[0, 1]') }));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), '0');
      assert.deepEqual(d.subjects, [['exits', 0]]);
    });

    it('does not fire on positive weights or on a zero final weight', () => {
      assert.deepEqual(findings(check(model({ train: weights('[0.3, 1]') })), code), []);
      assert.deepEqual(findings(check(model({ train: weights('[1, 0]') }), 'model.dynn.yaml', true), code), []);
    });

    it('fix sets the weight to 1', () => {
      const c = check(model({ train: weights('[0, 1]') }));
      const [d] = findings(c, code);
      assert.ok(d);
      const after = applyFix(c, d);
      assert.deepEqual(after.analysis.spec?.train.exitWeights, [1, 1]);
    });
  });

  describe('robustness-without-adversarial-training', () => {
    const code = 'robustness-without-adversarial-training';
    const withChecks = (attacks: string, train = 'train:\n  epochs: 1'): string => model({ train: `${train}\nchecks:\n  samples: 10\n  attacks:\n${attacks}` });

    it('fires (info, at train) when L-inf accuracy attacks are checked and training is clean', () => {
      const c = check(withChecks('    - {kind: pgd, eps: [0.3, 0.1]}\n    - {kind: hijack, eps: 0.05}'));
      const [d, ...rest] = findings(c, code);
      assert.ok(d);
      assert.equal(rest.length, 0);
      assert.equal(d.severity, 'info');
      assert.equal(spanText(c, d), 'train');
      assert.match(d.message, /checks L-inf robustness \(pgd0\) but trains on clean data only/);
    });

    it('is silent with train.adversarial, with only mechanism attacks, or with only L2 attacks', () => {
      assert.deepEqual(findings(check(withChecks('    - {kind: pgd, eps: 0.1}', 'train:\n  epochs: 1\n  adversarial: {eps: 0.1}')), code), []);
      assert.deepEqual(findings(check(withChecks('    - {kind: slowdown, eps: 0.1}\n    - {kind: hijack, eps: 0.1}')), code), []);
      assert.deepEqual(findings(check(withChecks('    - {kind: pgd, norm: l2, eps: 1}')), code), []);
    });

    it('fix adds train.adversarial at the smallest checked eps (YAML block, JSON)', () => {
      for (const [t, name] of [
        [withChecks('    - {kind: pgd, eps: [0.3, 0.1]}\n    - {kind: ensemble, eps: 0.2}'), 'm.dynn.yaml'],
        [toJsonText(withChecks('    - {kind: pgd, eps: [0.3, 0.1]}')), 'm.dynn.json'],
      ] as const) {
        const c = check(t, name, true);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        assert.deepEqual(after.analysis.spec?.train.adversarial, { eps: 0.1, step: 0.025, steps: 5, loss: 'average', fraction: 0.5 });
        assert.deepEqual(findings(after, code), []);
      }
    });
  });

  describe('attack-eps-collapses-inputs', () => {
    const code = 'attack-eps-collapses-inputs';
    const checks = (attack: string, input?: string): string =>
      model({ input, train: `train:\n  epochs: 1\nchecks:\n  samples: 10\n  attacks:\n${attack}` });

    it('fires on an L-inf eps of half the range or more, at the eps value', () => {
      const c = check(checks('    - {kind: pgd, eps: [0.1, 0.5]}'));
      const [d] = findings(c, code);
      assert.ok(d);
      assert.equal(spanText(c, d), '[0.1, 0.5]');
      assert.match(d.message, /L-inf eps 0\.5 .*radius 0\.5 for range \[0, 1\]/);
    });

    it('does not fire below half the range, and scales with the declared range', () => {
      assert.deepEqual(findings(check(checks('    - {kind: pgd, eps: [0.1, 0.49]}')), code), []);
      assert.deepEqual(findings(check(checks('    - {kind: fgsm, eps: 8}', 'input:\n  shape: [28, 28, 1]\n  range: [0, 255]')), code), []);
      assert.equal(findings(check(checks('    - {kind: fgsm, eps: 200}', 'input:\n  shape: [28, 28, 1]\n  range: [0, 255]')), code).length, 1);
    });

    it('uses the L2 radius sqrt(n) x width / 2 for L2 attacks', () => {
      // 28 x 28 x 1 inputs in [0, 1]: radius 28 / 2 = 14.
      assert.deepEqual(findings(check(checks('    - {kind: pgd, norm: l2, eps: [13.9]}')), code), []);
      assert.equal(findings(check(checks('    - {kind: pgd, norm: l2, eps: [14]}')), code).length, 1);
    });

    it('fix drops the offending values, or falls back to 0.3 of the range (block list, flow list, JSON)', () => {
      const cases = [
        [checks('    - kind: pgd\n      eps:\n        - 0.1\n        - 0.7'), 'm.dynn.yaml', [0.1]],
        [checks('    - {kind: pgd, eps: 0.9}'), 'm.dynn.yaml', [0.3]],
        [toJsonText(checks('    - {kind: pgd, eps: [0.05, 0.6, 0.2]}')), 'm.dynn.json', [0.05, 0.2]],
      ] as const;
      for (const [t, name, eps] of cases) {
        const c = check(t, name, true);
        const [d] = findings(c, code);
        assert.ok(d);
        const after = applyFix(c, d);
        assert.deepEqual(after.analysis.spec?.checks.attacks[0]?.eps, eps);
      }
    });
  });
});
