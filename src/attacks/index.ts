// Public surface of the attacks: one attack() for every kind, the losses, the geometry and the sanity checks.
export { attack, AttackInputError, configFromSpec, objectiveFor, resolveSchedule, type ResolvedSchedule } from './attack';
export * from './defaults';
export * from './losses';
export * from './projection';
export * from './sanity';
export * from './types';
export { exitDecider } from './policy';
export { hijackStats, type HijackStats } from './metrics';
export { apgd, apgdCheckpoints, checkpointHalves, APGD_MOMENTUM, APGD_RHO, type ApgdOutcome } from './apgd';
export { apgdRefusal, runApgdAttack, type ApgdSettings } from './apgdAttack';
export { dlrLoss, dlrRefusal, dlrTargetedLoss, rankedTargets, DLR_MIN_CLASSES, DLR_TARGETED_MIN_CLASSES, type Criterion } from './dlr';
export { selectRows } from './selectRows';
