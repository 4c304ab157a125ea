import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { type EditTarget, formatNumber, insertMappingEntry, insertSequenceItem, removeSequenceItem, renderInline, setMappingEntry } from '../../../src/advice/edits';
import { applyEdits, detectFormat, parsesCleanly } from '../../../src/advice/format';
import { analyzeText } from '../../../src/modelfile';
import type { NodePath, TextEdit } from '../../../src/modelfile/types';

/** An EditTarget over any text, located by the real parser (so spans are what the editor sees). */
function target(text: string, fileName = 'x.dynn.yaml'): EditTarget {
  const analysis = analyzeText(text, { fileName });
  return { text, format: detectFormat(text, fileName), locate: (p: NodePath) => analysis.locate(p) };
}

function apply(t: EditTarget, edit: TextEdit | undefined): unknown {
  assert.ok(edit, 'expected an edit');
  const out = applyEdits(t.text, [edit]);
  assert.ok(out !== undefined);
  assert.ok(parsesCleanly(out, t.format), out);
  return t.format === 'json' ? JSON.parse(out) : parse(out);
}

describe('advice edits', () => {
  it('detects JSON by file name or a leading brace', () => {
    assert.equal(detectFormat('a: 1', 'm.dynn.json'), 'json');
    assert.equal(detectFormat('  {"a": 1}', 'm.dynn.yaml'), 'json');
    assert.equal(detectFormat('a: 1', 'm.dynn.yaml'), 'yaml');
    assert.equal(detectFormat('a: 1'), 'yaml');
  });

  it('renders inline values for YAML and JSON, quoting what YAML would misread', () => {
    assert.equal(renderInline({ type: 'mixedPool', size: 2 }, 'yaml'), '{type: mixedPool, size: 2}');
    assert.equal(renderInline({ type: 'mixedPool', size: 2 }, 'json'), '{"type": "mixedPool", "size": 2}');
    assert.equal(renderInline(['yes', 'a b', 'ok'], 'yaml'), '["yes", "a b", ok]');
    assert.equal(formatNumber(0.1 + 0.2), '0.3');
  });

  it('refuses overlapping edits', () => {
    assert.equal(applyEdits('abcdef', [{ span: { start: 0, end: 3 }, newText: 'x' }, { span: { start: 2, end: 4 }, newText: 'y' }]), undefined);
    assert.equal(applyEdits('abcdef', [{ span: { start: 4, end: 4 }, newText: 'Y' }, { span: { start: 0, end: 1 }, newText: 'X' }]), 'XbcdYef');
  });

  it('inserts a key into block, nested-in-sequence, flow, empty-flow and JSON mappings', () => {
    let t = target('dynn: 1\ninput:\n  shape: [2]\n');
    assert.deepEqual(apply(t, insertMappingEntry(t, ['input'], 'range', [0, 1])), { dynn: 1, input: { range: [0, 1], shape: [2] } });
    t = target('exits:\n  - name: a\n    after: b\n');
    assert.deepEqual(apply(t, insertMappingEntry(t, ['exits', 0], 'threshold', 0.9)), { exits: [{ threshold: 0.9, name: 'a', after: 'b' }] });
    t = target('input: {shape: [2]}\n');
    assert.deepEqual(apply(t, insertMappingEntry(t, ['input'], 'range', [0, 1])), { input: { range: [0, 1], shape: [2] } });
    t = target('policy: {}\n');
    assert.deepEqual(apply(t, insertMappingEntry(t, ['policy'], 'threshold', 0.9)), { policy: { threshold: 0.9 } });
    t = target('{\n  "input": {\n    "shape": [2]\n  }\n}\n', 'x.dynn.json');
    const edit = insertMappingEntry(t, ['input'], 'range', [0, 1]);
    assert.deepEqual(apply(t, edit), { input: { range: [0, 1], shape: [2] } });
    assert.equal(edit?.newText, '"range": [0, 1],\n    ');
  });

  it('setMappingEntry replaces an existing value in place', () => {
    const t = target('policy:\n  threshold: 0.6   # low\n');
    const edit = setMappingEntry(t, ['policy'], 'threshold', 0.9);
    assert.deepEqual(apply(t, edit), { policy: { threshold: 0.9 } });
    assert.equal(applyEdits(t.text, [edit!]), 'policy:\n  threshold: 0.9   # low\n');
  });

  it('inserts a sequence item before the first, in block, flow and JSON sequences', () => {
    let t = target('head:\n  - type: flatten\n  - {type: dense, units: 2}\n');
    assert.deepEqual(apply(t, insertSequenceItem(t, ['head'], 0, { type: 'mixedPool', size: 2 })), {
      head: [{ type: 'mixedPool', size: 2 }, { type: 'flatten' }, { type: 'dense', units: 2 }],
    });
    t = target('head: [{type: flatten}]\n');
    assert.deepEqual(apply(t, insertSequenceItem(t, ['head'], 0, { type: 'mixedPool', size: 2 })), { head: [{ type: 'mixedPool', size: 2 }, { type: 'flatten' }] });
    t = target('{"head": [{"type": "flatten"}]}', 'x.dynn.json');
    assert.deepEqual(apply(t, insertSequenceItem(t, ['head'], 0, { type: 'mixedPool', size: 2 })), { head: [{ type: 'mixedPool', size: 2 }, { type: 'flatten' }] });
  });

  it('removes first, middle, last and only items of block, flow and JSON sequences', () => {
    const block = 'xs:\n  - name: a\n    v: 1\n  - name: b\n  - name: c\nafter: 1\n';
    for (const [index, left] of [[0, ['b', 'c']], [1, ['a', 'c']], [2, ['a', 'b']]] as const) {
      const t = target(block);
      const out = apply(t, removeSequenceItem(t, ['xs'], index, 3)) as { xs: { name: string }[]; after: number };
      assert.deepEqual(out.xs.map((x) => x.name), left);
      assert.equal(out.after, 1);
    }
    let t = target('xs: [1, 2, 3]\n');
    assert.deepEqual(apply(t, removeSequenceItem(t, ['xs'], 2, 3)), { xs: [1, 2] });
    assert.deepEqual(apply(t, removeSequenceItem(t, ['xs'], 0, 3)), { xs: [2, 3] });
    t = target('xs:\n  - name: a\nafter: 1\n');
    assert.deepEqual(apply(t, removeSequenceItem(t, ['xs'], 0, 1)), { xs: [], after: 1 });
    t = target('{"xs": [\n  {"a": 1},\n  {"b": 2}\n], "after": 1}', 'x.dynn.json');
    assert.deepEqual(apply(t, removeSequenceItem(t, ['xs'], 1, 2)), { xs: [{ a: 1 }], after: 1 });
    t = target('{"xs": [{"a": 1}], "after": 1}', 'x.dynn.json');
    assert.deepEqual(apply(t, removeSequenceItem(t, ['xs'], 0, 1)), { xs: [], after: 1 });
  });

  it('keeps \\r\\n line breaks in a CRLF file', () => {
    let t = target('input:\r\n  shape: [2]\r\nhead:\r\n  - type: flatten\r\n');
    const key = insertMappingEntry(t, ['input'], 'range', [0, 1]);
    assert.equal(key?.newText, 'range: [0, 1]\r\n  ');
    apply(t, key);
    t = target('head:\r\n  - type: flatten\r\n');
    const item = insertSequenceItem(t, ['head'], 0, { type: 'mixedPool', size: 2 });
    assert.equal(item?.newText, '{type: mixedPool, size: 2}\r\n  - ');
    assert.deepEqual(apply(t, item), { head: [{ type: 'mixedPool', size: 2 }, { type: 'flatten' }] });
  });

  it('returns no edit for a path that is not in the file', () => {
    const t = target('a: 1\n');
    assert.equal(insertMappingEntry(t, ['missing'], 'k', 1), undefined);
    assert.equal(removeSequenceItem(t, ['missing'], 0, 1), undefined);
  });
});
