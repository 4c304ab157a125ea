import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { adviceForNode } from '../../../src/advice/index';
import { coreAnalyzer } from '../../../src/extension/language/analyzer';
import { LENS_FIXTURE } from './fixture';

const RISKY = path.resolve(__dirname, '../../../../examples/risky.dynn.yaml');

describe('editor/analyzer', () => {
  it('returns parser findings and design advice in one list', () => {
    const { analysis, findings } = coreAnalyzer.analyze(LENS_FIXTURE, 'lens.dynn.yaml');
    assert.ok(analysis.spec);
    assert.deepStrictEqual(findings.map((f) => f.code).sort(), ['gate-placement', 'input-range-unbounded']);
    assert.ok(findings.find((f) => f.code === 'input-range-unbounded')?.fixes?.length, 'the fix did not come through');
  });

  it('picks the advice that names an exit or gate', () => {
    const { findings } = coreAnalyzer.analyze(LENS_FIXTURE, 'lens.dynn.yaml');
    assert.deepStrictEqual(coreAnalyzer.adviceFor(findings, ['gates', 0]).map((f) => f.code), ['gate-placement']);
    assert.deepStrictEqual(coreAnalyzer.adviceFor(findings, ['exits', 0]), []);
  });

  it('selects the same advice as advice/adviceForNode for every exit and gate of a risky model', () => {
    assert.ok(fs.existsSync(RISKY), `${RISKY} is missing`);
    const text = fs.readFileSync(RISKY, 'utf8');
    const { analysis, findings } = coreAnalyzer.analyze(text, 'risky.dynn.yaml');
    const paths = [...(analysis.spec?.exits ?? []), ...(analysis.spec?.gates ?? [])].map((n) => n.path);
    assert.ok(paths.length >= 2);
    let named = 0;
    for (const p of paths) {
      const ours = coreAnalyzer.adviceFor(findings, p).map((f) => `${f.code}@${f.span.start}`);
      const theirs = adviceForNode(analysis, p, text).map((f) => `${f.code}@${f.span.start}`);
      assert.deepStrictEqual(ours, theirs, `advice for ${JSON.stringify(p)}`);
      named += ours.length;
    }
    assert.ok(named > 0, 'the risky example drew no advice on any exit or gate');
  });

  it('answers completion from the schema with the span to replace', () => {
    const text = 'dynn: 1\nbackbone:\n  - type: con';
    const r = coreAnalyzer.completions(text, text.length);
    assert.strictEqual(r.kind, 'value');
    assert.ok(r.items.some((i) => i.label === 'conv2d'));
    assert.strictEqual(text.slice(r.replace.start, r.replace.end), 'con');
  });
});
