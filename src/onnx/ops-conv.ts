/**
 * Convolution and pooling ops (NCHW, stride 1 / no padding convolutions, 2×2 max pooling) with their
 * reverse-mode rules, for the continual-learning CNN (method.md §3):
 *   conv2d:  y = Conv(x [N,C,H,W], w [M,C,k,k]) + b [M]            → [N, M, H−k+1, W−k+1]
 *            dx = ConvTranspose(dy, w)                              (the full correlation with w)
 *            dw = Conv(xᵀ [C,N,H,W], dyᵀ [M,N,h,w])ᵀ                (xᵀ, dyᵀ: batch and channel axes swapped)
 *            db = Σ_{n,h,w} dy
 *   maxPool2: y = MaxPool 2×2 stride 2; dx = MaxUnpool(dy, argmax indices) (non-overlapping windows).
 */
import { attr, type Value } from './graph.ts';
import { add, reduceSum } from './ops-math.ts';
import { reshapeRaw } from './ops-math.ts';

function swap01(x: Value): Value {
  const s = x.shape;
  return x.g.node('Transpose', [x], [{ dtype: x.dtype, shape: [s[1], s[0], ...s.slice(2)] }], { perm: attr.ints([1, 0, 2, 3]) })[0];
}

/** Stride-1, unpadded 2-D convolution with bias; w in ONNX layout [out, in, kh, kw]. */
export function conv2d(x: Value, w: Value, b: Value): Value {
  const g = x.g;
  const [N, C, H, W] = x.shape;
  const [M, Cw, kh, kw] = w.shape;
  if (C !== Cw) throw new Error(`conv2d: input has ${C} channels, weight expects ${Cw}`);
  const outShape = [N, M, H - kh + 1, W - kw + 1];
  const conv = (a: Value, k: Value, shape: number[]) =>
    g.node('Conv', [a, k], [{ dtype: 'float32', shape }], { kernel_shape: attr.ints([k.shape[2], k.shape[3]]) })[0];
  const z = g.untaped(() => conv(x, w, outShape));
  g.record([x, w], [z], ([dy], needs) => {
    if (!dy) return [null, null];
    return g.untaped(() => {
      const dx = needs[0]
        ? g.node('ConvTranspose', [dy, w], [{ dtype: 'float32', shape: x.shape }], { kernel_shape: attr.ints([kh, kw]) })[0]
        : null;
      const dw = needs[1] ? swap01(conv(swap01(x), swap01(dy), [C, M, kh, kw])) : null; // [M, C, kh, kw]
      return [dx, dw];
    });
  });
  return add(z, reshapeBias(b));
}

/** Bias / per-channel vector [C] → [1, C, 1, 1] (taped: its gradient sums back to [C]). */
export function reshapeBias(b: Value): Value {
  const g = b.g;
  const [y] = g.node('Reshape', [b, g.ints([1, b.shape[0], 1, 1])], [{ dtype: b.dtype, shape: [1, b.shape[0], 1, 1] }]);
  g.record([b], [y], ([dy]) => (dy ? [g.untaped(() => reshapeRaw(reduceSum(dy, [0, 2, 3]), b.shape))] : [null]));
  return y;
}

/** 2×2 max pooling, stride 2 (H, W even). */
export function maxPool2(x: Value): Value {
  const g = x.g;
  const [N, C, H, W] = x.shape;
  const shape = [N, C, H / 2, W / 2];
  const [y, idx] = g.node(
    'MaxPool',
    [x],
    [
      { dtype: 'float32', shape },
      { dtype: 'int64', shape },
    ],
    { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
  );
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    return g.untaped(() => [g.node('MaxUnpool', [dy, idx, g.ints(x.shape)], [{ dtype: 'float32', shape: x.shape }], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) })[0]]);
  });
  return y;
}
