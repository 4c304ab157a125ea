import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { advise, adviceForNode, RULES, type Rule } from '../../../src/advice';
import { analyzeText } from '../../../src/modelfile';
import { applyFix, check, model } from './helpers';

const root = path.resolve(__dirname, '../../../..');

describe('advise', () => {
  it('the registry has unique ids, a severity, a rationale and a citation for every rule', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const r of RULES) {
      assert.match(r.id, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(r.title.length > 0 && r.rationale.length > 40, r.id);
      assert.ok(r.source.citation.length > 20, r.id);
    }
  });

  it('docs/rules.md documents every rule with its id as a heading', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/rules.md'), 'utf8');
    for (const r of RULES) {
      assert.ok(doc.includes(`\n## ${r.id}\n`), `docs/rules.md has no section for ${r.id}`);
      for (const value of Object.values(r.constants)) assert.ok(doc.includes(String(value)), `${r.id}: constant ${value} not documented`);
    }
  });

  it('examples/risky.dynn.yaml is valid and triggers every rule, and each first fix resolves its finding', () => {
    const file = path.join(root, 'examples/risky.dynn.yaml');
    const c = check(fs.readFileSync(file, 'utf8'), file);
    assert.deepEqual(c.analysis.diagnostics.filter((d) => d.severity === 'error'), []);
    const fired = new Set(c.advice.map((d) => d.code));
    assert.deepEqual(RULES.map((r) => r.id).filter((id) => !fired.has(id)), [], 'rules the risky example misses');
    for (const d of c.advice) {
      assert.equal(d.source, 'advice');
      for (let i = 0; i < (d.fixes?.length ?? 0); i++) applyFix(c, d, i);
    }
  });

  it('returns nothing when the file does not parse into a model', () => {
    const text = 'dynn: 1\ninput: [unclosed\n';
    assert.deepEqual(advise(analyzeText(text, { fileName: 'x.dynn.yaml' }), text), []);
  });

  it('adviceForNode returns only the findings about one exit or gate, fixes only with the text', () => {
    const exits = 'exits:\n  - name: early\n    after: stem\n    threshold: 0.7\n  - name: mid\n    after: widen\n    threshold: 0.9';
    const c = check(model({ exits, gates: 'gates:\n  - name: skip1\n    block: block1' }));
    const early = adviceForNode(c.analysis, ['exits', 0], c.text);
    assert.deepEqual(early.map((d) => d.code).sort(), ['exit-threshold-permissive', 'shallow-exit-permissive']);
    assert.ok(early.every((d) => (d.fixes?.length ?? 0) > 0));
    assert.deepEqual(adviceForNode(c.analysis, ['exits', 1], c.text).map((d) => d.code), []);
    assert.deepEqual(adviceForNode(c.analysis, ['gates', 0]).map((d) => d.code), ['gate-placement']);
    assert.ok(adviceForNode(c.analysis, ['gates', 0]).every((d) => d.fixes === undefined));
    // A node inside the exit (e.g. its threshold) maps to the exit's findings.
    assert.equal(adviceForNode(c.analysis, ['exits', 0, 'threshold'], c.text).length, 2);
  });

  it('a rule that throws becomes one info diagnostic and the other rules still run', () => {
    const c = check(model({ policy: 'policy:\n  kind: maxProb\n  threshold: 0.5' }));
    const broken: Rule = {
      id: 'broken-rule', severity: 'warning', title: 't', rationale: 'r', source: { kind: 'heuristic', citation: 'c' }, constants: {},
      check: () => {
        throw new Error('boom');
      },
    };
    const out = advise(c.analysis, c.text, { rules: [broken, ...RULES] });
    assert.equal(out[0]?.code, 'broken-rule');
    assert.equal(out[0]?.severity, 'info');
    assert.match(out[0]?.message ?? '', /could not run.*boom/);
    assert.ok(out.some((d) => d.code === 'exit-threshold-permissive'));
  });

  it('drops a fix whose edits would break the document', () => {
    const c = check(model());
    const badFix: Rule = {
      id: 'bad-fix', severity: 'hint', title: 't', rationale: 'r', source: { kind: 'heuristic', citation: 'c' }, constants: {},
      check: () => [
        {
          message: 'm', at: ['policy', 'threshold'], subjects: [],
          fixes: [
            { title: 'breaks', edits: [{ span: { start: 0, end: 0 }, newText: '{{{' }] },
            { title: 'fine', edits: [{ span: { start: 0, end: 0 }, newText: '# ok\n' }] },
          ],
        },
      ],
    };
    const [d] = advise(c.analysis, c.text, { rules: [badFix] });
    assert.deepEqual(d?.fixes?.map((f) => f.title), ['fine']);
    assert.equal(c.text.slice(d?.span.start, d?.span.end), '0.9');
  });
});
