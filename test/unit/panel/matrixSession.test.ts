import * as assert from 'assert';
import { parseFromWebview, parseToWebview, type ToWebview } from '../../../src/protocol/panel-messages';
import type { PaperMatrix } from '../../../src/protocol/matrix';
import { matrixCell, paperMatrix } from './matrixFixture';
import { MatrixSession } from '../../../src/panel/host/matrixSession';

const MATRIX: PaperMatrix = paperMatrix([matrixCell('a', 'examples/a.dynn.yaml'), matrixCell('b', 'examples/b.dynn.yaml')]);

function session() {
  const posted: ToWebview[] = [];
  const opened: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const s = new MatrixSession({
    matrix: MATRIX,
    post: (m) => {
      posted.push(m);
      return Promise.resolve(true);
    },
    openCell: (c) => {
      if (c.model === 'b') return Promise.reject(new Error('cannot open b'));
      opened.push(c.file);
      return Promise.resolve();
    },
    showError: (t) => errors.push(t),
    log: { info: () => undefined, warn: (t) => warnings.push(t), error: (t) => errors.push(t) },
  });
  return { s, posted, opened, warnings, errors };
}

describe('panel: paper-matrix messages and session', () => {
  it('validates openCell and matrix messages both ways', () => {
    assert.deepStrictEqual(parseFromWebview({ type: 'openCell', index: 1 }), { ok: true, message: { type: 'openCell', index: 1 } });
    for (const index of [-1, 1.5, '1', 1e9, undefined]) assert.strictEqual(parseFromWebview({ type: 'openCell', index }).ok, false, String(index));
    assert.strictEqual(parseToWebview({ type: 'matrix', matrix: MATRIX }).ok, true);
    const bad = parseToWebview({ type: 'matrix', matrix: { ...MATRIX, cells: [{ ...MATRIX.cells[0], rq1: { verdict: 'probably' } }] } });
    assert.ok(!bad.ok && /matrix\.cells\[0\]\.rq1/.test(bad.error));
  });

  it('posts the matrix on ready and opens a cell by index from its own copy', async () => {
    const { s, posted, opened, warnings, errors } = session();
    await s.receive({ type: 'ready' });
    assert.deepStrictEqual(posted, [{ type: 'matrix', matrix: MATRIX }]);
    await s.receive({ type: 'openCell', index: 0 });
    assert.deepStrictEqual(opened, ['examples/a.dynn.yaml']);
    await s.receive({ type: 'openCell', index: 7 });
    await s.receive({ type: 'openCell', file: '../../etc/passwd' });
    await s.receive({ type: 'applySuggestion', suggestionId: 'x' });
    assert.deepStrictEqual(opened, ['examples/a.dynn.yaml']);
    assert.strictEqual(warnings.length, 3, warnings.join('\n'));
    await s.receive({ type: 'openCell', index: 1 });
    assert.match(errors.join('\n'), /cannot open b/);
  });
});
