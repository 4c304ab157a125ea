// Property-based fuzzing of the model-file front end (issue 13 section 6), bounded for `npm test`; the long run is
// `npm run fuzz` (test/fuzz/run.ts). fast-check prints the seed and the shrunk input of a failure to reproduce it.
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'yaml';
import { analyse, fuzzInputs, seeds } from '../../fuzz/modelFiles';

const RUNS = 300;
const MAX_MS = 2000;
const MAX_RSS_GROWTH_MB = 256;

describe('modelfile: generated model files (property-based)', function () {
  this.timeout(60_000);

  it(`${RUNS} random, near-valid and mutated files: no exception, every diagnostic located in the text, none slow`, () => {
    const arb = fuzzInputs(seeds((t) => parse(t) as unknown));
    const rssBefore = process.memoryUsage().rss;
    fc.assert(
      fc.property(arb, (input) => {
        const o = analyse(input);
        assert.deepEqual(o.outside.map((d) => `${d.code} ${JSON.stringify(d.span)}`), [], `diagnostics outside the text of length ${input.text.length}`);
        assert.deepEqual(o.atStart.map((d) => `${d.code}: ${d.message}`), [], 'diagnostics at 1:1 with nothing under them');
        assert.ok(o.ms < MAX_MS, `took ${Math.round(o.ms)} ms`);
      }),
      { numRuns: RUNS },
    );
    const growthMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(growthMB < MAX_RSS_GROWTH_MB, `memory grew by ${Math.round(growthMB)} MB`);
  });

  it('the generators reach the semantic checks, not only the parser', () => {
    // A fuzzer that only ever produced syntax errors would test little: most near-valid files must parse. Shape
    // errors need a mutation that keeps the file parsing and valid, about 1 sample in 200: 1,000 samples.
    const sample = fc.sample(fuzzInputs(seeds((t) => parse(t) as unknown)), { numRuns: 1000, seed: 7 });
    const codes = new Set(sample.flatMap((i) => analyse(i).diagnostics.map((d) => d.code.split('/')[0])));
    for (const family of ['parse', 'schema', 'shape']) assert.ok(codes.has(family), `no '${family}' diagnostics in ${[...codes].join(', ')}`);
    const clean = sample.filter((i) => !analyse(i).diagnostics.some((d) => d.severity === 'error')).length;
    assert.ok(clean > 0, 'no generated file was valid');
  });
});
