// The model's named parts (layers, blocks, exits, gates) with their source spans and costs, as one tree.
// Pure data: no `vscode` here, so outline, hover and lenses share it and it is unit-tested in plain Node.
import type {
  Analysis,
  ExitCost,
  ExitSpec,
  GateCost,
  GateSpec,
  Layer,
  LayerCost,
  NodePath,
  Span,
} from '../../modelfile/types';

export type ModelNodeKind = 'layer' | 'block' | 'exit' | 'gate';

interface NodeBase {
  name: string;
  path: NodePath;
  /** The whole node in the source (key and value when it has a key). */
  span: Span;
  /** The part to select or put a lens over: the `name` value when present, else the start of the node. */
  nameSpan: Span;
  children: ModelNode[];
}

export interface LayerNode extends NodeBase {
  kind: 'layer' | 'block';
  layer: Layer;
  /** Where the layer sits: the backbone, an exit head or a gate head. */
  owner: 'backbone' | 'exit' | 'gate';
  cost?: LayerCost;
}

export interface ExitNode extends NodeBase {
  kind: 'exit';
  exit: ExitSpec;
  cost?: ExitCost;
}

export interface GateNode extends NodeBase {
  kind: 'gate';
  gate: GateSpec;
  cost?: GateCost;
}

export type ModelNode = LayerNode | ExitNode | GateNode;

/** A stable key for a path, used to join spec nodes with their cost entries. */
export function pathKey(path: NodePath): string {
  return JSON.stringify(path);
}

/** Source span of a node (key through value), or undefined when the path is not in the file. */
function nodeSpans(analysis: Analysis, path: NodePath): { span: Span; nameSpan: Span } | undefined {
  const where = analysis.locate(path);
  if (!where) return undefined;
  const start = where.key ? Math.min(where.key.start, where.value.start) : where.value.start;
  const span = { start, end: where.value.end };
  const name = analysis.locate([...path, 'name']);
  const nameSpan = name ? name.value : { start, end: start };
  return { span, nameSpan };
}

/**
 * The model's parts in source order: backbone layers (residual blocks with their body as children), then exits
 * (head layers as children), then gates (head layers as children). Nodes absent from the file (defaults the
 * parser filled in, such as a default exit head) are left out, since there is nothing in the editor to point at.
 */
export function modelNodes(analysis: Analysis): ModelNode[] {
  const spec = analysis.spec;
  if (!spec) return [];
  const layerCosts = new Map<string, LayerCost>();
  for (const c of analysis.cost?.layers ?? []) layerCosts.set(pathKey(c.path), c);

  const layerNodes = (layers: readonly Layer[], owner: LayerNode['owner']): ModelNode[] => {
    const out: ModelNode[] = [];
    for (const layer of layers) {
      const spans = nodeSpans(analysis, layer.path);
      if (!spans) continue;
      const children = layer.type === 'residual' ? layerNodes(layer.layers, owner) : [];
      const node: LayerNode = {
        kind: layer.type === 'residual' ? 'block' : 'layer',
        name: layer.name,
        path: layer.path,
        ...spans,
        children,
        layer,
        owner,
      };
      const cost = layerCosts.get(pathKey(layer.path));
      if (cost) node.cost = cost;
      out.push(node);
    }
    return out;
  };

  const nodes: ModelNode[] = layerNodes(spec.backbone, 'backbone');
  for (const exit of spec.exits) {
    const spans = nodeSpans(analysis, exit.path);
    if (!spans) continue;
    const node: ExitNode = { kind: 'exit', name: exit.name, path: exit.path, ...spans, children: layerNodes(exit.head, 'exit'), exit };
    const cost = analysis.cost?.exits.find((c) => c.name === exit.name);
    if (cost) node.cost = cost;
    nodes.push(node);
  }
  for (const gate of spec.gates) {
    const spans = nodeSpans(analysis, gate.path);
    if (!spans) continue;
    const node: GateNode = { kind: 'gate', name: gate.name, path: gate.path, ...spans, children: layerNodes(gate.head, 'gate'), gate };
    const cost = analysis.cost?.gates.find((c) => c.name === gate.name);
    if (cost) node.cost = cost;
    nodes.push(node);
  }
  return nodes;
}

/** The innermost node whose span contains `offset` (end inclusive, so a cursor just after a value still counts). */
export function nodeAt(nodes: readonly ModelNode[], offset: number): ModelNode | undefined {
  for (const node of nodes) {
    if (offset >= node.span.start && offset <= node.span.end) {
      return nodeAt(node.children, offset) ?? node;
    }
  }
  return undefined;
}

/** Every node of the tree, depth first. */
export function allNodes(nodes: readonly ModelNode[]): ModelNode[] {
  return nodes.flatMap((n) => [n, ...allNodes(n.children)]);
}

/** FLOPs and parameters of a layer or block; a block without its own cost entry sums its body. */
export function layerTotals(node: LayerNode): { flops: number; params: number } | undefined {
  if (node.cost) return { flops: node.cost.flops, params: node.cost.params };
  if (node.kind !== 'block' || node.children.length === 0) return undefined;
  let flops = 0;
  let params = 0;
  for (const child of node.children) {
    if (child.kind !== 'layer' && child.kind !== 'block') return undefined;
    const t = layerTotals(child);
    if (!t) return undefined;
    flops += t.flops;
    params += t.params;
  }
  return { flops, params };
}
