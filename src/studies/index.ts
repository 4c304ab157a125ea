// Public surface of the studies: checks, the paper study, training summaries, results on disk, pure metrics.
export * from '../protocol/results';
export { runCheck, STUDY_NAMES, DEFAULT_BATCH, DEFAULT_GALLERY, CheckInputError, type StudyName, type CheckInput, type CheckOptions } from './check';
export { runPaperStudy } from './study';
export { runTrain, NotTrainableError, type TrainRunInput, type TrainRunOptions, type TrainSummary } from './train';
export { readModelFile, ModelFileError, type LoadedModelFile } from './modelFile';
export { writeResults, writeFileAtomic, resultsPath, resultsFileName } from './resultsFiles';
export { paretoMask, dominates, hijackRates, successRate, summarizePass, type PassRecord, type Objectives } from './metrics';
export { costsFromReport, exitDesignGrid, gateDesignGrid, replayDesign, replayFlops, geometryOf, runSweep, type Design, type DesignGeometry, type ModelCosts } from './sweep';
export { suggestFromSweep, mergeSuggestions, MAX_CLEAN_DROP, MIN_GAIN } from './suggestions';
export { efficiencyOf, BACKWARD_FACTOR } from './efficiency';
export { parseBar, checkBars, BarSyntaxError, CLEAN_METRICS, ATTACK_METRICS, type Bar, type BarOutcome } from './bars';
