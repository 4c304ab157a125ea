// Rule: an exit head that feeds a whole feature map into one dense layer. It costs many parameters, overfits
// the few samples that leave there, and is not what SDN's pooled heads do.
import type { Layer } from '../../modelfile/types';
import { insertSequenceItem } from '../edits';
import { exitCost } from './common';
import type { Finding, Rule, RuleContext } from '../types';

/** Most inputs a head's dense layer should read directly from a feature map. */
export const MAX_DENSE_INPUTS = 1024;

/** Layers that neither pool nor learn spatial filters: a head made only of these plus dense is "a dense layer". */
const PASS_THROUGH: ReadonlySet<Layer['type']> = new Set(['flatten', 'batchNorm', 'dropout', 'activation']);

/** Largest square size s <= the map with s*s*channels <= MAX_DENSE_INPUTS (at least 1). */
export function pooledSize(height: number, width: number, channels: number): number {
  const s = Math.floor(Math.sqrt(MAX_DENSE_INPUTS / channels));
  return Math.max(1, Math.min(height, width, s));
}

function check(ctx: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const exit of ctx.spec.exits) {
    const cost = exitCost(ctx, exit);
    const denseAt = exit.head.findIndex((l) => l.type === 'dense');
    if (!cost || denseAt < 0 || !exit.head.slice(0, denseAt).every((l) => PASS_THROUGH.has(l.type))) continue;
    const [h, w, c] = cost.inShape;
    if (cost.inShape.length !== 3 || h === undefined || w === undefined || c === undefined) continue;
    const inputs = h * w * c;
    if (h * w <= 1 || inputs <= MAX_DENSE_INPUTS) continue;
    const size = pooledSize(h, w, c);
    const headPath = [...exit.path, 'head'];
    const edit = ctx.locate(headPath) ? insertSequenceItem(ctx, headPath, 0, { type: 'mixedPool', size }) : undefined;
    findings.push({
      message:
        `Exit '${exit.name}' feeds a ${h}x${w}x${c} feature map (${inputs} inputs, over ${MAX_DENSE_INPUTS}) straight into ` +
        `a dense layer. Pool first (SDN heads: mixed max/avg pooling, then one linear layer).`,
      at: headPath,
      atKey: true,
      subjects: [exit.path],
      fixes: edit ? [{ title: `Insert a mixedPool layer (size ${size}) at the start of the head`, edits: [edit] }] : [],
    });
  }
  return findings;
}

export const denseHead: Rule = {
  id: 'exit-head-dense-on-large-map',
  severity: 'warning',
  title: 'Exit head is a dense layer over a large feature map',
  rationale:
    'A dense layer over a raw feature map has inputs x classes weights: at an early, wide map that is most of the ' +
    "head's cost and a large, poorly regularised surface trained by the few samples that leave there. SDN reduces the " +
    'map with mixed max/average pooling before a single linear layer.',
  source: {
    kind: 'paper',
    citation: 'Kaya et al., SDN, ICML 2019 (internal classifier = feature reduction by mixed max/avg pooling, then a linear layer).',
  },
  constants: { maxDenseInputs: MAX_DENSE_INPUTS },
  check,
};
