/**
 * Neural-network ops with gradient rules: MatMul (and a @ wᵀ), embedding Gather (ScatterND-add gradient),
 * LayerNormalization (backward from its saved Mean / InvStdDev), Softmax, LogSoftmax, gelu_new, and a fused
 * softmax cross-entropy whose gradient is softmax − onehot (no dense one-hot, no dense zeros).
 */
import { attr, type Value } from './graph.ts';
import { add, mul, reduceMean, reduceSum, reshapeRaw, sub, sumTo, tanh, neg, exp } from './ops-math.ts';
import { transpose } from './ops-shape.ts';

/** Swaps the last two axes (no tape). */
function swapLast(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return x.g.untaped(() => transpose(x, perm));
}

function mm(a: Value, b: Value): Value {
  const batch = broadcastBatch(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]];
  if (a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`matmul ${JSON.stringify(a.shape)} @ ${JSON.stringify(b.shape)}: inner dims differ`);
  }
  return a.g.node('MatMul', [a, b], [{ dtype: a.dtype, shape }])[0];
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`matmul batch dims ${a} and ${b} do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Flattens all but the last axis: [..., K] → [P, K] (no tape). */
function flat2(x: Value): Value {
  return reshapeRaw(x, [x.size / x.shape[x.rank - 1], x.shape[x.rank - 1]]);
}

/** y = a @ b (numpy semantics, both rank ≥ 2). */
export function matmul(a: Value, b: Value): Value {
  const g = a.g;
  const y = mm(a, b);
  g.record([a, b], [y], ([dy], needs) => {
    if (!dy) return [null, null];
    return g.untaped(() => {
      // dA = dy @ bᵀ ; dB = aᵀ @ dy, each summed over broadcast batch axes.
      const da = needs[0] ? sumTo(mm(dy, swapLast(b)), a.shape) : null;
      let db: Value | null = null;
      if (needs[1]) {
        db = b.rank === 2 && a.rank > 2 ? mm(swapLast(flat2(a)), flat2(dy)) : sumTo(mm(swapLast(a), dy), b.shape);
      }
      return [da, db];
    });
  });
  return y;
}

/** y = a @ wᵀ for w [N, K] (the tied LM head); ORT fuses the transpose into the MatMul. */
export function matmulT(a: Value, w: Value): Value {
  const g = a.g;
  const y = g.untaped(() => mm(a, swapLast(w)));
  g.record([a, w], [y], ([dy], needs) => {
    if (!dy) return [null, null];
    return g.untaped(() => {
      const da = needs[0] ? sumTo(mm(dy, w), a.shape) : null; // [..., M, K]
      let dw: Value | null = null;
      if (needs[1]) dw = w.rank === 2 && a.rank > 2 ? mm(swapLast(flat2(dy)), flat2(a)) : sumTo(mm(swapLast(dy), a), w.shape);
      return [da, dw];
    });
  });
  return y;
}

/** Conv1D-style linear layer: x @ W + b with W [in, out] (HF GPT-2 layout). */
export function linear(x: Value, w: Value, b: Value): Value {
  return add(matmul(x, w), b);
}

/** Embedding lookup: table [V, C] gathered at int64 ids [...] → [..., C]; gradient is a ScatterND-add. */
export function embedding(table: Value, ids: Value): Value {
  const g = table.g;
  const shape = [...ids.shape, ...table.shape.slice(1)];
  const [y] = g.node('Gather', [table, ids], [{ dtype: table.dtype, shape }], { axis: attr.int(0) });
  g.record([table], [y], ([dy]) => {
    if (!dy) return [null];
    const indices = g.untaped(() => reshapeRaw(ids, [...ids.shape, 1]));
    return [{ kind: 'scatter', indices, updates: dy, shape: table.shape }];
  });
  return y;
}

/** LayerNormalization over the last axis (opset 17) with scale w and bias b of shape [C]. */
export function layerNorm(x: Value, w: Value, b: Value, eps: number): Value {
  const g = x.g;
  const stat = [...x.shape.slice(0, -1), 1];
  const [y, mean, invStd] = g.node(
    'LayerNormalization',
    [x, w, b],
    [
      { dtype: x.dtype, shape: x.shape },
      { dtype: x.dtype, shape: stat },
      { dtype: x.dtype, shape: stat },
    ],
    { axis: attr.int(-1), epsilon: attr.float(eps) },
  );
  g.record([x, w, b], [y], ([dy], needs) => {
    if (!dy) return [null, null, null];
    return g.untaped(() => {
      const xhat = mul(sub(x, mean), invStd); // [..., C]
      const dw = needs[1] ? sumTo(mul(dy, xhat), w.shape) : null;
      const db = needs[2] ? sumTo(dy, b.shape) : null;
      let dx: Value | null = null;
      if (needs[0]) {
        // dx = invStd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)), dx̂ = dy · w
        const dxhat = mul(dy, w);
        const m1 = reduceMean(dxhat, [-1], true);
        const m2 = reduceMean(mul(dxhat, xhat), [-1], true);
        dx = mul(sub(sub(dxhat, m1), mul(xhat, m2)), invStd);
      }
      return [dx, dw, db];
    });
  });
  return y;
}

/** Softmax over the last axis; dx = y · (dy − Σ dy·y). */
export function softmax(x: Value): Value {
  const g = x.g;
  const [y] = g.node('Softmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(-1) });
  g.record([x], [y], ([dy]) =>
    dy ? [g.untaped(() => mul(y, sub(dy, reduceSum(mul(dy, y), [-1], true))))] : [null],
  );
  return y;
}

/** LogSoftmax over the last axis; dx = dy − softmax · Σ dy. */
export function logSoftmax(x: Value): Value {
  const g = x.g;
  const [y] = g.node('LogSoftmax', [x], [{ dtype: x.dtype, shape: x.shape }], { axis: attr.int(-1) });
  g.record([x], [y], ([dy]) =>
    dy ? [g.untaped(() => sub(dy, mul(exp(y), reduceSum(dy, [-1], true))))] : [null],
  );
  return y;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/**
 * gelu_new (HF NewGELUActivation): 0.5·x·(1 + tanh(c·(x + a·x³))), c = √(2/π), a = 0.044715.
 * d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·c·(1 + 3a·x²), t = tanh(c·(x + a·x³)).
 */
export function geluNew(x: Value): Value {
  const g = x.g;
  const { y, t } = g.untaped(() => {
    const x3 = mul(mul(x, x), x);
    const t = tanh(mul(add(x, mul(x3, GELU_A)), GELU_C));
    return { y: mul(mul(x, 0.5), add(t, 1)), t };
  });
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    return g.untaped(() => {
      const left = mul(add(t, 1), 0.5);
      const inner = add(mul(mul(x, x), 3 * GELU_A * GELU_C), GELU_C); // c·(1 + 3a·x²)
      const right = mul(mul(mul(x, 0.5), sub(1, mul(t, t))), inner);
      return [mul(dy, add(left, right))];
    });
  });
  return y;
}

/** HF "gelu" (exact erf form) is not needed by GPT-2 checkpoints; relu / tanh-form gelu cover the rest. */

/**
 * Per-position cross-entropy: nll[...] = −log softmax(z)[..., label]. z [..., V] float, labels [...] int64.
 * Gradient: dz = (softmax(z) − onehot(label)) · dnll, built as a ScatterElements-add of −dnll at the labels.
 */
export function softmaxCrossEntropy(z: Value, labels: Value): Value {
  const g = z.g;
  const { nll, ls, idx } = g.untaped(() => {
    const ls = g.node('LogSoftmax', [z], [{ dtype: z.dtype, shape: z.shape }], { axis: attr.int(-1) })[0];
    const idx = reshapeRaw(labels, [...labels.shape, 1]);
    const picked = g.node('GatherElements', [ls, idx], [{ dtype: z.dtype, shape: idx.shape }], {
      axis: attr.int(-1),
    })[0];
    return { nll: neg(reshapeRaw(picked, labels.shape)), ls, idx };
  });
  g.record([z], [nll], ([dnll]) => {
    if (!dnll) return [null];
    return g.untaped(() => {
      const d = reshapeRaw(dnll, idx.shape); // [..., 1]
      const dz = mul(exp(ls), d); // [..., V]
      const out = g.node('ScatterElements', [dz, idx, neg(d)], [{ dtype: z.dtype, shape: z.shape }], {
        axis: attr.int(-1),
        reduction: attr.string('add'),
      })[0];
      return [out];
    });
  });
  return nll;
}

/** Index of the largest entry on the last axis (int64, no gradient). */
export function argmaxLast(x: Value): Value {
  return x.g.node('ArgMax', [x], [{ dtype: 'int64', shape: x.shape.slice(0, -1) }], {
    axis: attr.int(-1),
    keepdims: attr.int(0),
  })[0];
}

/**
 * Fused LM head + cross-entropy: nll[...] = −log softmax(h·Wᵀ)[..., label], h [..., C], W [V, C] (rank 2).
 * Backward with q = softmax − onehot (one ScatterElements-add of −1 into the probabilities) and the per-row
 * scale d = dnll applied to the small side: dh = d·(q·W), dW = qᵀ·(d·h), so that the big [N, V] operand is
 * never rescaled (one pass fewer over [N, V] than softmaxCrossEntropy followed by the head's MatMul rules).
 */
export function headCrossEntropy(h: Value, w: Value, labels: Value): Value {
  const g = h.g;
  if (w.rank !== 2) throw new Error('headCrossEntropy expects a rank-2 head weight');
  const V = w.shape[0];
  const C = w.shape[1];
  const lead = h.shape.slice(0, -1);
  const N = lead.reduce((a, b) => a * b, 1);
  const { nll, ls, idx } = g.untaped(() => {
    const logits = mm(h, swapLast(w)); // [..., V]
    const ls = g.node('LogSoftmax', [logits], [{ dtype: 'float32', shape: logits.shape }], { axis: attr.int(-1) })[0];
    const idx = reshapeRaw(labels, [...labels.shape, 1]);
    const picked = g.node('GatherElements', [ls, idx], [{ dtype: 'float32', shape: idx.shape }], { axis: attr.int(-1) })[0];
    return { nll: neg(reshapeRaw(picked, labels.shape)), ls, idx };
  });
  g.record([h, w], [nll], ([dnll], needs) => {
    if (!dnll) return [null, null];
    return g.untaped(() => {
      const d = reshapeRaw(dnll, idx.shape); // [..., 1]
      const minusOne = g.constant('float32', idx.shape, new Array(idx.size).fill(-1));
      const q = g.node('ScatterElements', [exp(ls), idx, minusOne], [{ dtype: 'float32', shape: ls.shape }], {
        axis: attr.int(-1),
        reduction: attr.string('add'),
      })[0]; // softmax − onehot, [..., V]
      const dh = needs[0] ? mul(mm(q, w), d) : null; // [..., C]
      let dw: Value | null = null;
      if (needs[1]) {
        const hd = reshapeRaw(mul(h, d), [N, C]);
        dw = mm(swapLast(reshapeRaw(q, [N, V])), hd); // [V, C] (ORT fuses the transpose: FusedMatMul transA)
      }
      return [dh, dw];
    });
  });
  return nll;
}
