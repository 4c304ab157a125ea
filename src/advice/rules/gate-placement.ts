// Rule: a gate on a block that should always run: a downsampling block (its skip path is a projection, so
// skipping it still changes the features) or the first block (every later layer depends on its features).
import type { Fix, GateSpec, Layer, ResidualBlock } from '../../modelfile/types';
import { removeSequenceItem } from '../edits';
import { layerCost, samePath } from './common';
import type { Finding, Rule, RuleContext } from '../types';

function downsamples(layer: Layer): boolean {
  switch (layer.type) {
    case 'conv2d':
    case 'depthwiseConv2d':
    case 'maxPool':
    case 'avgPool':
      return layer.stride > 1;
    case 'residual':
      return layer.projection || layer.layers.some(downsamples);
    default:
      return false;
  }
}

/** Why the block is a downsampling block, or undefined when it keeps its shape. */
function downsamplingReason(ctx: RuleContext, block: ResidualBlock): string | undefined {
  const cost = layerCost(ctx, block);
  if (cost && cost.inShape.join('x') !== cost.outShape.join('x')) {
    return `it changes the shape from ${cost.inShape.join('x')} to ${cost.outShape.join('x')}`;
  }
  if (block.projection) return 'it has a projection on its skip path';
  if (block.layers.some(downsamples)) return 'its body has a stride > 1';
  return undefined;
}

function removeGateFix(ctx: RuleContext, gate: GateSpec, index: number): Fix[] {
  const edit = removeSequenceItem(ctx, gate.path.slice(0, -1), index, ctx.spec.gates.length);
  return edit ? [{ title: `Remove gate '${gate.name}'`, edits: [edit] }] : [];
}

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const findings: Finding[] = [];
  const firstBlock = spec.backbone.find((l): l is ResidualBlock => l.type === 'residual');
  for (const [index, gate] of spec.gates.entries()) {
    const block = spec.backbone.find((l): l is ResidualBlock => l.type === 'residual' && l.name === gate.block);
    if (!block) continue;
    const reasons: string[] = [];
    const down = downsamplingReason(ctx, block);
    if (down) reasons.push(`'${block.name}' is a downsampling block (${down}); SkipNet never gates those`);
    if (firstBlock && samePath(firstBlock.path, block.path)) {
      reasons.push(`'${block.name}' is the first residual block, whose features every later layer and exit reads`);
    }
    if (reasons.length === 0) continue;
    findings.push({
      message: `Gate '${gate.name}': ${reasons.join('; ')}. Skipping it buys little compute and makes every later decision depend on one gate an attacker can flip.`,
      at: [...gate.path, 'block'],
      subjects: [gate.path],
      fixes: removeGateFix(ctx, gate, index),
    });
  }
  return findings;
}

export const gatePlacement: Rule = {
  id: 'gate-placement',
  severity: 'warning',
  title: 'Gate on a downsampling block or on the first block',
  rationale:
    'A downsampling block cannot be skipped without a projection, so skipping it saves little and changes the feature ' +
    "scale the next blocks expect; the first block's features feed every later block and exit. Gate attacks (ILFO, " +
    'GradMDM) and hijacks both exploit gates whose decision changes everything downstream.',
  source: {
    kind: 'paper',
    citation:
      'Wang et al., SkipNet, ECCV 2018 (gates only on blocks whose input and output shapes match); Veit & Belongie, ' +
      'ConvNet-AIG, ECCV 2018 (downsampling layers always run); Haque et al., ILFO, CVPR 2020 (attacks on gates).',
  },
  constants: {},
  check,
};
