// `dynn-lens study FILE --paper`: the check plus the transfer, generation-efficiency and design-sweep studies, with
// the paper's findings (Haque & Yang, arXiv 2308.08709) evaluated on this model. `--study NAME` runs only some.
import { PAPER_STUDIES, STUDY_NAMES as STUDY_NAMES_LIST, type StudyName } from '../../protocol/study-names';
import { UsageError, type Command } from '../command';
import { RUN_OPTIONS, runCheckCommand } from './check';
import { runMatrixCommand } from './matrix';

export const studyCommand: Command = {
  name: 'study',
  summary: "Run the robustness studies (transfer, efficiency, design sweep) and the paper's findings",
  usage: 'study FILE (--paper | --study NAME...) [check options] | study --paper --matrix [FILE...] [--samples N] [--steps K] [--seed S] [--backend B] [--json OUT] [--md OUT] [--html OUT]',
  description: [
    '--paper runs the three studies and evaluates the four findings of Haque & Yang (transfer asymmetry, generation',
    'efficiency, design choices, the mechanism attack) on this model: each holds or does not, with its numbers.',
    '--study transfer|efficiency|sweep|adversarial-training runs single studies (with --paper: adds them). The static',
    'twin (the same backbone without exits, trained with the same recipe and seed) is trained on first use and cached.',
    'adversarial-training trains the file with and without train.adversarial (the recipe proposed for it when it has',
    'none), runs the same attacks on both, and suggests the recipe when it measurably helps. Other options as for `check`.',
    '--paper --matrix runs the paper study on each FILE (default: the six example models, SDN, BranchyNet and SkipNet',
    'on MNIST and Fashion-MNIST) with one protocol: L-inf PGD on the final exit at eps 0.3 (MNIST) or 0.1 (Fashion-MNIST),',
    '20 steps (--steps), plus the mechanism attacks at the same eps. Each finding gets a verdict per cell (holds, does',
    'not hold, or no difference within sampling noise) from 95% Wilson / Newcombe intervals. Writes each cell to',
    '.dynn/results/<model>.json and the matrix to .dynn/matrix/paper-matrix.json, .md and .html (--json/--md/--html',
    'OUT to change, - to skip). --samples N per cell (default each file\'s checks.samples).',
  ].join('\n'),
  options: {
    paper: { type: 'boolean', description: "The paper's studies (transfer, efficiency, sweep) and its findings" },
    matrix: { type: 'boolean', description: 'With --paper: the paper study over a list of models (default the six examples)' },
    html: { type: 'string', valueName: 'OUT', description: 'With --matrix: write the HTML report to OUT' },
    study: { type: 'string', multiple: true, valueName: 'NAME', description: `Run this study: ${STUDY_NAMES_LIST.join(', ')} (repeatable)` },
    ...RUN_OPTIONS,
  },
  run(input) {
    if (input.values.matrix === true) return runMatrixCommand(input);
    if (input.values.html !== undefined) throw new UsageError('--html is for --matrix; a single study writes HTML from the editor');
    const named = (Array.isArray(input.values.study) ? input.values.study : input.values.study === undefined ? [] : [input.values.study]).map(String);
    for (const s of named) if (!STUDY_NAMES_LIST.includes(s as never)) throw new UsageError(`--study '${s}': expected one of ${STUDY_NAMES_LIST.join(', ')}`);
    const paper = input.values.paper === true;
    if (!paper && named.length === 0) throw new UsageError('say what to run: --paper, or --study with one of ' + STUDY_NAMES_LIST.join(', '));
    const studies = paper ? [...new Set([...PAPER_STUDIES, ...(named as StudyName[])])] : (named as StudyName[]);
    return runCheckCommand(input, { studies, findings: paper }, 'study');
  },
};
