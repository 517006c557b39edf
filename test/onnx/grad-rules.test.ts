/** Every gradient rule against central finite differences (see fd.ts for the method and tolerance). */
import { describe, expect, it } from 'vitest';
import { fdCheck, rng } from './fd.ts';
import * as M from '../../src/onnx/ops-math.ts';
import * as S from '../../src/onnx/ops-shape.ts';
import * as N from '../../src/onnx/ops-nn.ts';
import * as C from '../../src/onnx/ops-conv.ts';

const TOL = 2e-3;
const positive = (n: number, seed = 3) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => 0.5 + r());
};

describe('gradient rules vs finite differences', () => {
  const cases: [string, Parameters<typeof fdCheck>[0], Parameters<typeof fdCheck>[1]][] = [
    ['add broadcast', [{ shape: [2, 3, 4] }, { shape: [4] }], (_g, [a, b]) => M.add(a, b)],
    ['sub broadcast', [{ shape: [2, 3, 4] }, { shape: [3, 1] }], (_g, [a, b]) => M.sub(a, b)],
    ['mul broadcast', [{ shape: [2, 3, 4] }, { shape: [2, 1, 4] }], (_g, [a, b]) => M.mul(a, b)],
    ['div broadcast', [{ shape: [2, 3] }, { shape: [3], data: positive(3) }], (_g, [a, b]) => M.div(a, b)],
    ['pow 3', [{ shape: [5] }], (_g, [a]) => M.pow(a, 3)],
    ['tanh', [{ shape: [6] }], (_g, [a]) => M.tanh(a)],
    ['exp/log/sqrt', [{ shape: [6], data: positive(6) }], (_g, [a]) => M.add(M.exp(a), M.mul(M.log(a), M.sqrt(a)))],
    ['sigmoid', [{ shape: [6] }], (_g, [a]) => M.sigmoid(a)],
    ['leakyRelu 0.01 (both sides of 0)', [{ shape: [6], data: Float32Array.from([-1.3, -0.4, -0.05, 0.07, 0.6, 1.1]) }], (_g, [a]) => M.leakyRelu(a, 0.01)],
    ['reduceMean/Sum', [{ shape: [2, 3, 4] }], (_g, [a]) => M.add(M.reduceMean(a, [1], true), M.reduceSum(a, [0, 2], true))],
    ['sumSquares', [{ shape: [3, 4] }], (_g, [a]) => M.sumSquares(a)],
    ['matmul linear 3d @ 2d', [{ shape: [2, 3, 4] }, { shape: [4, 5] }, { shape: [5] }], (_g, [x, w, b]) => N.linear(x, w, b)],
    ['matmul batched', [{ shape: [2, 3, 3, 4] }, { shape: [2, 3, 4, 2] }], (_g, [a, b]) => N.matmul(a, b)],
    ['matmul broadcast batch', [{ shape: [2, 3, 4] }, { shape: [1, 4, 2] }], (_g, [a, b]) => N.matmul(a, b)],
    ['matmulT', [{ shape: [2, 3, 4] }, { shape: [5, 4] }], (_g, [a, w]) => N.matmulT(a, w)],
    ['reshape/transpose', [{ shape: [2, 3, 4] }], (_g, [a]) => S.transpose(S.reshape(a, [2, 3, 2, 2]), [0, 2, 3, 1])],
    ['split/concat', [{ shape: [2, 6] }], (_g, [a]) => {
      const [p, q, r] = S.split(a, [1, 2, 3], 1);
      return S.concat([M.mul(r, 2), p, M.mul(q, q)], 1);
    }],
    ['slice/pad', [{ shape: [3, 5] }], (_g, [a]) => S.pad(S.slice(a, [1], [1], [4]), [1, 0], [0, 2])],
    ['expand/unsqueeze/squeeze', [{ shape: [3] }], (_g, [a]) => S.squeeze(S.unsqueeze(S.expand(S.unsqueeze(a, 0), [4, 3]), 1), 1)],
    ['layerNorm', [{ shape: [2, 3, 8] }, { shape: [8] }, { shape: [8] }], (_g, [x, w, b]) => N.layerNorm(x, w, b, 1e-5)],
    ['softmax with causal mask', [{ shape: [2, 4, 4] }], (g, [a]) => {
      const mask = g.constant('float32', [4, 4], Array.from({ length: 16 }, (_, i) => (i % 4 > Math.floor(i / 4) ? -1e9 : 0)));
      return N.softmax(M.add(a, mask));
    }],
    ['logSoftmax', [{ shape: [3, 5] }], (_g, [a]) => N.logSoftmax(a)],
    ['gelu_new', [{ shape: [10] }], (_g, [a]) => N.geluNew(a)],
    ['where', [{ shape: [4] }, { shape: [4] }], (g, [a, b]) => M.where(g.constant('bool', [4], [1, 0, 0, 1]), a, b)],
    ['abs', [{ shape: [6], data: Float32Array.from([-2, -1, -0.5, 0.5, 1, 2]) }], (_g, [a]) => M.abs(a)],
    ['conv2d (x, w, b) 3×3', [{ shape: [2, 3, 6, 5] }, { shape: [4, 3, 3, 3] }, { shape: [4] }], (_g, [x, w, b]) => C.conv2d(x, w, b)],
    ['conv2d 1 input channel 5×5', [{ shape: [2, 1, 7, 7] }, { shape: [3, 1, 5, 5] }, { shape: [3] }], (_g, [x, w, b]) => C.conv2d(x, w, b)],
    ['maxPool2 (distinct values)', [{ shape: [2, 3, 4, 6], data: Float32Array.from({ length: 144 }, (_, i) => Math.sin(i * 12.9898) * 3) }], (_g, [x]) => C.maxPool2(x)],
  ];
  for (const [name, inputs, build] of cases) {
    it(name, async () => {
      const r = await fdCheck(inputs, build);
      expect(r.maxRelErr, `${name}: analytic ${r.analytic} numeric ${r.numeric}`).toBeLessThan(TOL);
    });
  }

  it('embedding gather (repeated ids) + tied head: ScatterND-add onto the dense head gradient', async () => {
    const r = await fdCheck([{ shape: [5, 3] }], (g, [table]) => {
      const ids = g.constant('int64', [2, 3], [1, 4, 1, 0, 1, 4]);
      const e = N.embedding(table, ids); // [2, 3, 3]
      return N.matmulT(M.tanh(e), table); // [2, 3, 5]
    });
    expect(r.maxRelErr).toBeLessThan(TOL);
  });

  it('embedding alone (scatter into zeros)', async () => {
    const r = await fdCheck([{ shape: [4, 2] }], (g, [table]) => N.embedding(table, g.constant('int64', [3], [3, 3, 0])));
    expect(r.maxRelErr).toBeLessThan(TOL);
  });

  it('softmax cross-entropy (fused softmax − onehot gradient)', async () => {
    const r = await fdCheck([{ shape: [2, 3, 7] }], (g, [z]) =>
      N.softmaxCrossEntropy(z, g.constant('int64', [2, 3], [0, 6, 3, 3, 1, 2])),
    );
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
});

describe('fused head cross-entropy', () => {
  it('gradients w.r.t. hidden states and the head weight match finite differences', async () => {
    const r = await fdCheck([{ shape: [2, 3, 4] }, { shape: [6, 4] }], (g, [h, w]) =>
      N.headCrossEntropy(h, w, g.constant('int64', [2, 3], [0, 5, 3, 3, 1, 2])),
    );
    expect(r.maxRelErr).toBeLessThan(TOL);
  });
});
