// Cost model: parameters and FLOPs per layer, per exit and per gate, and the best/worst dynamic paths.
// Formulas: shapes.ts and docs/format.md ("Cost model").
import { inferLayer, inferSequence, type LayerOutcome } from './shapes';
import type { CostReport, ExitCost, GateCost, Layer, LayerCost, ModelSpec, NodePath, Shape } from './types';

/** A shape that does not fit, with the model node it concerns (so the diagnostic points at it). */
export class CostError extends Error {
  constructor(message: string, readonly path: NodePath) {
    super(message);
  }
}

interface HeadCost {
  flops: number;
  params: number;
}

/**
 * Computes the cost report of a spec whose shapes infer (an Analysis with `cost` set guarantees it). Throws
 * CostError naming the layer when a shape does not fit; analyzeText reports that as a diagnostic instead.
 */
export function computeCost(spec: ModelSpec): CostReport {
  const layers: LayerCost[] = [];
  const byLayer = new Map<Layer, LayerCost>();
  const topIndex = new Map<string, number>();
  const topOut: Shape[] = [];
  const topCum: number[] = [];
  let shape = spec.input.shape;
  let cum = 0;
  let totalParams = 0;

  spec.backbone.forEach((top, i) => {
    const before = cum;
    let running = 0;
    const outcome = inferLayer(top, shape, (l, inShape, r) => {
      const ok = okOrThrow(l, inShape, r);
      let own = ok.flops;
      if (l.type === 'residual') own -= l.layers.reduce((s, b) => s + (byLayer.get(b)?.flops ?? 0), 0);
      running += own;
      const entry: LayerCost = {
        name: l.name, type: l.type, path: l.path, inShape, outShape: ok.out, params: ok.params, flops: ok.flops,
        cumulativeFlops: l === top ? before + ok.flops : before + running,
      };
      byLayer.set(l, entry);
      layers.push(entry);
    });
    const ok = okOrThrow(top, shape, outcome);
    totalParams += ok.params;
    cum += ok.flops;
    shape = ok.out;
    topIndex.set(top.name, i);
    topOut.push(shape);
    topCum.push(cum);
  });
  const staticFlops = cum;

  const headCost = (head: Layer[], inShape: Shape, owner: NodePath): HeadCost => {
    const r = inferSequence(head, inShape, (l, s, o) => {
      const ok = okOrThrow(l, s, o);
      layers.push({ name: l.name, type: l.type, path: l.path, inShape: s, outShape: ok.out, params: ok.params, flops: ok.flops, cumulativeFlops: 0 });
    });
    if (!r.ok) throw new CostError(`head layer '${head[r.failedAt]?.name ?? r.failedAt}' cannot take a ${r.inShape.join('x')} input: ${r.reason}`, head[r.failedAt]?.path ?? owner);
    return { flops: r.flops, params: r.params };
  };

  const exitInfo = spec.exits.map((e, order) => {
    const at = topIndex.get(e.after);
    if (at === undefined) throw new CostError(`exit '${e.name}' reads from '${e.after}', which is not a top-level backbone layer`, [...e.path, 'after']);
    const inShape = topOut[at] as Shape;
    const hc = headCost(e.head, inShape, e.path);
    totalParams += hc.params;
    return { exit: e, at, order, inShape, head: hc };
  });

  const gateInfo = spec.gates.map((g) => {
    const at = topIndex.get(g.block);
    if (at === undefined) throw new CostError(`gate '${g.name}' names '${g.block}', which is not a top-level block`, [...g.path, 'block']);
    const inShape = at === 0 ? spec.input.shape : (topOut[at - 1] as Shape);
    const hc = headCost(g.head, inShape, g.path);
    totalParams += hc.params;
    const blockFlops = (topCum[at] ?? 0) - (at === 0 ? 0 : (topCum[at - 1] ?? 0));
    return { gate: g, at, head: hc, blockFlops };
  });

  const fullFlops = staticFlops + exitInfo.reduce((s, x) => s + x.head.flops, 0) + gateInfo.reduce((s, x) => s + x.head.flops, 0);
  const ranBefore = (x: { at: number; order: number }, y: { at: number; order: number }): boolean => y.at < x.at || (y.at === x.at && y.order < x.order);

  const exits: ExitCost[] = exitInfo.map((x) => {
    const earlierHeads = exitInfo.filter((y) => y !== x && ranBefore(x, y)).reduce((s, y) => s + y.head.flops, 0);
    const gateHeads = gateInfo.filter((g) => g.at <= x.at).reduce((s, g) => s + g.head.flops, 0);
    const flopsToExit = (topCum[x.at] ?? 0) + x.head.flops + earlierHeads + gateHeads;
    return { name: x.exit.name, flopsToExit, share: share(flopsToExit, fullFlops), headFlops: x.head.flops, headParams: x.head.params, inShape: x.inShape };
  });
  // The final classifier is the last backbone layer; a sample reaching it has run everything.
  const last = spec.backbone[spec.backbone.length - 1];
  const lastCost = last ? byLayer.get(last) : undefined;
  exits.push({
    name: 'final', flopsToExit: fullFlops, share: 1, headFlops: lastCost?.flops ?? 0, headParams: lastCost?.params ?? 0,
    inShape: lastCost?.inShape ?? [],
  });

  const gates: GateCost[] = gateInfo.map((g) => ({
    name: g.gate.name, block: g.gate.block, headFlops: g.head.flops, blockFlops: g.blockFlops, blockShare: share(g.blockFlops, staticFlops),
  }));

  const first = [...exitInfo].sort((a, b) => a.at - b.at || a.order - b.order)[0];
  const upTo = first ? first.at : spec.backbone.length - 1;
  const gatesBefore = gateInfo.filter((g) => g.at <= upTo);
  const bestCaseFlops = (topCum[upTo] ?? 0) - gatesBefore.reduce((s, g) => s + g.blockFlops, 0)
    + gatesBefore.reduce((s, g) => s + g.head.flops, 0) + (first ? first.head.flops : 0);

  return { layers, exits, gates, totalParams, fullFlops, staticFlops, bestCaseFlops, worstCaseFlops: fullFlops };
}

function okOrThrow(l: Layer, inShape: Shape, r: LayerOutcome): { out: Shape; params: number; flops: number } {
  if (!r.ok) throw new CostError(`layer '${l.name}' cannot take a ${inShape.join('x')} input: ${r.reason}`, l.path);
  return r;
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
