/** Shape ops (static shapes) with gradient rules: reshape, transpose, split, slice, concat, (un)squeeze, expand, pad. */
import { attr, type Value } from './graph.ts';
import { expandRaw, reshapeRaw, sumTo } from './ops-math.ts';

export function reshape(x: Value, shape: readonly number[]): Value {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== x.size) throw new Error(`reshape ${JSON.stringify(x.shape)} → ${JSON.stringify(shape)}: sizes differ`);
  const g = x.g;
  const y = reshapeRaw(x, shape);
  g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => reshapeRaw(dy, x.shape))] : [null]));
  return y;
}

export function transpose(x: Value, perm: readonly number[]): Value {
  const g = x.g;
  const shape = perm.map((p) => x.shape[p]);
  const [y] = g.node('Transpose', [x], [{ dtype: x.dtype, shape }], { perm: attr.ints([...perm]) });
  const inv = perm.map((_, i) => perm.indexOf(i));
  g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => transpose(dy, inv))] : [null]));
  return y;
}

function norm(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

/** Splits `x` along `axis` into pieces of the given sizes. */
export function split(x: Value, sizes: readonly number[], axis: number): Value[] {
  const g = x.g;
  const ax = norm(axis, x.rank);
  if (sizes.reduce((a, b) => a + b, 0) !== x.shape[ax]) throw new Error('split sizes do not cover the axis');
  const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === ax ? s : d)) }));
  const ys = g.node('Split', [x, g.ints(sizes)], outs, { axis: attr.int(ax) });
  g.record([x], ys, (dys) =>
    dys.every((d) => !d)
      ? [null]
      : [g.untaped(() => concat(dys.map((d, i) => d ?? zerosLike(ys[i])), ax))],
  );
  return ys;
}

/** Slice with unit steps on the given axes: x[..., start:end, ...]. The gradient pads with zeros. */
export function slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[]): Value {
  const g = x.g;
  const ax = axes.map((a) => norm(a, x.rank));
  const shape = [...x.shape];
  ax.forEach((a, i) => (shape[a] = ends[i] - starts[i]));
  const [y] = g.node('Slice', [x, g.ints(starts), g.ints(ends), g.ints(ax)], [{ dtype: x.dtype, shape }]);
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    const before = new Array(x.rank).fill(0);
    const after = new Array(x.rank).fill(0);
    ax.forEach((a, i) => {
      before[a] = starts[i];
      after[a] = x.shape[a] - ends[i];
    });
    return [g.untaped(() => pad(dy, before, after))];
  });
  return y;
}

/** Zero padding; the gradient slices the padding away. */
export function pad(x: Value, before: readonly number[], after: readonly number[]): Value {
  const g = x.g;
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  const [y] = g.node('Pad', [x, g.ints([...before, ...after])], [{ dtype: x.dtype, shape }]);
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    const axes = x.shape.map((_, i) => i);
    return [g.untaped(() => slice(dy, axes, before, x.shape.map((d, i) => before[i] + d)))];
  });
  return y;
}

export function concat(xs: Value[], axis: number): Value {
  const g = xs[0].g;
  const ax = norm(axis, xs[0].rank);
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((n, x) => n + x.shape[ax], 0);
  const [y] = g.node('Concat', xs, [{ dtype: xs[0].dtype, shape }], { axis: attr.int(ax) });
  g.record(xs, [y], ([dy]) => {
    if (!dy) return xs.map(() => null);
    return g.untaped(() => {
      let off = 0;
      return xs.map((x) => {
        const s = slice(dy, [ax], [off], [off + x.shape[ax]]);
        off += x.shape[ax];
        return s;
      });
    });
  });
  return y;
}

export function unsqueeze(x: Value, axis: number): Value {
  const shape = [...x.shape];
  shape.splice(axis < 0 ? axis + x.rank + 1 : axis, 0, 1);
  return reshape(x, shape);
}

export function squeeze(x: Value, axis: number): Value {
  const ax = norm(axis, x.rank);
  if (x.shape[ax] !== 1) throw new Error(`squeeze axis ${axis} of ${JSON.stringify(x.shape)} is not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== ax));
}

/** Broadcast to `shape`; the gradient sums back. */
export function expand(x: Value, shape: readonly number[]): Value {
  const g = x.g;
  const y = expandRaw(x, shape);
  if (y !== x) g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => sumTo(dy, x.shape))] : [null]));
  return y;
}

/** A float32 zero tensor shaped like `v` (ConstantOfShape; avoid for large tensors on hot paths). */
export function zerosLike(v: Value): Value {
  return zeros(v.g, v.shape);
}

export function zeros(g: Value['g'], shape: readonly number[]): Value {
  return g.node('ConstantOfShape', [g.ints(shape)], [{ dtype: 'float32', shape }], {
    value: { kind: 'tensor', value: { name: 'value', dtype: 'float32', dims: [1], data: new Float32Array([0]) } },
  })[0];
}
