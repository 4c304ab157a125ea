// Property-based fuzzing of the model-file front end: the path the editor and `dynn-lens validate` take (parse ->
// schema -> semantics and shapes -> cost -> design advice) on generated text. Shared by the bounded unit test
// (test/unit/modelfile/fuzz.test.ts) and the long run (test/fuzz/run.ts, `npm run fuzz`).
//
// Inputs: random text (any characters, and YAML/JSON-looking token soup), random YAML/JSON documents built from the
// schema's words, and near-valid model files: the examples/ files mutated in their text or in their structure.

import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { advise } from '../../src/advice';
import { analyzeText } from '../../src/modelfile';
import type { Diagnostic } from '../../src/modelfile/types';

/** Repository root, from out/test/fuzz or test/fuzz. */
const ROOT = path.resolve(__dirname, '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..')) === 'out' ? ['..'] : []));

export interface FuzzInput {
  text: string;
  /** `.json` makes the parser read JSON; anything else is YAML. */
  fileName: string;
}

export interface Outcome {
  ms: number;
  diagnostics: Diagnostic[];
  /** Diagnostics whose span is not inside the text (0 <= start <= end <= length). */
  outside: Diagnostic[];
  /** Diagnostics at 1:1 with nothing under them although the file has text. */
  atStart: Diagnostic[];
}

/** Diagnostics about the whole file (too large, too many problems, nothing but comments), at its start on purpose. */
const WHOLE_FILE_CODES = new Set(['limits/file-too-large', 'limits/too-many-problems', 'parse/empty']);

/** Runs one input through everything `validate` runs. Throws only if the analyser does (a bug). */
export function analyse(input: FuzzInput): Outcome {
  const t0 = performance.now();
  const analysis = analyzeText(input.text, { fileName: input.fileName });
  const diagnostics = [...analysis.diagnostics, ...advise(analysis, input.text, { fileName: input.fileName })];
  const ms = performance.now() - t0;
  const n = input.text.length;
  const outside = diagnostics.filter((d) => !(Number.isInteger(d.span.start) && Number.isInteger(d.span.end) && d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= n));
  const atStart = diagnostics.filter((d) => d.span.start === 0 && d.span.end === 0 && input.text.trim() !== '' && !WHOLE_FILE_CODES.has(d.code));
  return { ms, diagnostics, outside, atStart };
}

export function exampleTexts(): { name: string; text: string }[] {
  const dir = path.join(ROOT, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => /\.dynn\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => ({ name: f, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** Words of the schema and its values: keys, layer types, enums, so generated documents get past the first check. */
const WORDS = [
  'dynn', 'name', 'input', 'shape', 'range', 'classes', 'backbone', 'exits', 'gates', 'policy', 'data', 'train', 'checks', 'import',
  'type', 'conv2d', 'dense', 'flatten', 'maxPool', 'avgPool', 'globalPool', 'residual', 'batchNorm', 'dropout', 'relu', 'body', 'projection',
  'filters', 'kernel', 'stride', 'padding', 'same', 'valid', 'units', 'activation', 'linear', 'softmax', 'size', 'pool', 'avg', 'max',
  'after', 'head', 'block', 'threshold', 'kind', 'maxProb', 'entropy', 'patience', 'source', 'mnist', 'npy', 'npz', 'csv', 'images',
  'trainLabels', 'test', 'testLabels', 'trainFraction', 'epochs', 'batchSize', 'optimizer', 'adam', 'sgd', 'learningRate', 'mode', 'joint',
  'seed', 'exitWeights', 'samples', 'attacks', 'id', 'pgd', 'fgsm', 'norm', 'linf', 'l2', 'eps', 'step', 'steps', 'model', 'outputs', 'final',
];

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.integer({ min: -3, max: 300 }),
  fc.constantFrom(0, 1, 2, 28, 784, 1e9, -1, 0.5, 1e308, 2 ** 53 + 1, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
);

/** Nested values whose keys are mostly schema words. */
const documentValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 6 }),
  ),
})).value;

/** YAML and JSON syntax pieces, for text that is almost a document. */
const TOKENS = [
  ':', ': ', '- ', '[', ']', '{', '}', ', ', '"', "'", '!!', '!!pairs ', '!!omap ', '!!set ', '!!binary ', '!!str ', '!!int ', '!!float ',
  '&a ', '*a', '*b', '<<: ', '? ', '|', '>', '#', '%YAML 1.2\n', '---\n', '...\n', '\n', '\n  ', '\n    ', '\t', '\\', '\\u0000', '\u0000',
  '\u001b[2J', '\ufeff', '\u2028', '\ud800', '1e999', '-.inf', '.nan', '0x1F', '0o17', '~', 'null', 'true',
];

const tokenSoup = fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(...WORDS), fc.string({ maxLength: 4 })), { maxLength: 80 }).map((t) => t.join(''));

/** A text mutation of a model file: each picks its place from `at` in [0, 1). */
type TextEdit = (text: string) => string;

const textEdit: fc.Arbitrary<TextEdit> = fc.oneof(
  // Delete a span.
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 1, max: 40 })).map(([at, len]): TextEdit => (t) => {
    const i = Math.floor(at * t.length);
    return t.slice(0, i) + t.slice(i + len);
  }),
  // Insert a token or a word.
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.oneof(fc.constantFrom(...TOKENS), fc.constantFrom(...WORDS), fc.string({ maxLength: 6 }))).map(([at, s]): TextEdit => (t) => {
    const i = Math.floor(at * t.length);
    return t.slice(0, i) + s + t.slice(i);
  }),
  // Replace a number with another.
  fc.tuple(fc.nat(), fc.constantFrom('0', '-1', '1e9', '99999999999999999999', '0.0', '1e-320', '.5', 'NaN', '3.7', '[]', '{}')).map(([k, s]): TextEdit => (t) => {
    const nums = [...t.matchAll(/-?\d+(\.\d+)?/g)];
    const m = nums.length > 0 ? nums[k % nums.length] : undefined;
    return m?.index === undefined ? t : t.slice(0, m.index) + s + t.slice(m.index + m[0].length);
  }),
  // Duplicate, drop or swap lines.
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('dup', 'drop', 'swap')).map(([a, b, op]): TextEdit => (t) => {
    const lines = t.split('\n');
    const i = a % lines.length;
    const j = b % lines.length;
    if (op === 'dup') lines.splice(i, 0, lines[i] ?? '');
    else if (op === 'drop') lines.splice(i, 1);
    else [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
    return lines.join('\n');
  }),
);

/** A structural mutation of a parsed model file: at a path chosen by `picks`, delete, replace or rename. */
function mutateValue(root: unknown, picks: number[], op: 'delete' | 'replace' | 'rename' | 'wrap', replacement: unknown, newKey: string): unknown {
  const copy: unknown = structuredClone<unknown>(root);
  let parent: unknown = undefined;
  let key: string | number | undefined;
  let node = copy;
  for (const p of picks) {
    if (Array.isArray(node) && node.length > 0) {
      parent = node;
      key = p % node.length;
      node = node[key] as unknown;
    } else if (node !== null && typeof node === 'object' && Object.keys(node).length > 0) {
      const keys = Object.keys(node);
      parent = node;
      key = keys[p % keys.length] ?? '';
      node = (node as Record<string, unknown>)[key];
    } else break;
  }
  if (parent === undefined || key === undefined) return replacement;
  const obj = parent as Record<string | number, unknown>;
  if (op === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete obj[key];
  } else if (op === 'replace') obj[key] = replacement;
  else if (op === 'wrap') obj[key] = [node];
  else if (!Array.isArray(parent)) {
    const v = obj[key];
    delete obj[key];
    obj[newKey] = v;
  }
  return copy;
}

export interface Seeds {
  /** Parsed examples (plain data) for structural mutation. */
  values: unknown[];
  texts: string[];
}

export function seeds(parse: (text: string) => unknown): Seeds {
  const ex = exampleTexts();
  return { texts: ex.map((e) => e.text), values: ex.map((e) => parse(e.text)) };
}

export function fuzzInputs(s: Seeds): fc.Arbitrary<FuzzInput> {
  const anyName = fc.constantFrom('fuzz.dynn.yaml', 'fuzz.dynn.json');
  const randomText = fc.record({ text: fc.string({ unit: 'binary', maxLength: 300 }), fileName: anyName });
  const soup = fc.record({ text: tokenSoup, fileName: anyName });
  const documents = fc.tuple(documentValue, fc.boolean()).map(([v, json]): FuzzInput => (json ? { text: JSON.stringify(v, null, 1) ?? 'null', fileName: 'fuzz.dynn.json' } : { text: stringify(v), fileName: 'fuzz.dynn.yaml' }));
  const textMutants = fc
    .tuple(fc.nat({ max: s.texts.length - 1 }), fc.array(textEdit, { minLength: 1, maxLength: 4 }))
    .map(([i, edits]): FuzzInput => ({ text: edits.reduce((t, e) => e(t), s.texts[i] ?? ''), fileName: /^\s*\{/.test(s.texts[i] ?? '') ? 'fuzz.dynn.json' : 'fuzz.dynn.yaml' }));
  const structuralMutants = fc
    .tuple(
      fc.nat({ max: s.values.length - 1 }),
      fc.array(fc.tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.constantFrom<'delete' | 'replace' | 'rename' | 'wrap'>('delete', 'replace', 'rename', 'wrap'), documentValue, fc.constantFrom(...WORDS)), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    )
    .map(([i, muts, json]): FuzzInput => {
      const v = muts.reduce((acc, [picks, op, rep, k]) => mutateValue(acc, picks, op, rep, k), s.values[i]);
      return json ? { text: JSON.stringify(v, null, 2) ?? 'null', fileName: 'fuzz.dynn.json' } : { text: stringify(v), fileName: 'fuzz.dynn.yaml' };
    });
  return fc.oneof(
    { arbitrary: randomText, weight: 1 },
    { arbitrary: soup, weight: 2 },
    { arbitrary: documents, weight: 2 },
    { arbitrary: textMutants, weight: 4 },
    { arbitrary: structuralMutants, weight: 4 },
  );
}
