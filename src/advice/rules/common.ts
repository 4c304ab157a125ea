// Small lookups shared by the rules.
import type { ExitCost, ExitSpec, Layer, LayerCost, NodePath } from '../../modelfile/types';
import type { RuleContext } from '../types';

export function samePath(a: NodePath, b: NodePath): boolean {
  return a.length === b.length && a.every((part, i) => part === b[i]);
}

export function exitCost(ctx: RuleContext, exit: ExitSpec): ExitCost | undefined {
  return ctx.cost?.exits.find((e) => e.name === exit.name);
}

export function layerCost(ctx: RuleContext, layer: Layer): LayerCost | undefined {
  return ctx.cost?.layers.find((l) => samePath(l.path, layer.path)) ?? ctx.cost?.layers.find((l) => l.name === layer.name);
}

export function percent(share: number): string {
  const p = share * 100;
  return `${p < 10 ? p.toFixed(1) : p.toFixed(0)}%`;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The threshold as the user wrote it (or inherited it), for messages. */
export function describeThreshold(ctx: RuleContext, exit: ExitSpec): string {
  return exit.threshold === undefined ? `${ctx.spec.policy.threshold} (from policy)` : String(exit.threshold);
}

/** Where to underline an exit as a whole: its name when written, else its `after`. */
export function exitAnchor(ctx: RuleContext, exit: ExitSpec): NodePath {
  return ctx.locate([...exit.path, 'name']) ? [...exit.path, 'name'] : [...exit.path, 'after'];
}

export function quoteList(names: readonly string[]): string {
  return names.map((n) => `'${n}'`).join(', ');
}
