// `dynn-lens study --paper --matrix [FILE...]`: the paper study on every model of a list (default: the six example
// files, three mechanisms x MNIST and Fashion-MNIST) with one fixed attack protocol, a verdict per finding and cell,
// one Results document per cell (.dynn/results/<model>.json) and the combined matrix (.dynn/matrix/paper-matrix.json,
// .md, .html).
import * as path from 'node:path';
import { MATRIX_VERSION, type MatrixCell, type PaperMatrix } from '../../protocol/matrix';
import { STUDY_NAMES } from '../../protocol/study-names';
import { forTerminal } from '../../modelfile/display';
import { ModelFileError, readModelFile, type LoadedModelFile } from '../../studies/modelFile';
import { DEFAULT_MATRIX_FILES, MATRIX_DIR, MATRIX_STEPS, matrixCell, matrixProtocol, matrixSpec, protocolText } from '../../studies/matrix';
import { DEFAULT_CONFIDENCE } from '../../studies/stats';
import { resultsPath, writeWorkspaceFile } from '../../studies/resultsFiles';
import { checkRunOutputs } from '../../engine/workspace';
import { buildMatrixHtml, buildMatrixMarkdown } from '../../panel/host/matrixReport';
import { verdictShort } from '../../panel/model/matrix';
import { currentToolVersion } from '../../studies/provenance';
import { UsageError, type CommandInput } from '../command';
import { progressPrinter } from './check';

function integer(values: CommandInput['values'], name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(v)}'`);
  return n;
}

/** Options of a single study that the matrix fixes itself (its protocol is the same for every cell). */
const NOT_WITH_MATRIX = ['study', 'attack', 'eps', 'fail-under'];

export async function runMatrixCommand({ values, positionals, io }: CommandInput): Promise<number> {
  for (const k of NOT_WITH_MATRIX) if (values[k] !== undefined) throw new UsageError(`--${k} does not combine with --matrix: every cell runs the matrix's own protocol (see --help)`);
  if (values.paper !== true) throw new UsageError('--matrix runs the paper study: write study --paper --matrix');
  const samples = integer(values, 'samples', 1);
  const steps = integer(values, 'steps', 1) ?? MATRIX_STEPS;
  const seed = integer(values, 'seed', 0) ?? 0;
  const backend = typeof values.backend === 'string' ? values.backend : undefined;
  const root = path.resolve(io.cwd, typeof values.workspace === 'string' ? values.workspace : '.');
  const files = positionals.length > 0 ? positionals.map((f) => path.resolve(io.cwd, f)) : DEFAULT_MATRIX_FILES.map((f) => path.resolve(root, f));
  const out = (key: string, ext: string): string | undefined => {
    const v = values[key];
    if (v === '-') return undefined;
    return typeof v === 'string' ? path.resolve(io.cwd, v) : path.join(root, MATRIX_DIR, `paper-matrix.${ext}`);
  };
  const jsonFile = out('json', 'json');
  const mdFile = out('md', 'md');
  const htmlFile = out('html', 'html');

  const loaded: LoadedModelFile[] = [];
  for (const f of files) {
    try {
      loaded.push(await readModelFile(f, root));
    } catch (e) {
      if (e instanceof ModelFileError) {
        io.stderr.write(`dynn-lens study --matrix: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  }
  const names = new Map<string, string>();
  for (const l of loaded) {
    const other = names.get(l.spec.name);
    if (other !== undefined) throw new UsageError(`${l.file} and ${other} both name their model '${l.spec.name}'; their results would overwrite each other`);
    names.set(l.spec.name, l.file);
  }
  const outputs = [jsonFile, mdFile, htmlFile].filter((f): f is string => f !== undefined);
  try {
    checkRunOutputs(root, [...outputs, ...loaded.map((l) => resultsPath(root, l.spec.name))]);
  } catch (e) {
    if (e instanceof Error && e.name === 'WorkspaceError') {
      io.stderr.write(`dynn-lens study --matrix: ${e.message}\n`);
      return 1;
    }
    throw e;
  }

  const { runAndSave } = await import('../../studies/runAndSave');
  const started = performance.now();
  const cells: MatrixCell[] = [];
  const backends = new Set<string>();
  const matrixOf = (): PaperMatrix => ({
    version: MATRIX_VERSION,
    date: new Date().toISOString(),
    toolVersion: currentToolVersion(),
    backend: [...backends].join(', '),
    seed,
    samples: samples ?? Math.max(...cells.map((c) => c.samples)),
    seconds: (performance.now() - started) / 1000,
    confidence: DEFAULT_CONFIDENCE,
    protocol: protocolText(steps),
    cells,
  });
  // Written after every cell, so a run stopped part-way keeps the cells it finished.
  const write = (m: PaperMatrix): void => {
    if (jsonFile !== undefined) writeWorkspaceFile(root, jsonFile, `${JSON.stringify(m, null, 1)}\n`);
    if (mdFile !== undefined) writeWorkspaceFile(root, mdFile, buildMatrixMarkdown(m));
    if (htmlFile !== undefined) writeWorkspaceFile(root, htmlFile, buildMatrixHtml(m));
  };
  const progress = progressPrinter(io.stderr, io.stderr.isTTY === true);
  for (const [i, l] of loaded.entries()) {
    const protocol = matrixProtocol(l.spec, steps);
    io.stderr.write(`[${i + 1}/${loaded.length}] ${forTerminal(l.file)}: eps ${protocol.eps}, ${protocol.steps} steps\n`);
    try {
      const { results, savedTo } = await runAndSave({ ...l, spec: matrixSpec(l.spec, protocol) }, root, {
        studies: STUDY_NAMES,
        findings: true,
        seed,
        ...(samples !== undefined ? { samples } : {}),
        ...(backend !== undefined ? { backend } : {}),
        onProgress: (p) => progress.update(p),
      });
      progress.done();
      backends.add(results.provenance.backend);
      const cell = matrixCell(results, l.spec, path.relative(root, savedTo ?? resultsPath(root, l.spec.name)).split(path.sep).join('/'), protocol);
      cells.push(cell);
      write(matrixOf());
      io.stdout.write(`${forTerminal(`${cell.dataset} / ${cell.mechanism}`)}: ${[cell.rq1, cell.rq2, cell.rq3, cell.rq4].map((f, k) => `RQ${k + 1} ${verdictShort(f?.verdict ?? 'not measured')}`).join(', ')} (${results.provenance.samples} samples, ${results.provenance.seconds.toFixed(0)} s)\n`);
    } catch (e) {
      progress.done();
      if (e instanceof Error && ['DataError', 'CheckInputError', 'WorkspaceError', 'AttackInputError', 'CacheError'].includes(e.name)) {
        io.stderr.write(`dynn-lens study --matrix: ${forTerminal(l.file)}: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
  }
  const matrix = matrixOf();
  write(matrix);
  for (const f of outputs) io.stderr.write(`wrote ${path.relative(io.cwd, f) || f}\n`);
  io.stderr.write(`matrix: ${cells.length} cells in ${matrix.seconds.toFixed(0)} s\n`);
  return 0;
}
