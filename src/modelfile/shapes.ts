// Shape inference and per-layer cost (parameters, FLOPs) for every layer type. FLOPs count a multiply-add as 2;
// element-wise non-linearities are not counted. docs/format.md ("Cost model") states every formula used here.
import type { Layer, ResidualBlock, Shape } from './types';

export type LayerOutcome =
  | { ok: true; out: Shape; params: number; flops: number }
  /** `field` names the key that causes the problem (its span is the best place to report it). */
  | { ok: false; reason: string; field?: string };

/** Called for every layer inference visits, nested residual bodies included (body layers before their block). */
export type LayerVisitor = (layer: Layer, inShape: Shape, outcome: LayerOutcome) => void;

export function formatShape(s: Shape): string {
  return s.join('x');
}

export function elements(s: Shape): number {
  return s.reduce((a, b) => a * b, 1);
}

/** "conv2d, kernel 5, padding valid": the settings that decide the layer's output shape. */
export function describeLayer(l: Layer): string {
  switch (l.type) {
    case 'conv2d':
      return `conv2d, kernel ${l.kernel}, stride ${l.stride}, padding ${l.padding}`;
    case 'depthwiseConv2d':
      return `depthwiseConv2d, kernel ${l.kernel}, stride ${l.stride}, padding ${l.padding}`;
    case 'maxPool':
    case 'avgPool':
      return `${l.type}, size ${l.size}, stride ${l.stride}, padding ${l.padding}`;
    case 'mixedPool':
      return `mixedPool, size ${l.size}`;
    case 'dense':
      return `dense, ${l.units} units`;
    default:
      return l.type;
  }
}

/** Output size of a sliding window along one axis, or undefined when the window does not fit. */
export function windowOut(size: number, window: number, stride: number, padding: 'same' | 'valid'): number | undefined {
  if (padding === 'same') return Math.ceil(size / stride);
  if (window > size) return undefined;
  return Math.floor((size - window) / stride) + 1;
}

function needMap(l: Layer, input: Shape): LayerOutcome | undefined {
  if (input.length === 3) return undefined;
  return {
    ok: false,
    reason: `${l.type} needs a height x width x channels feature map, but the input is a flat vector of ${input[0] ?? 0} features`,
  };
}

/** The window of a mixedPool that reduces an H x W map to about size x size (engine layers use the same rule). */
export function mixedPoolWindow(input: Shape, size: number): [number, number] {
  return [Math.ceil((input[0] ?? 1) / size), Math.ceil((input[1] ?? 1) / size)];
}

/** Window-based layers share the shape rule; `what` names the window for the message. */
function windowed(input: Shape, window: number, stride: number, padding: 'same' | 'valid', what: string, field: string):
  { ok: true; h: number; w: number } | { ok: false; reason: string; field: string } {
  const [h, w] = input as [number, number, number];
  const ho = windowOut(h, window, stride, padding);
  const wo = windowOut(w, window, stride, padding);
  if (ho === undefined || wo === undefined) {
    return { ok: false, reason: `the ${what} (${window}) is larger than the ${h}x${w} map`, field };
  }
  return { ok: true, h: ho, w: wo };
}

export function inferLayer(l: Layer, input: Shape, visit?: LayerVisitor): LayerOutcome {
  const outcome = inferOne(l, input, visit);
  visit?.(l, input, outcome);
  return outcome;
}

function inferOne(l: Layer, input: Shape, visit?: LayerVisitor): LayerOutcome {
  switch (l.type) {
    case 'conv2d': {
      const bad = needMap(l, input);
      if (bad) return bad;
      const c = input[2] ?? 0;
      const r = windowed(input, l.kernel, l.stride, l.padding, 'kernel', 'kernel');
      if (!r.ok) return r;
      const outs = r.h * r.w * l.filters;
      const params = l.kernel * l.kernel * c * l.filters + (l.useBias ? l.filters : 0);
      const flops = 2 * l.kernel * l.kernel * c * outs + (l.useBias ? outs : 0);
      return { ok: true, out: [r.h, r.w, l.filters], params, flops };
    }
    case 'depthwiseConv2d': {
      const bad = needMap(l, input);
      if (bad) return bad;
      const c = input[2] ?? 0;
      const r = windowed(input, l.kernel, l.stride, l.padding, 'kernel', 'kernel');
      if (!r.ok) return r;
      const co = c * l.depthMultiplier;
      const outs = r.h * r.w * co;
      const params = l.kernel * l.kernel * co + (l.useBias ? co : 0);
      const flops = 2 * l.kernel * l.kernel * outs + (l.useBias ? outs : 0);
      return { ok: true, out: [r.h, r.w, co], params, flops };
    }
    case 'dense': {
      if (input.length !== 1) {
        return {
          ok: false,
          reason: `dense needs a flat vector; add a 'flatten' or 'globalPool' layer before it`,
        };
      }
      const n = input[0] ?? 0;
      const params = n * l.units + (l.useBias ? l.units : 0);
      const flops = 2 * n * l.units + (l.useBias ? l.units : 0);
      return { ok: true, out: [l.units], params, flops };
    }
    case 'maxPool':
    case 'avgPool': {
      const bad = needMap(l, input);
      if (bad) return bad;
      const r = windowed(input, l.size, l.stride, l.padding, 'pooling window', 'size');
      if (!r.ok) return r;
      const c = input[2] ?? 0;
      return { ok: true, out: [r.h, r.w, c], params: 0, flops: l.size * l.size * r.h * r.w * c };
    }
    case 'globalPool': {
      const bad = needMap(l, input);
      if (bad) return bad;
      const [h, w, c] = input as [number, number, number];
      const mixed = l.mode === 'mixed';
      return { ok: true, out: [c], params: mixed ? 1 : 0, flops: mixed ? 2 * h * w * c + 3 * c : h * w * c };
    }
    case 'mixedPool': {
      const bad = needMap(l, input);
      if (bad) return bad;
      const [h, w, c] = input as [number, number, number];
      const [ph, pw] = mixedPoolWindow(input, l.size);
      const ho = Math.ceil(h / ph);
      const wo = Math.ceil(w / pw);
      return { ok: true, out: [ho, wo, c], params: 1, flops: 2 * ph * pw * ho * wo * c + 3 * ho * wo * c };
    }
    case 'batchNorm': {
      const c = input[input.length - 1] ?? 0;
      return { ok: true, out: [...input], params: 4 * c, flops: 2 * elements(input) };
    }
    case 'dropout':
    case 'activation':
      return { ok: true, out: [...input], params: 0, flops: 0 };
    case 'flatten':
      return { ok: true, out: [elements(input)], params: 0, flops: 0 };
    case 'residual':
      return inferResidual(l, input, visit);
  }
}

export interface ResidualDetail {
  bodyOut: Shape;
  /** Parameters and FLOPs of the 1x1 projection on the skip path (0 when shapes match). */
  projectionParams: number;
  projectionFlops: number;
}

/** Runs a list of layers in order; stops at the first failure and reports which layer failed. */
export function inferSequence(layers: readonly Layer[], input: Shape, visit?: LayerVisitor):
  { ok: true; out: Shape; params: number; flops: number } | { ok: false; failedAt: number; inShape: Shape; reason: string; field?: string } {
  let shape = input;
  let params = 0;
  let flops = 0;
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i] as Layer;
    const r = inferLayer(l, shape, visit);
    if (!r.ok) {
      const failed: { ok: false; failedAt: number; inShape: Shape; reason: string; field?: string } = { ok: false, failedAt: i, inShape: shape, reason: r.reason };
      if (r.field !== undefined) failed.field = r.field;
      return failed;
    }
    shape = r.out;
    params += r.params;
    flops += r.flops;
  }
  return { ok: true, out: shape, params, flops };
}

export function residualDetail(input: Shape, bodyOut: Shape): ResidualDetail | { reason: string } {
  if (sameShape(input, bodyOut)) return { bodyOut, projectionParams: 0, projectionFlops: 0 };
  if (input.length !== 3 || bodyOut.length !== 3) {
    return { reason: `the projection (a 1x1 convolution) needs feature maps on both sides, got ${formatShape(input)} -> ${formatShape(bodyOut)}` };
  }
  const [h, w, c] = input as [number, number, number];
  const [ho, wo, co] = bodyOut as [number, number, number];
  const stride = Math.max(1, Math.round(h / ho));
  if (Math.ceil(h / stride) !== ho || Math.ceil(w / stride) !== wo) {
    return { reason: `no 1x1 projection stride maps ${h}x${w} to ${ho}x${wo}` };
  }
  const outs = ho * wo * co;
  return { bodyOut, projectionParams: c * co + co, projectionFlops: 2 * c * outs + outs };
}

function inferResidual(l: ResidualBlock, input: Shape, visit?: LayerVisitor): LayerOutcome {
  const body = inferSequence(l.layers, input, visit);
  if (!body.ok) {
    const inner = l.layers[body.failedAt];
    return { ok: false, reason: `its body fails at layer '${inner?.name ?? body.failedAt}': ${body.reason}` };
  }
  if (!sameShape(input, body.out) && !l.projection) {
    return {
      ok: false,
      reason: `its body turns ${formatShape(input)} into ${formatShape(body.out)}, so x + body(x) cannot be added; keep the shape or set 'projection: true'`,
      field: 'projection',
    };
  }
  const d = residualDetail(input, body.out);
  if ('reason' in d) return { ok: false, reason: d.reason, field: 'projection' };
  const add = elements(body.out);
  return { ok: true, out: body.out, params: body.params + d.projectionParams, flops: body.flops + d.projectionFlops + add };
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
