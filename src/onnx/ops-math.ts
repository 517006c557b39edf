/**
 * Element-wise and reduction ops with numpy broadcasting, each with its reverse-mode gradient rule.
 * Broadcast gradients are summed back to the input's shape (`sumTo`).
 */
import { attr, broadcastShapes, sameShape, Value, type DType, type Graph } from './graph.ts';

export type Operand = Value | number;

function asValue(g: Graph, x: Operand, dtype: DType): Value {
  return typeof x === 'number' ? g.scalar(x, dtype) : x;
}

function graphOf(a: Operand, b: Operand): Graph {
  if (typeof a !== 'number') return a.g;
  if (typeof b !== 'number') return b.g;
  throw new Error('an op needs at least one graph value');
}

/** Sums `dy` over broadcast axes so that it has `shape`. */
export function sumTo(dy: Value, shape: readonly number[]): Value {
  if (sameShape(dy.shape, shape)) return dy;
  const lead = dy.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < dy.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && dy.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? reduceSum(dy, axes, true) : dy;
  return sameShape(s.shape, shape) ? s : reshapeRaw(s, shape);
}

/** Reshape without a tape entry (used inside gradient rules and by ops-shape's reshape). */
export function reshapeRaw(x: Value, shape: readonly number[]): Value {
  return x.g.node('Reshape', [x, x.g.ints(shape)], [{ dtype: x.dtype, shape }])[0];
}

function binary(op: string, a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const dtype = typeof a !== 'number' ? a.dtype : (b as Value).dtype;
  const A = asValue(g, a, dtype);
  const B = asValue(g, b, dtype);
  const shape = broadcastShapes(A.shape, B.shape);
  const [y] = g.node(op, [A, B], [{ dtype, shape }]);
  g.record([A, B], [y], ([dy], needs) => {
    if (!dy) return [null, null];
    return g.untaped(() => {
      switch (op) {
        case 'Add':
          return [needs[0] ? sumTo(dy, A.shape) : null, needs[1] ? sumTo(dy, B.shape) : null];
        case 'Sub':
          return [needs[0] ? sumTo(dy, A.shape) : null, needs[1] ? sumTo(neg(dy), B.shape) : null];
        case 'Mul':
          return [needs[0] ? sumTo(mul(dy, B), A.shape) : null, needs[1] ? sumTo(mul(dy, A), B.shape) : null];
        case 'Div':
          // y = a / b: da = dy / b, db = −dy·y / b
          return [
            needs[0] ? sumTo(div(dy, B), A.shape) : null,
            needs[1] ? sumTo(neg(div(mul(dy, y), B)), B.shape) : null,
          ];
        default:
          throw new Error(`no gradient for ${op}`);
      }
    });
  });
  return y;
}

export const add = (a: Operand, b: Operand): Value => binary('Add', a, b);
export const sub = (a: Operand, b: Operand): Value => binary('Sub', a, b);
export const mul = (a: Operand, b: Operand): Value => binary('Mul', a, b);
export const div = (a: Operand, b: Operand): Value => binary('Div', a, b);

/** x^p for a constant exponent p; d/dx = p·x^(p−1). */
export function pow(x: Value, p: number): Value {
  const g = x.g;
  const [y] = g.node('Pow', [x, g.scalar(p)], [{ dtype: x.dtype, shape: x.shape }]);
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    return g.untaped(() => [mul(dy, p === 2 ? mul(x, 2) : mul(pow(x, p - 1), p))]);
  });
  return y;
}

type UnaryRule = (x: Value, y: Value, dy: Value) => Value;

function unary(op: string, x: Value, rule: UnaryRule | null, attrs = {}): Value {
  const g = x.g;
  const [y] = g.node(op, [x], [{ dtype: x.dtype, shape: x.shape }], attrs);
  if (rule) g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => rule(x, y, dy))] : [null]));
  return y;
}

export const neg = (x: Value): Value => unary('Neg', x, (_x, _y, dy) => neg(dy));
export const exp = (x: Value): Value => unary('Exp', x, (_x, y, dy) => mul(dy, y));
export const log = (x: Value): Value => unary('Log', x, (x, _y, dy) => div(dy, x));
export const sqrt = (x: Value): Value => unary('Sqrt', x, (_x, y, dy) => div(mul(dy, 0.5), y));
/** d tanh = 1 − tanh². */
export const tanh = (x: Value): Value => unary('Tanh', x, (_x, y, dy) => mul(dy, sub(1, mul(y, y))));
export const sigmoid = (x: Value): Value => unary('Sigmoid', x, (_x, y, dy) => mul(dy, mul(y, sub(1, y))));
export const relu = (x: Value): Value =>
  unary('Relu', x, (x, _y, dy) => mul(dy, cast(greater(x, 0), 'float32')));
/** LeakyRelu (ONNX, attribute alpha = slope); d/dx = 1 where x > 0, slope elsewhere. */
export const leakyRelu = (x: Value, slope: number): Value =>
  unary('LeakyRelu', x, (x, _y, dy) => mul(dy, where(greater(x, 0), 1, slope)), { alpha: attr.float(slope) });
export const abs = (x: Value): Value => unary('Abs', x, (x, _y, dy) => mul(dy, sign(x)));
export const sign = (x: Value): Value => unary('Sign', x, null);

export function cast(x: Value, to: DType): Value {
  const codes: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };
  return x.g.node('Cast', [x], [{ dtype: to, shape: x.shape }], { to: attr.int(codes[to]) })[0];
}

function compare(op: string, a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const dtype = typeof a !== 'number' ? a.dtype : (b as Value).dtype;
  const A = asValue(g, a, dtype);
  const B = asValue(g, b, dtype);
  return g.node(op, [A, B], [{ dtype: 'bool', shape: broadcastShapes(A.shape, B.shape) }])[0];
}
export const greater = (a: Operand, b: Operand): Value => compare('Greater', a, b);
export const less = (a: Operand, b: Operand): Value => compare('Less', a, b);

/** Element-wise min / max of two operands (no gradient: used for clipping factors). */
export function minimum(a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const A = asValue(g, a, 'float32');
  const B = asValue(g, b, 'float32');
  return g.node('Min', [A, B], [{ dtype: 'float32', shape: broadcastShapes(A.shape, B.shape) }])[0];
}

/** Element-wise max of two operands (no gradient: used for safe denominators). */
export function maximum(a: Operand, b: Operand): Value {
  const g = graphOf(a, b);
  const A = asValue(g, a, 'float32');
  const B = asValue(g, b, 'float32');
  return g.node('Max', [A, B], [{ dtype: 'float32', shape: broadcastShapes(A.shape, B.shape) }])[0];
}

/** where(cond, a, b); the gradient goes to a where cond holds, to b elsewhere. */
export function where(cond: Value, a: Operand, b: Operand): Value {
  const g = cond.g;
  const A = asValue(g, a, 'float32');
  const B = asValue(g, b, 'float32');
  const shape = broadcastShapes(cond.shape, broadcastShapes(A.shape, B.shape));
  const [y] = g.node('Where', [cond, A, B], [{ dtype: A.dtype, shape }]);
  g.record([A, B], [y], ([dy], needs) => {
    if (!dy) return [null, null];
    return g.untaped(() => [
      needs[0] ? sumTo(where(cond, dy, 0), A.shape) : null,
      needs[1] ? sumTo(where(cond, 0, dy), B.shape) : null,
    ]);
  });
  return y;
}

function normAxes(rank: number, axes: readonly number[]): number[] {
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

function reducedShape(shape: readonly number[], axes: number[], keep: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** Broadcasts a reduced gradient back over the reduced axes. */
function unreduce(dy: Value, xShape: readonly number[], axes: number[], keep: boolean): Value {
  const kept = keep ? dy : reshapeRaw(dy, reducedShape(xShape, axes, true));
  return expandRaw(kept, xShape);
}

export function expandRaw(x: Value, shape: readonly number[]): Value {
  if (sameShape(x.shape, shape)) return x;
  return x.g.node('Expand', [x, x.g.ints(shape)], [{ dtype: x.dtype, shape }])[0];
}

export function reduceSum(x: Value, axes: readonly number[], keepdims = false): Value {
  const g = x.g;
  const ax = normAxes(x.rank, axes);
  const shape = reducedShape(x.shape, ax, keepdims);
  const [y] = g.node('ReduceSum', [x, g.ints(ax)], [{ dtype: x.dtype, shape }], { keepdims: attr.int(keepdims ? 1 : 0) });
  g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => unreduce(dy, x.shape, ax, keepdims))] : [null]));
  return y;
}

export function reduceMean(x: Value, axes: readonly number[], keepdims = false): Value {
  const g = x.g;
  const ax = normAxes(x.rank, axes);
  const shape = reducedShape(x.shape, ax, keepdims);
  const count = ax.reduce((n, a) => n * x.shape[a], 1);
  const [y] = g.node('ReduceMean', [x], [{ dtype: x.dtype, shape }], {
    axes: attr.ints(ax),
    keepdims: attr.int(keepdims ? 1 : 0),
  });
  g.record([x], [y], ([dy]) =>
    dy ? [g.untaped(() => unreduce(mul(dy, 1 / count), x.shape, ax, keepdims))] : [null],
  );
  return y;
}

/** Σ x² over all elements (a scalar); gradient 2x·dy. */
export function sumSquares(x: Value): Value {
  const g = x.g;
  const [y] = g.node('ReduceSumSquare', [x], [{ dtype: x.dtype, shape: [] }], { keepdims: attr.int(0) });
  g.record([x], [y], ([dy]) => (dy ? [g.untaped(() => mul(x, mul(dy, 2)))] : [null]));
  return y;
}

/** Sum of several same-shape values (one Sum node). */
export function sumAll(xs: Value[]): Value {
  if (xs.length === 1) return xs[0];
  const g = xs[0].g;
  const shape = xs.reduce((s, x) => broadcastShapes(s, x.shape), [] as number[]);
  const [y] = g.node('Sum', xs, [{ dtype: xs[0].dtype, shape }]);
  g.record(xs, [y], ([dy]) => (dy ? g.untaped(() => xs.map((x) => sumTo(dy, x.shape))) : xs.map(() => null)));
  return y;
}
