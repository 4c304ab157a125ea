// Words and numbers the editor shows for a model: lens titles and hover text. Pure functions of the analysis,
// no `vscode`, so every string the user sees is unit-tested in plain Node.
import type { CostReport, Diagnostic, ExitPolicy, ExitSpec, Layer, ModelSpec, Shape } from '../../modelfile/types';
import { layerTotals, type ExitNode, type GateNode, type LayerNode, type ModelNode } from './model-nodes';

const FLOP_UNITS: readonly [number, string][] = [
  [1e12, 'TFLOPs'],
  [1e9, 'GFLOPs'],
  [1e6, 'MFLOPs'],
  [1e3, 'kFLOPs'],
];

/** The unit a FLOP count reads best in, so figures compared side by side share one unit. */
export function flopUnit(flops: number): [number, string] {
  for (const [scale, unit] of FLOP_UNITS) if (Math.abs(flops) >= scale) return [scale, unit];
  return [1, 'FLOPs'];
}

/** "1.2 MFLOPs", "640 FLOPs". */
export function formatFlops(flops: number): string {
  const [scale, unit] = flopUnit(flops);
  return `${trimNumber(flops / scale)} ${unit}`;
}

/** "120k", "4.5k", "1.2M", "830". */
export function formatCount(n: number): string {
  if (Math.abs(n) >= 1e9) return `${trimNumber(n / 1e9)}G`;
  if (Math.abs(n) >= 1e6) return `${trimNumber(n / 1e6)}M`;
  if (Math.abs(n) >= 1e3) return `${trimNumber(n / 1e3)}k`;
  return String(n);
}

/** One decimal below 10, none above: 1.2, 12, 120. */
function trimNumber(x: number): string {
  const rounded = Math.abs(x) < 10 ? Math.round(x * 10) / 10 : Math.round(x);
  return String(rounded);
}

/** "23%"; shares that would round to 0 but are not 0 read "<1%". */
export function formatShare(share: number): string {
  const pct = Math.round(share * 100);
  if (pct === 0 && share > 0) return '<1%';
  return `${pct}%`;
}

/** Exact integers with thousands separators for hovers: "225,792". */
function exact(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatShape(shape: Shape): string {
  return shape.join(' × ');
}

/** "max-prob ≥ 0.90", "entropy ≤ 0.20", "patience 2". */
export function describeExitRule(policy: ExitPolicy, exit: Pick<ExitSpec, 'threshold'>): string {
  const threshold = exit.threshold ?? policy.threshold;
  switch (policy.kind) {
    case 'maxProb':
      return `max-prob ≥ ${threshold.toFixed(2)}`;
    case 'entropy':
      return `entropy ≤ ${threshold.toFixed(2)}`;
    case 'patience':
      return `patience ${policy.patience}`;
  }
}

/** "exit e1 · 23% of FLOPs · max-prob ≥ 0.90" (without the FLOPs part when shapes could not be inferred). */
export function exitLensTitle(spec: ModelSpec, node: ExitNode): string {
  const parts = [`exit ${node.name}`];
  if (node.cost) parts.push(`${formatShare(node.cost.share)} of FLOPs`);
  parts.push(describeExitRule(spec.policy, node.exit));
  return parts.join(' · ');
}

/** "gate g1 · skips 18% of FLOPs when closed · fires at ≥ 0.50". */
export function gateLensTitle(node: GateNode): string {
  const parts = [`gate ${node.name}`];
  if (node.cost) parts.push(`skips ${formatShare(node.cost.blockShare)} of FLOPs when closed`);
  parts.push(`fires at ≥ ${node.gate.threshold.toFixed(2)}`);
  return parts.join(' · ');
}

/** "1.2 MFLOPs full · best 0.3 · worst 1.3 · 120k params": best and worst in the unit of the full count. */
export function modelLensTitle(cost: CostReport): string {
  const [scale, unit] = flopUnit(cost.fullFlops);
  const inUnit = (f: number): string => trimNumber(f / scale);
  return [
    `${inUnit(cost.fullFlops)} ${unit} full`,
    `best ${inUnit(cost.bestCaseFlops)}`,
    `worst ${inUnit(cost.worstCaseFlops)}`,
    `${formatCount(cost.totalParams)} params`,
  ].join(' · ');
}

const LAYER_WHAT: Record<Layer['type'], string> = {
  conv2d: '2-D convolution',
  depthwiseConv2d: 'depthwise 2-D convolution',
  dense: 'fully connected layer',
  maxPool: 'max pooling',
  avgPool: 'average pooling',
  globalPool: 'global pooling over height and width',
  mixedPool: 'SDN mixed max/average pooling',
  batchNorm: 'batch normalisation',
  dropout: 'dropout (training only)',
  flatten: 'flatten to a feature vector',
  activation: 'element-wise activation',
  residual: 'residual block: activation(x + body(x))',
};

/** The settings of a layer that decide its shape and cost, e.g. "16 filters, 3×3, stride 1, same, relu". */
export function layerSettings(layer: Layer): string {
  switch (layer.type) {
    case 'conv2d':
      return `${layer.filters} filters, ${layer.kernel}×${layer.kernel}, stride ${layer.stride}, ${layer.padding}, ${layer.activation}`;
    case 'depthwiseConv2d':
      return `${layer.kernel}×${layer.kernel}, multiplier ${layer.depthMultiplier}, stride ${layer.stride}, ${layer.padding}, ${layer.activation}`;
    case 'dense':
      return `${layer.units} units, ${layer.activation}`;
    case 'maxPool':
    case 'avgPool':
      return `${layer.size}×${layer.size}, stride ${layer.stride}, ${layer.padding}`;
    case 'globalPool':
      return `mode ${layer.mode}`;
    case 'mixedPool':
      return `to at most ${layer.size}×${layer.size}`;
    case 'dropout':
      return `rate ${layer.rate}`;
    case 'activation':
      return layer.activation;
    case 'residual':
      return `${layer.layers.length} layer${layer.layers.length === 1 ? '' : 's'}, ${layer.projection ? '1×1 projection on the skip path' : 'identity skip'}, ${layer.activation}`;
    case 'batchNorm':
    case 'flatten':
      return '';
  }
}

function costLines(flops: number, params: number, fullFlops: number | undefined): string[] {
  const share = fullFlops ? ` (${formatShare(flops / fullFlops)} of the full network)` : '';
  return [`- Parameters: ${exact(params)}`, `- FLOPs: ${exact(flops)}${share}`];
}

function adviceLines(advice: readonly Diagnostic[]): string[] {
  if (advice.length === 0) return ['', 'No design advice applies.'];
  return ['', '**Advice**', '', ...advice.map((d) => `- \`${d.code}\` ${d.message}`)];
}

function describeLayer(node: LayerNode, cost: CostReport | undefined): string[] {
  const layer = node.layer;
  const settings = layerSettings(layer);
  const where = node.owner === 'backbone' ? '' : ` in the ${node.owner} head`;
  const lines = [`**${node.kind === 'block' ? 'Block' : 'Layer'} \`${node.name}\`** · \`${layer.type}\`${where}`, '', `${LAYER_WHAT[layer.type]}${settings ? `: ${settings}` : ''}`, ''];
  if (node.cost) lines.push(`- Input shape: ${formatShape(node.cost.inShape)}`, `- Output shape: ${formatShape(node.cost.outShape)}`);
  const totals = layerTotals(node);
  if (totals) lines.push(...costLines(totals.flops, totals.params, cost?.fullFlops));
  if (node.cost && node.owner === 'backbone' && cost && cost.fullFlops > 0) {
    lines.push(`- Cumulative FLOPs: ${exact(node.cost.cumulativeFlops)} (${formatShare(node.cost.cumulativeFlops / cost.fullFlops)} of the full network)`);
  }
  if (!node.cost && !totals) lines.push('_Shapes could not be inferred up to here; fix the errors above it to see its cost._');
  return lines;
}

function describeExit(spec: ModelSpec, node: ExitNode, cost: CostReport | undefined): string[] {
  const lines = [`**Exit \`${node.name}\`** · reads the output of \`${node.exit.after}\``, '', `Internal classifier: a sample leaves here when ${describeExitRule(spec.policy, node.exit)}.`, ''];
  if (node.cost) {
    lines.push(`- Reads shape: ${formatShape(node.cost.inShape)}`, `- Output shape: ${spec.classes} class logits`);
    const headShare = cost?.fullFlops ? ` (${formatShare(node.cost.headFlops / cost.fullFlops)} of the full network)` : '';
    lines.push(`- Head parameters: ${exact(node.cost.headParams)}`, `- Head FLOPs: ${exact(node.cost.headFlops)}${headShare}`);
    lines.push(`- FLOPs to leave here: ${exact(node.cost.flopsToExit)} (cumulative ${formatShare(node.cost.share)} of the full network)`);
  } else {
    lines.push('_Shapes could not be inferred up to this exit; fix the errors in the backbone to see its cost._');
  }
  return lines;
}

function describeGate(node: GateNode, cost: CostReport | undefined): string[] {
  const lines = [`**Gate \`${node.name}\`** · decides whether block \`${node.gate.block}\` runs`, '', `The block runs when the gate's probability is ≥ ${node.gate.threshold.toFixed(2)}; otherwise its input passes through unchanged.`, ''];
  if (node.cost) {
    lines.push('- Output shape: 1 firing probability');
    lines.push(`- Head FLOPs: ${exact(node.cost.headFlops)}`);
    lines.push(`- Block FLOPs saved when closed: ${exact(node.cost.blockFlops)} (${formatShare(node.cost.blockShare)} of the full network)`);
    if (cost && cost.fullFlops > 0) lines.push(`- Gate head share: ${formatShare(node.cost.headFlops / cost.fullFlops)} of the full network`);
  } else {
    lines.push('_Shapes could not be inferred up to this gate; fix the errors in the backbone to see its cost._');
  }
  return lines;
}

/** Markdown for a hover over `node`; exits and gates list the advice that names them. */
export function hoverMarkdown(spec: ModelSpec, cost: CostReport | undefined, node: ModelNode, advice: readonly Diagnostic[]): string {
  switch (node.kind) {
    case 'layer':
    case 'block':
      return describeLayer(node, cost).join('\n');
    case 'exit':
      return [...describeExit(spec, node, cost), ...adviceLines(advice)].join('\n');
    case 'gate':
      return [...describeGate(node, cost), ...adviceLines(advice)].join('\n');
  }
}

/** One-line detail for the outline, e.g. "conv2d · 28 × 28 × 16". */
export function symbolDetail(spec: ModelSpec, node: ModelNode): string {
  switch (node.kind) {
    case 'layer':
    case 'block':
      return node.cost ? `${node.layer.type} · ${formatShape(node.cost.outShape)}` : node.layer.type;
    case 'exit':
      return `after ${node.exit.after} · ${describeExitRule(spec.policy, node.exit)}`;
    case 'gate':
      return `on ${node.gate.block} · ≥ ${node.gate.threshold.toFixed(2)}`;
  }
}
