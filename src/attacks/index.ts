// Public surface of the attacks: one attack() for every kind, the losses, the geometry and the sanity checks.
export { attack, AttackInputError, configFromSpec, objectiveFor, resolveSchedule, type ResolvedSchedule } from './attack';
export * from './defaults';
export * from './losses';
export * from './projection';
export * from './sanity';
export * from './types';
export { exitDecider } from './policy';
export { hijackStats, type HijackStats } from './metrics';
