// Public surface of the engine: backends, networks, policy, training, evaluation, weight cache.
export * from './types';
export { chooseBackend, initBackend, currentBackend, probeBackends, parseBackendPreference, runWithFallback, isOutOfMemory, isBackendFailure, BACKEND_ORDER } from './backend';
export type { BackendProbe, BackendChoice, BackendPreference, BackendOptions, FallbackOptions, FallbackResult } from './backend';
export { buildModel, buildStaticTwin, Network } from './network';
export type { BuildOptions, TrainOutputs } from './network';
export { decideExit, replayPolicy, policyFromSpec, normalisedEntropy, initialPolicyState } from './policy';
export type { PolicyConfig, PolicyState, ReplayResult } from './policy';
export { trainModel, trainNetwork } from './train';
export type { TrainOptions, TrainMetrics, TrainResult } from './train';
export { evaluate, perExitAccuracy, earlyExitCapacity, exitDistribution, dynamicAccuracy } from './evaluate';
export type { Evaluation } from './evaluate';
export { loadOrTrain, loadWeights, saveWeights, cacheKey, cacheDir, CacheError, CACHE_FORMAT_VERSION } from './cache';
export type { LoadOrTrainResult } from './cache';
export { conv2dFast, depthwiseConv2dFast, maxPoolFast } from './fastgrad';
export { importLayersModel, ImportedModel, parseImportSidecar, ImportError } from './import';
export type { ImportSidecar } from './import';
export type { SegmentProfile } from './network';
export { gatherRows } from './rows';
