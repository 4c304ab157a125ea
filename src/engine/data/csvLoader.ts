// CSV source: one sample per line, the label in the first column, then the pixel values in HWC order. A first
// line with any non-numeric field is a header. Delimiter: comma, semicolon or tab (detected on the first line).

import { DataError } from './errors';
import { utf8 } from './bytes';
import { readWorkspaceFile } from './files';
import { checkSize } from './limits';
import type { LabeledArrays } from './npyLoader';

const SPECIAL: Record<string, number> = { nan: Number.NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '+infinity': Infinity, '-infinity': -Infinity };

function parseField(s: string): number {
  const t = s.trim();
  if (t === '') return Number.NaN;
  const special = SPECIAL[t.toLowerCase()];
  if (special !== undefined) return special;
  return Number(t);
}

function isNumeric(s: string): boolean {
  const t = s.trim().toLowerCase();
  return t !== '' && (SPECIAL[t] !== undefined || !Number.isNaN(Number(t)));
}

/** Fields of `line`, counted without splitting it: a 10 MB line would split into millions of strings. */
function fieldCount(line: string, delimiter: string): number {
  let n = 1;
  for (let i = line.indexOf(delimiter); i !== -1; i = line.indexOf(delimiter, i + 1)) n++;
  return n;
}

export async function loadCsv(root: string, file: string, perSample: number, maxBytes: number): Promise<LabeledArrays> {
  const text = utf8(await readWorkspaceFile(root, file, maxBytes)).replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '') ?? '';
  const delimiter = first.includes(',') ? ',' : first.includes(';') ? ';' : first.includes('\t') ? '\t' : ',';
  let start = lines.indexOf(first);
  // A header has a non-numeric field among the columns a row should have (more are not looked at).
  if (first.split(delimiter, perSample + 1).some((f) => !isNumeric(f))) start++;
  const rows: number[] = [];
  for (let i = start; i < lines.length; i++) if ((lines[i] as string).trim() !== '') rows.push(i);
  if (rows.length === 0) throw new DataError('no data rows (the file is empty or holds only a header)', file);
  checkSize(rows.length * perSample * 8, maxBytes, file, `${rows.length} rows of ${perSample} values`);

  const x = new Float64Array(rows.length * perSample);
  const y = new Float64Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const lineNo = (rows[r] as number) + 1;
    const line = lines[lineNo - 1] as string;
    const columns = fieldCount(line, delimiter);
    if (columns !== perSample + 1) {
      throw new DataError(
        `line ${lineNo} has ${columns} columns, expected ${perSample + 1} (the label, then ${perSample} values for the input shape)`,
        file,
      );
    }
    const fields = line.split(delimiter);
    for (let c = 0; c < fields.length; c++) {
      const v = parseField(fields[c] as string);
      if (Number.isNaN(v) && !/^\s*nan\s*$/i.test(fields[c] as string)) {
        const shown = (fields[c] as string).trim();
        throw new DataError(`line ${lineNo}, column ${c + 1}: '${shown.length > 40 ? `${shown.slice(0, 40)}...` : shown}' is not a number`, file);
      }
      if (c === 0) y[r] = v;
      else x[r * perSample + c - 1] = v;
    }
  }
  return {
    x: { dtype: '<f8', shape: [rows.length, perSample], data: x },
    y: { dtype: '<f8', shape: [rows.length], data: y },
    xFile: file,
    yFile: `${file} (first column)`,
    source: 'text',
    origin: `CSV ${file}${start > lines.indexOf(first) ? ' (with header)' : ''}`,
  };
}
