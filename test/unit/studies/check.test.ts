// runCheck end to end on a tiny MNIST model (trained once into a temporary workspace, pure-JS backend): the
// Results document validates against docs/results.schema.json, the studies give sane numbers, runs repeat exactly.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import * as tf from '@tensorflow/tfjs';
import { loadOrTrain } from '../../../src/engine/cache';
import { loadData } from '../../../src/engine/data';
import { Network } from '../../../src/engine/network';
import { checkResults } from '../../../src/protocol/results-check';
import { CheckInputError, runCheck } from '../../../src/studies/check';
import type { AttackResult, Results } from '../../../src/protocol/results';
import { tempWorkspace, tinyAnalysis } from './helpers';

const SCHEMA = path.join(__dirname, '..', '..', '..', '..', 'docs', 'results.schema.json');

/** Everything an attack result measured except wall time. */
function measured(a: AttackResult): Omit<AttackResult, 'seconds'> {
  const { seconds: _seconds, ...rest } = a;
  return rest;
}

describe('studies: runCheck on a tiny model', function () {
  this.timeout(120000);
  const { spec, specHash } = tinyAnalysis();
  const ws = tempWorkspace();
  const input = { spec, specHash, file: ws.file, workspaceRoot: ws.root };
  let full: Results;
  const phases = new Set<string>();
  const partial: string[] = [];

  before(async () => {
    full = await runCheck(input, {
      backend: 'cpu',
      studies: ['transfer', 'efficiency', 'sweep'],
      findings: true,
      onProgress: (p) => phases.add(p.phase),
      onAttackResult: (r) => partial.push(r.id),
    });
  });
  after(() => ws.cleanup());

  it('produces a document that validates against docs/results.schema.json and the panel check', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
    const plain = JSON.parse(JSON.stringify(full)) as unknown;
    assert.ok(validate(plain), ajv.errorsText(validate.errors));
    assert.deepEqual(checkResults(plain), []);
    // A broken document fails, so the validation above means something.
    assert.equal(validate({ ...(plain as object), version: 2 }), false);
  });

  it('runs every attack x eps of the file, reports progress phases and partial results', () => {
    assert.deepEqual(
      full.attacks.map((a) => a.id),
      ['pgd@0.05', 'pgd@0.2', 'hijack@0.2', 'slowdown@0.2'],
    );
    assert.deepEqual(partial, ['pgd@0.05', 'pgd@0.2', 'hijack@0.2', 'slowdown@0.2']);
    for (const p of ['setup', 'data', 'train', 'clean', 'attack', 'sweep']) assert.ok(phases.has(p), `phase ${p}`);
    assert.equal(full.provenance.samples, 48);
    assert.equal(full.samples.length, 48);
    assert.equal(full.provenance.backend, 'cpu');
    assert.match(full.provenance.weights, /trained this run/);
  });

  it('measures attacks inside their radius, with consistent rates', () => {
    for (const a of full.attacks) {
      assert.ok(a.maxPerturbation <= a.eps + 1e-5, `${a.id}: max norm ${a.maxPerturbation}`);
      assert.ok(a.meanPerturbation <= a.maxPerturbation + 1e-9);
      assert.ok(Math.abs(a.exitDistribution.reduce((s, d) => s + d, 0) - 1) < 1e-9);
      assert.ok(a.hijackRate <= 1 - (a.exitDistribution[a.exitDistribution.length - 1] ?? 0) + 1e-9, 'hijacked samples left early');
      assert.equal(a.gradEvals, 48 * a.steps * a.restarts, `${a.id}: one gradient per sample per step`);
      const wrongAtEnd = full.samples.filter((s) => s.adversarial[a.id]?.correct === false).length / 48;
      assert.ok(Math.abs(1 - a.robustAccuracy - wrongAtEnd) < 1e-9, 'per-sample records agree with the aggregate');
    }
  });

  it('PGD lowers accuracy below clean at both radii, more at the larger one, and beats random noise', () => {
    const [small, large] = full.attacks.filter((a) => a.attackId === 'pgd');
    assert.ok(small && large);
    // Clean 75% on this model; PGD takes it to 56% at eps 0.05 and 19% at 0.2 (a no-op attack would stay at 75%).
    assert.ok(small.robustAccuracy < full.clean.accuracy, `eps 0.05: ${small.robustAccuracy} vs clean ${full.clean.accuracy}`);
    assert.ok(large.robustAccuracy < small.robustAccuracy, `eps 0.2: ${large.robustAccuracy} vs eps 0.05: ${small.robustAccuracy}`);
    assert.ok(small.successRate > 0 && large.successRate > small.successRate);
    for (const a of [small, large]) assert.ok(!a.flags.some((f) => f.code === 'weaker-than-noise'), `${a.id}: ${JSON.stringify(a.flags)}`);
  });

  it('the mechanism attacks move the exits their way: hijack earlier and wrong, slowdown later and costlier', () => {
    const hijack = full.attacks.find((a) => a.kind === 'hijack');
    const slowdown = full.attacks.find((a) => a.kind === 'slowdown');
    assert.ok(hijack && slowdown);
    const cleanHijack = full.samples.filter((s) => s.cleanExit === 0 && !s.cleanCorrect).length / 48;
    assert.ok(hijack.hijackRate > cleanHijack + 0.2, `hijack rate ${hijack.hijackRate} vs clean ${cleanHijack}`);
    assert.ok(hijack.exitDistribution[0]! > full.clean.exitDistribution[0]!, `share at the first exit ${hijack.exitDistribution[0]} vs clean ${full.clean.exitDistribution[0]}`);
    assert.ok(slowdown.exitDistribution[1]! > full.clean.exitDistribution[1]!, `share at the final exit ${slowdown.exitDistribution[1]} vs clean ${full.clean.exitDistribution[1]}`);
    assert.ok(slowdown.meanFlopsRatio > full.clean.meanFlopsRatio, `FLOPs ${slowdown.meanFlopsRatio} vs clean ${full.clean.meanFlopsRatio}`);
    assert.ok(slowdown.eec < full.clean.eec, `slowdown EEC ${slowdown.eec} vs clean ${full.clean.eec}`);
    for (const a of [hijack, slowdown]) assert.ok(!a.flags.some((f) => f.code === 'weaker-than-noise'), `${a.id}: ${JSON.stringify(a.flags)}`);
  });

  it('the FLOPs shown are what ran, and equal the cost model\'s price of the exits taken (no mismatch flag)', () => {
    // No gates: a sample leaving at exit e costs exactly exitFlopsShare[e] of the full network.
    const priced = (dist: number[]) => dist.reduce((s, d, e) => s + d * full.model.exitFlopsShare[e]!, 0);
    for (const pass of [full.clean, ...full.attacks]) {
      assert.ok(Math.abs(pass.meanFlopsRatio - priced(pass.exitDistribution)) < 1e-12, `${pass.meanFlopsRatio} vs ${priced(pass.exitDistribution)}`);
    }
    assert.ok(full.clean.meanFlopsRatio < 1, 'some samples left early and skipped the rest');
    const mismatch = [...full.flags, ...full.attacks.flatMap((a) => a.flags)].filter((f) => f.code === 'executed-flops-mismatch');
    assert.deepEqual(mismatch, []);
  });

  it('dynamic inference that runs every sample through everything shows the full FLOPs and raises the mismatch flag', async () => {
    // The broken skip the counts guard against: the same answers, with every segment and head run on every row.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Network.prototype.runDynamic;
    Network.prototype.runDynamic = async function (this: Network, ...args: Parameters<Network['runDynamic']>) {
      const answered = await original.apply(this, args);
      const everything = await original.call(this, args[0], { ...args[1], thresholds: this.exitNames.slice(0, -1).map(() => 2) });
      return { ...answered, executed: everything.executed };
    };
    try {
      const r = await runCheck(input, { backend: 'cpu', attacks: ['pgd'], eps: [0.05], samples: 16 });
      assert.equal(r.clean.meanFlopsRatio, 1);
      assert.equal(r.attacks[0]?.meanFlopsRatio, 1);
      const flag = r.flags.find((f) => f.code === 'executed-flops-mismatch');
      assert.equal(flag?.severity, 'error');
      assert.match(flag?.message ?? '', /^clean inputs: the network executed \d+ FLOPs per sample .* but the cost model charges \d+ for the exits and gates the samples took/);
      assert.ok(r.attacks[0]?.flags.some((f) => f.code === 'executed-flops-mismatch' && f.message.startsWith('pgd@0.05:')));
    } finally {
      Network.prototype.runDynamic = original;
    }
  });

  it('transfer: a 2x2 matrix of rates in [0, 1] per pgd radius; the static twin has exactly one exit', async () => {
    assert.deepEqual(
      full.transfer.map((t) => `${t.attackId}@${t.eps}`),
      ['pgd@0.05', 'pgd@0.2'],
    );
    for (const t of full.transfer) {
      for (const row of t.matrix) for (const v of row) assert.ok(v >= 0 && v <= 1, `rate ${v}`);
    }
    const pgd = full.attacks.find((a) => a.id === 'pgd@0.2');
    assert.equal(full.transfer[1]?.matrix[0][0], pgd?.successRate, 'the diagonal is the white-box success');
    const twin = await loadOrTrain(spec, ws.root, () => Promise.reject(new Error('the twin must come from the cache')), { staticTwin: true });
    const data = await loadData(spec, ws.root, { maxTest: 48 });
    try {
      assert.equal(twin.cached, true);
      assert.deepEqual(twin.model.exitNames, ['final']);
      // The static clean accuracy, recomputed here from the cached twin's full forward pass on the same samples.
      const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(twin.model.forwardAll(data.test.x).exits[0]!, 1), tf.cast(data.test.y, 'int32')), 'float32')).dataSync()[0]!);
      for (const t of full.transfer) assert.equal(t.staticCleanAccuracy, hits / 48);
      assert.ok(hits / 48 > 1 / 10, 'the twin learned something (10 classes)');
    } finally {
      twin.model.dispose();
      tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
    }
  });

  it('efficiency: one entry per model and pgd radius, priced by the differentiated network', () => {
    assert.equal(full.efficiency.length, 4);
    const dyn = full.efficiency.find((e) => e.model === 'dynamic' && e.eps === 0.2);
    const stat = full.efficiency.find((e) => e.model === 'static' && e.eps === 0.2);
    assert.ok(dyn && stat);
    assert.ok(dyn.gradEvalsPerSuccess > 0 && stat.gradEvalsPerSuccess > 0);
    assert.ok(dyn.flopsPerSuccess / dyn.gradEvalsPerSuccess > stat.flopsPerSuccess / stat.gradEvalsPerSuccess, 'DyNN passes include the exit head');
  });

  it('sweeps replay designs: the current point reproduces dynamic inference, the front is marked', () => {
    const hijack = full.sweeps.find((s) => s.attackId === 'hijack');
    assert.ok(hijack);
    assert.ok(full.sweeps.some((s) => s.attackId === 'static:pgd'), 'static-crafted sweep for the design-choices finding');
    const current = hijack.points.filter((p) => p.current);
    assert.equal(current.length, 1);
    const attack = full.attacks.find((a) => a.id === 'hijack@0.2');
    // Same policy code on the same probabilities (forwardAll vs runDynamic batches): equal up to float rounding.
    assert.ok(Math.abs((current[0]?.cleanAccuracy ?? -1) - full.clean.accuracy) <= 1 / 48 + 1e-9);
    assert.ok(Math.abs((current[0]?.hijackRate ?? -1) - (attack?.hijackRate ?? 0)) <= 1 / 48 + 1e-9);
    assert.ok(hijack.points.some((p) => p.onParetoFront));
    assert.ok(hijack.points.length >= 8);
    for (const s of full.suggestions) {
      assert.ok(s.change.path.length > 0);
      assert.ok((s.before.cleanAccuracy ?? 0) - (s.after.cleanAccuracy ?? 0) <= 0.01 + 1e-9, 'suggestions keep clean accuracy');
    }
  });

  it('findings: the verdict each gets on this model, with the evidence that decides it', () => {
    const verdicts = Object.fromEntries(full.findings.map((f) => [f.id, f.holds]));
    // Seeded on the CPU backend, so each verdict is fixed: transfer goes one way at one radius and the other way at
    // the other, both within the sampling noise of 48 samples; each DyNN gradient also pays the exit head, so it never needs fewer FLOPs per success; replaying
    // designs on static-crafted examples moves robust accuracy by less than 5%; hijack moves early wrong exits
    // from 4% to 67%.
    assert.deepEqual(verdicts, { 'transfer-asymmetry': false, 'generation-efficiency': false, 'design-choices': false, 'mechanism-attack': true });
    const evidence = Object.fromEntries(full.findings.map((f) => [f.id, f.evidence]));
    assert.match(evidence['transfer-asymmetry']!, /^0 of 2 settings favour DyNN->static beyond sampling noise, 0 the reverse, 2 show no difference within sampling noise/);
    assert.match(evidence['transfer-asymmetry']!, /pgd@0\.05: DyNN->static 29\.7% \[17\.5, 45\.8\] \(11\/37\), static->DyNN 25\.0% \[13\.8, 41\.1\] \(9\/36\)/);
    assert.match(evidence['generation-efficiency']!, /fewer FLOPs per success in 0 of 2 settings/);
    assert.match(evidence['mechanism-attack']!, /hijack@0\.2: early wrong exits 4\.2% clean -> 66\.7%/);
  });

  it('a gallery of clean-correct images the strongest attack broke, pixels in [0, 1]', () => {
    assert.ok(full.gallery.length > 0 && full.gallery.length <= 8);
    for (const g of full.gallery) {
      assert.equal(g.original.length, 784);
      assert.ok(g.adversarial.every((v) => v >= 0 && v <= 1));
      assert.equal(g.cleanExits.length, 2);
      const sample = full.samples[g.index];
      assert.equal(sample?.cleanCorrect, true);
      assert.equal(sample?.adversarial[g.attackResultId]?.correct, false);
    }
  });

  it('repeats exactly: the same seed gives the same numbers (cached weights)', async () => {
    const again = await runCheck(input, { backend: 'cpu' });
    assert.match(again.provenance.weights, /cache \.dynn\/weights\//);
    assert.deepEqual(again.clean, full.clean);
    assert.deepEqual(again.attacks.map(measured), full.attacks.map(measured));
    assert.deepEqual(again.samples, full.samples);
    assert.deepEqual(again.transfer, [], 'no studies asked for');
  });

  it('honours the attack, eps, samples and seed options', async () => {
    const other = await runCheck(input, { backend: 'cpu', attacks: ['pgd'], eps: [0.05], seed: 99, samples: 16 });
    assert.equal(other.provenance.seed, 99);
    assert.equal(other.attacks.length, 1);
    assert.equal(other.attacks[0]?.id, 'pgd@0.05');
    assert.equal(other.samples.length, 16);
    assert.equal(other.attacks[0]?.gradEvals, 16 * 3);
  });

  it('an out-of-memory error mid-run retries with half the batch and says so in the provenance and a flag', async () => {
    // Make dynamic inference run out of memory at batches above 8, as a GPU would on a too large batch.
    // Kept unbound on purpose: it is called with the instance through apply() below.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = Network.prototype.runDynamic;
    let refused = 0;
    Network.prototype.runDynamic = function (this: Network, ...args: Parameters<Network['runDynamic']>) {
      if ((args[1]?.batchSize ?? 128) > 8) {
        refused++;
        return Promise.reject(new Error('OOM when allocating tensor with shape [256,28,28,16]'));
      }
      return original.apply(this, args);
    };
    try {
      const r = await runCheck(input, { backend: 'cpu', attacks: ['pgd'], eps: [0.05], samples: 16, batchSize: 32 });
      assert.ok(refused >= 2, `refused ${refused} times`);
      assert.match(r.provenance.backendReason, /out of memory on cpu at batch 32: retried with batch 16; out of memory on cpu at batch 16: retried with batch 8/);
      assert.ok(r.flags.some((f) => f.code === 'fallback' && /retried with batch 8/.test(f.message)));
      assert.equal(r.attacks.length, 1);
    } finally {
      Network.prototype.runDynamic = original;
    }
  });

  it('refuses unknown attacks, bad eps and bad sample counts with a clear message', async () => {
    await assert.rejects(runCheck(input, { backend: 'cpu', attacks: ['nope'] }), (e: Error) => e instanceof CheckInputError && /attack 'nope' is not in checks.attacks of 'tiny-mnist' \(known: pgd, hijack, slowdown\)/.test(e.message));
    await assert.rejects(runCheck(input, { backend: 'cpu', eps: [-1] }), /eps -1: must be a finite number >= 0/);
    await assert.rejects(runCheck(input, { backend: 'cpu', samples: 0 }), /samples 0: must be an integer >= 1/);
    await assert.rejects(runCheck(input, { backend: 'nonsense' }), /Unknown backend "nonsense"/);
  });
});
