// Stable identity of a model: sha256 of a canonical JSON of the spec (sorted keys, no source paths, no model
// name), so the same content in YAML or JSON, reordered keys, comments, layout or a renamed file all give the
// same hash. The name is left out because it changes neither the weights nor the results.
import { host } from '../protocol/host';
import type { ModelSpec } from './types';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => k !== 'path' && obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function specHash(spec: ModelSpec): string {
  const { name: _name, ...identity } = spec;
  return host().sha256(canonicalJson(identity));
}

/**
 * Hash of what the spec says determines trained weights: architecture, gate thresholds (the hard gate decision is
 * part of the training forward pass), the data source and split, and the recipe. Exit thresholds, the exit policy
 * and `checks` only decide how a trained network is used, so changing them (e.g. applying a threshold suggestion)
 * keeps the cached weights. Data file paths are left out: the weight cache keys on the files' bytes instead
 * (src/engine/dataDigest.ts), so a moved file keeps its weights and a changed one never does.
 */
export function weightsHash(spec: ModelSpec): string {
  const { name: _name, policy: _policy, checks: _checks, exits, data, ...rest } = spec;
  const exitsWithoutThresholds = exits.map(({ threshold: _threshold, ...exit }) => exit);
  const dataKind = data.source === 'mnist' || data.source === 'fashion-mnist' ? data : { source: data.source };
  return host().sha256(canonicalJson({ ...rest, data: dataKind, exits: exitsWithoutThresholds }));
}
