// `dynn-lens study FILE --paper`: the check plus the transfer, generation-efficiency and design-sweep studies, with
// the paper's findings (Haque & Yang, arXiv 2308.08709) evaluated on this model. `--study NAME` runs only some.
import { STUDY_NAMES as STUDY_NAMES_LIST, type StudyName } from '../../protocol/study-names';
import { UsageError, type Command } from '../command';
import { RUN_OPTIONS, runCheckCommand } from './check';

export const studyCommand: Command = {
  name: 'study',
  summary: "Run the robustness studies (transfer, efficiency, design sweep) and the paper's findings",
  usage: 'study FILE (--paper | --study NAME...) [check options]',
  description: [
    '--paper runs the three studies and evaluates the four findings of Haque & Yang (transfer asymmetry, generation',
    'efficiency, design choices, the mechanism attack) on this model: each holds or does not, with its numbers.',
    '--study transfer|efficiency|sweep runs single studies. The static twin (the same backbone without exits,',
    'trained with the same recipe and seed) is trained on first use and cached. Other options as for `check`.',
  ].join('\n'),
  options: {
    paper: { type: 'boolean', description: 'All studies and the paper findings' },
    study: { type: 'string', multiple: true, valueName: 'NAME', description: `Run this study: ${STUDY_NAMES_LIST.join(', ')} (repeatable)` },
    ...RUN_OPTIONS,
  },
  run(input) {
    const named = (Array.isArray(input.values.study) ? input.values.study : input.values.study === undefined ? [] : [input.values.study]).map(String);
    for (const s of named) if (!STUDY_NAMES_LIST.includes(s as never)) throw new UsageError(`--study '${s}': expected one of ${STUDY_NAMES_LIST.join(', ')}`);
    const paper = input.values.paper === true;
    if (!paper && named.length === 0) throw new UsageError('say what to run: --paper, or --study with one of ' + STUDY_NAMES_LIST.join(', '));
    const studies = paper ? STUDY_NAMES_LIST : (named as StudyName[]);
    return runCheckCommand(input, { studies, findings: paper }, 'study');
  },
};
