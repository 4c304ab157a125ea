// Removing an exit also removes its loss weight, so train.exitWeights keeps one weight per exit plus the final.
import type { TextEdit } from '../../modelfile/types';
import { removeSequenceItem } from '../edits';
import type { RuleContext } from '../types';

export function removeExitEdits(ctx: RuleContext, index: number): TextEdit[] | undefined {
  const { spec } = ctx;
  const exitsPath = spec.exits[index]?.path.slice(0, -1);
  if (!exitsPath) return undefined;
  const edit = removeSequenceItem(ctx, exitsPath, index, spec.exits.length);
  if (!edit) return undefined;
  const edits = [edit];
  const weights = spec.train.exitWeights;
  const weightsPath = [...spec.train.path, 'exitWeights'];
  if (weights && ctx.locate(weightsPath)) {
    const weightEdit = removeSequenceItem(ctx, weightsPath, index, weights.length);
    if (!weightEdit) return undefined;
    edits.push(weightEdit);
  }
  return edits;
}
