// The snippet templates must expand to models the analyser accepts without errors.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { advise } from '../../../src/advice/index';
import { expandDefaults, parseTemplates } from '../../../src/extension/language/templates';
import { analyzeText } from '../../../src/modelfile/index';

const SNIPPETS = path.resolve(__dirname, '../../../../snippets/dynn.code-snippets');

describe('extension/language/templates: snippet syntax', () => {
  it('expands placeholders, choices and tab stops to their defaults', () => {
    assert.strictEqual(expandDefaults('name: ${1:sdn}\nk: ${2|3,5|}\n$0'), 'name: sdn\nk: 3\n');
    assert.strictEqual(expandDefaults('a ${1:x ${2:y}} b'), 'a x y b');
    assert.strictEqual(expandDefaults('cost \\$5 ${1} $2'), 'cost $5  ');
    assert.strictEqual(expandDefaults('- { type: dense, units: ${3:10} }'), '- { type: dense, units: 10 }');
  });

  it('rejects syntax it does not know instead of passing it through', () => {
    assert.throws(() => expandDefaults('file: $TM_FILENAME'), /Unsupported snippet syntax at offset 6/);
    assert.throws(() => expandDefaults('${1:open'), /Unclosed placeholder at offset 0/);
  });

  it('reports a malformed snippets file by name', () => {
    assert.throws(() => parseTemplates('{', 'x.code-snippets'), /x\.code-snippets: not valid JSON/);
    assert.throws(() => parseTemplates('{"a": {"prefix": "p"}}', 'x.code-snippets'), /snippet "a" has no string or string-array body/);
  });
});

describe('extension/language/templates: shipped snippets', () => {
  const templates = parseTemplates(fs.readFileSync(SNIPPETS, 'utf8'), SNIPPETS);

  it('ships the four model templates', () => {
    assert.deepStrictEqual(
      templates.map((t) => t.prefix),
      ['dynn-sdn', 'dynn-branchy', 'dynn-skipnet', 'dynn-static'],
    );
  });
});

describe('extension/language/templates: each template is a valid model', () => {
  const templates = parseTemplates(fs.readFileSync(SNIPPETS, 'utf8'), SNIPPETS);
  for (const t of templates) {
    it(`${t.prefix} expands to a model with no errors and a full cost report`, () => {
      const text = expandDefaults(t.body);
      const analysis = analyzeText(text, { fileName: `${t.prefix}.dynn.yaml` });
      const errors = analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
      assert.deepStrictEqual(errors, [], `${t.name} has errors`);
      assert.ok(analysis.spec, `${t.name} built no spec`);
      assert.ok(analysis.cost, `${t.name} has no cost report`);
      // The adversarial-training hint is a trade-off (about 6.5x the training time), not a flaw: a template that a
      // new user trains in a minute leaves it out on purpose.
      const advice = advise(analysis, text).filter((d) => d.code !== 'robustness-without-adversarial-training').map((d) => `${d.code}: ${d.message}`);
      assert.deepStrictEqual(advice, [], `${t.name} draws design advice; a template should show good practice`);
    });
  }

  it('covers exits (maxProb and entropy), gates and a static baseline', () => {
    const specs = templates.map((t) => analyzeText(expandDefaults(t.body), { fileName: `${t.prefix}.dynn.yaml` }).spec);
    const [sdn, branchy, skip, plain] = specs;
    assert.strictEqual(sdn?.exits.length, 3);
    assert.strictEqual(sdn?.policy.kind, 'maxProb');
    assert.strictEqual(branchy?.policy.kind, 'entropy');
    assert.strictEqual(branchy?.exits.length, 1);
    assert.deepStrictEqual(skip?.gates.map((g) => g.block), ['res2', 'res3']);
    assert.deepStrictEqual([plain?.exits.length, plain?.gates.length], [0, 0]);
  });
});
