// A 300-line model analyses fast. The time is logged (speed goals live in the bench, not here).
import * as assert from 'assert';
import { analyzeText, getValidator } from '../../../src/spec';
import { assertClean } from './helpers';

export function bigModel(blocks: number): string {
  const lines = ['dynn: 1', 'name: big', 'input: { shape: [28, 28, 1], range: [0, 1] }', 'classes: 10', 'backbone:'];
  lines.push('  - { name: stem, type: conv2d, filters: 8, kernel: 3 }');
  for (let i = 0; i < blocks; i++) {
    lines.push(`  - name: block${i}`, '    type: residual', '    layers:');
    lines.push(`      - name: b${i}c1`, '        type: conv2d', '        filters: 8', '        kernel: 3', '        padding: same');
    lines.push(`      - name: b${i}bn`, '        type: batchNorm');
    lines.push(`      - name: b${i}act`, '        type: activation', '        activation: relu');
    lines.push(`      - { name: b${i}c2, type: conv2d, filters: 8, kernel: 3 }`);
  }
  lines.push('  - { name: gp, type: globalPool }', '  - { name: out, type: dense, units: 10 }');
  lines.push('exits:');
  for (let i = 2; i < blocks; i += 4) lines.push(`  - { name: e${i}, after: block${i} }`);
  lines.push('gates:');
  for (let i = 1; i < blocks; i += 3) lines.push(`  - { name: g${i}, block: block${i} }`);
  return lines.join('\n') + '\n';
}

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
