// The studies a check can add (tf-free, so the CLI can validate names without loading TF.js).
export type StudyName = 'transfer' | 'efficiency' | 'sweep';
export const STUDY_NAMES: readonly StudyName[] = ['transfer', 'efficiency', 'sweep'];
