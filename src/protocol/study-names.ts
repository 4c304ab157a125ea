// The studies a check can add (tf-free, so the CLI can validate names without loading TF.js).
export type StudyName = 'transfer' | 'efficiency' | 'sweep' | 'adversarial-training';
export const STUDY_NAMES: readonly StudyName[] = ['transfer', 'efficiency', 'sweep', 'adversarial-training'];
/** The paper's studies (`study --paper`); adversarial training is a design lever of this tool, not a finding. */
export const PAPER_STUDIES: readonly StudyName[] = ['transfer', 'efficiency', 'sweep'];
