/**
 * Kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks but training needs (tfjs-notes.md §4), registered
 * for 'wasm' and computed by composing kernels wasm does have (so the data never leaves the wasm heap):
 *
 * - UnsortedSegmentSum: the gradient of tf.gather (embedding lookups). Computed as tf.scatterND, which
 *   sums duplicate indices. Segment ids outside [0, numSegments) are dropped, as in TensorFlow.
 * - Conv2DBackpropFilter: the weight gradient of every convolution. Computed as im2col + one rank-2
 *   matmul (the fast XNNPACK path): dW[kh,kw,ci,co] = Σ_{n,oh,ow} xpad[n, oh·sh+kh, ow·sw+kw, ci] · dy[n,oh,ow,co].
 *
 * - MaxPoolGrad: wasm has one, but it is wrong for more than one channel (measured: only channel 0 receives
 *   gradient), so it is replaced. Computed on the host (the pooled tensors of a small CNN are small):
 *   each output's gradient goes to the first maximum of its window, in row-major window order, as the cpu
 *   backend does.
 *
 * A kernel function may run tf ops and return a tf.Tensor (the engine adopts it as the output; the tape is
 * off inside kernels). Each patch is tested against the cpu backend in test/backends/.
 */
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;

/** Views a kernel input as a tf.Tensor (inputs from ops already are; raw TensorInfos get a new handle). */
function asTensor(info: Info): { t: tf.Tensor; owned: boolean } {
  if (info instanceof tf.Tensor) return { t: info, owned: false };
  return { t: tf.engine().makeTensorFromDataId(info.dataId, info.shape, info.dtype), owned: true };
}

function withTensors<T>(infos: Info[], f: (...ts: tf.Tensor[]) => T): T {
  const wrapped = infos.map(asTensor);
  try {
    return f(...wrapped.map((w) => w.t));
  } finally {
    for (const w of wrapped) if (w.owned) w.t.dispose();
  }
}

/** out[s, ...] = Σ_{i: ids[i] = s} x[i, ...]; segmentIds.shape is a prefix of x.shape. */
export function unsortedSegmentSumViaScatter(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  return tf.tidy(() => {
    const k = segmentIds.rank;
    const n = segmentIds.size;
    const rest = x.shape.slice(k);
    const ids = tf.reshape(tf.cast(segmentIds, 'int32'), [n]); // [n]
    const valid = tf.logicalAnd(tf.greaterEqual(ids, 0), tf.less(ids, numSegments)); // [n]
    const safeIds = tf.where(valid, ids, tf.zerosLike(ids)); // [n]
    let upd = tf.reshape(x, [n, ...rest]); // [n, ...rest]
    const mask = tf.reshape(tf.cast(valid, upd.dtype), [n, ...rest.map(() => 1)]);
    upd = tf.mul(upd, mask);
    return tf.scatterND(tf.reshape(safeIds, [n, 1]), upd, [numSegments, ...rest]); // [numSegments, ...rest]
  });
}

/** Filter gradient of a 2-D convolution (NHWC / NCHW), via im2col and one rank-2 matmul. */
export function conv2dBackpropFilterViaMatmul(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    let xs = x;
    let dys = dy;
    if (dataFormat === 'NCHW') {
      xs = tf.transpose(x, [0, 2, 3, 1]);
      dys = tf.transpose(dy, [0, 2, 3, 1]);
    }
    const [kh, kw, cin, cout] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      xs.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      'channelsLast',
    );
    const { top, bottom, left, right } = info.padInfo;
    const [n] = xs.shape;
    const oh = info.outHeight;
    const ow = info.outWidth;
    const sh = info.strideHeight;
    const sw = info.strideWidth;
    const xp = top || bottom || left || right ? tf.pad(xs, [[0, 0], [top, bottom], [left, right], [0, 0]]) : xs; // [N, H+, W+, Cin]
    const m = n * oh * ow;
    const cols: tf.Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const patch = tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, cin], [1, sh, sw, 1]); // [N, OH, OW, Cin]
        cols.push(tf.reshape(patch, [m, cin]));
      }
    }
    const im2col = cols.length === 1 ? cols[0] : tf.concat(cols, 1); // [M, KH·KW·Cin]
    const colsT = tf.transpose(im2col); // [KH·KW·Cin, M] (explicit copy: keeps the matmul on the fast path)
    const dw = tf.matMul(colsT, tf.reshape(dys, [m, cout])); // [KH·KW·Cin, Cout]
    return tf.reshape(dw, [kh, kw, cin, cout]) as tf.Tensor4D;
  });
}

/** Gradient of max pooling (NHWC): dx[n, y, x, c] = Σ over windows whose first maximum is (y, x) of dy. */
export function maxPoolGradHost(
  dy: tf.Tensor4D,
  input: tf.Tensor4D,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [n, h, w, c] = input.shape;
  const xv = input.dataSync() as Float32Array;
  const dyv = dy.dataSync() as Float32Array;
  const dx = new Float32Array(n * h * w * c);
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const dh = info.dilationHeight;
  const dw = info.dilationWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let ky = 0; ky < fh; ky += dh) {
            const y = oy * sh - top + ky;
            if (y < 0 || y >= h) continue;
            for (let kx = 0; kx < fw; kx += dw) {
              const x = ox * sw - left + kx;
              if (x < 0 || x >= w) continue;
              const idx = ((b * h + y) * w + x) * c + ch;
              if (xv[idx] > best || at < 0) {
                best = xv[idx];
                at = idx;
              }
            }
          }
          if (at >= 0) dx[at] += dyv[((b * oh + oy) * ow + ox) * c + ch];
        }
      }
    }
  }
  return tf.tensor4d(dx, [n, h, w, c]);
}

let registered = false;

/** Registers the patched kernels for 'wasm' (idempotent; skips any kernel wasm already has). */
export function registerWasmPatches(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) => {
        const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
        const { numSegments } = attrs as unknown as { numSegments: number };
        return withTensors([x, segmentIds], (xt, st) => unsortedSegmentSumViaScatter(xt, st, numSegments)) as unknown as Info;
      },
    });
  }
  if (tf.getKernel('MaxPoolGrad', 'wasm') != null) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { dy, input } = inputs as { dy: Info; input: Info };
      const a = attrs as unknown as {
        filterSize: number | [number, number];
        strides: number | [number, number];
        pad: 'valid' | 'same' | number;
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
      };
      return withTensors([dy, input], (dyt, xt) =>
        maxPoolGradHost(dyt as tf.Tensor4D, xt as tf.Tensor4D, a.filterSize, a.strides, a.pad, a.dimRoundingMode),
      ) as unknown as Info;
    },
  });
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') == null) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs }) => {
        const { x, dy } = inputs as { x: Info; dy: Info };
        const a = attrs as unknown as {
          strides: number | [number, number];
          pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
          dataFormat: 'NHWC' | 'NCHW';
          dimRoundingMode?: 'floor' | 'round' | 'ceil';
          filterShape: [number, number, number, number];
        };
        return withTensors([x, dy], (xt, dyt) =>
          conv2dBackpropFilterViaMatmul(
            xt as tf.Tensor4D,
            dyt as tf.Tensor4D,
            a.filterShape,
            a.strides,
            a.pad,
            a.dataFormat ?? 'NHWC',
            a.dimRoundingMode,
          ),
        ) as unknown as Info;
      },
    });
  }
}
