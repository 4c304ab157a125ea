// The paper study (`dynn-lens study FILE --paper`): the check plus transfer, generation efficiency and the design
// sweep, with the paper's four findings evaluated on this model.
import { runCheck, type CheckInput, type CheckOptions } from './check';
import { PAPER_STUDIES } from '../protocol/study-names';
import type { Results } from '../protocol/results';

export async function runPaperStudy(input: CheckInput, options: Omit<CheckOptions, 'studies' | 'findings'> = {}): Promise<Results> {
  return runCheck(input, { ...options, studies: PAPER_STUDIES, findings: true });
}
