import * as assert from 'assert';
import { checkResults, parseResultsText } from '../../../src/protocol/results-check';
import { cloneResults } from '../panel/fixtures';

describe('protocol checkResults: the published schema, then what a schema cannot say', () => {
  it('accepts a complete document', () => {
    assert.deepStrictEqual(checkResults(cloneResults()), []);
  });

  it('rejects non-objects and the wrong version', () => {
    assert.deepStrictEqual(checkResults(null), ['results: expected an object, got null']);
    const r = cloneResults() as unknown as Record<string, unknown>;
    r.version = 2;
    assert.ok(checkResults(r).some((p) => p.startsWith('results.version: expected 1, got 2')));
  });

  it('names where a figure is missing or not finite', () => {
    const r = cloneResults();
    (r.attacks[1] as unknown as Record<string, unknown>).eps = 'big';
    (r.clean as unknown as Record<string, unknown>).accuracy = Number.NaN;
    const problems = checkResults(r);
    assert.ok(problems.includes('results.attacks[1].eps: expected a finite number, got "big"'), problems.join('\n'));
    assert.ok(problems.includes('results.clean.accuracy: expected a finite number, got NaN'), problems.join('\n'));
  });

  it('finds per-exit arrays that do not match the exits', () => {
    const r = cloneResults();
    r.attacks[0]?.exitDistribution.pop();
    r.clean.gateFiringRate = [];
    const problems = checkResults(r);
    assert.ok(problems.includes('results.attacks[0].exitDistribution: 2 values for 3 exits'), problems.join('\n'));
    assert.ok(problems.includes('results.clean.gateFiringRate: 0 values for 1 gates'), problems.join('\n'));
  });

  it('finds duplicate attack ids, a bad transfer matrix and a gallery image that does not fill its shape', () => {
    const r = cloneResults();
    const first = r.attacks[0];
    if (first) r.attacks.push({ ...first });
    const broken = cloneResults();
    (broken.transfer[0] as unknown as Record<string, unknown>).matrix = [[1, 2]];
    broken.gallery[0]?.original.pop();
    assert.ok(checkResults(r).includes('results.attacks[3].id: "pgd@0.1" is not unique'));
    const problems = checkResults(broken);
    assert.ok(problems.includes('results.transfer[0].matrix: must NOT have fewer than 2 items, got an array'), problems.join('\n'));
    broken.transfer = cloneResults().transfer;
    assert.deepStrictEqual(checkResults(broken), ['results.gallery[0].original: 3 values do not fill shape [2, 2, 1]'], 'consistency is checked once the shape is right');
  });

  it('rejects a suggestion whose change has no path', () => {
    const r = cloneResults();
    (r.suggestions[0] as unknown as Record<string, unknown>).change = { value: 1 };
    assert.ok(checkResults(r).includes('results.suggestions[0].change: missing path'));
  });

  it('parseResultsText: a results file that is not JSON, or not Results, is refused naming the file and the place', () => {
    assert.deepStrictEqual(parseResultsText(JSON.stringify(cloneResults()), 'r.json'), cloneResults());
    assert.throws(() => parseResultsText('{"version": 1,', '.dynn/results/m.json'), /^Error: \.dynn\/results\/m\.json is not valid JSON: /);
    const bad = cloneResults();
    bad.clean.perExitAccuracy = [];
    assert.throws(
      () => parseResultsText(JSON.stringify(bad), '.dynn/results/m.json'),
      /^Error: \.dynn\/results\/m\.json is not a DyNN Lens results file: results\.clean\.perExitAccuracy: 0 values for 3 exits$/,
    );
  });

  it('holds what the published schema holds: unknown keys, ranges and integers', () => {
    const r = cloneResults() as unknown as Record<string, unknown>;
    r.extra = true;
    (r.clean as Record<string, unknown>).accuracy = 1.5;
    (r.provenance as Record<string, unknown>).samples = 2.5;
    const problems = checkResults(r);
    assert.ok(problems.includes('results: unexpected key "extra"'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('results.clean.accuracy: must be <= 1')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('results.provenance.samples: expected integer')), problems.join('\n'));
  });
});
