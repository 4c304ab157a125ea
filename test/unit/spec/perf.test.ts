// A 300-line model analyses fast. The time is logged (speed goals live in the bench, not here).
import * as assert from 'assert';
import { analyzeText, getValidator } from '../../../src/spec';
import { assertClean } from './helpers';
import { bigModel } from '../../fixtures/big-model';

describe('spec performance (logged)', () => {
  it('analyses a 300-line model', () => {
    const text = bigModel(20);
    const lineCount = text.split('\n').length;
    assert.ok(lineCount >= 300, `${lineCount} lines`);
    const t0 = process.hrtime.bigint();
    getValidator();
    const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assertClean(analyzeText(text));
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = process.hrtime.bigint();
      analyzeText(text);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    console.log(`      ${lineCount} lines: median ${times[5]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms (ajv compile once: ${compileMs.toFixed(0)} ms)`);
  });
});
