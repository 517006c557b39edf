import { describe, expect, it } from 'vitest';
import { ProtoWriter, encodeModel } from '../../src/onnx/proto.ts';
import { Graph } from '../../src/onnx/graph.ts';
import { add, mul, reduceSum } from '../../src/onnx/ops-math.ts';
import { matmul } from '../../src/onnx/ops-nn.ts';
import { transpose, slice, concat } from '../../src/onnx/ops-shape.ts';
import { createSession, f32 } from '../../src/onnx/session.ts';

describe('protobuf wire encoding', () => {
  it('encodes varints, negatives as 10-byte two-complement, and fields', () => {
    const w = new ProtoWriter();
    w.varint(1);
    w.varint(300); // 0xAC 0x02
    w.varint(-1); // ten bytes, 0xFF… 0x01
    expect([...w.finish()]).toEqual([1, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const s = new ProtoWriter();
    s.stringField(2, 'ab'); // tag (2<<3)|2 = 0x12, length 2
    s.intField(1, 150); // 0x08 0x96 0x01
    expect([...s.finish()]).toEqual([0x12, 2, 97, 98, 0x08, 0x96, 0x01]);
  });

  it('a hand-written model (Add of two inputs) loads and runs', async () => {
    const model = encodeModel({
      graph: {
        name: 'g',
        nodes: [{ opType: 'Add', inputs: ['a', 'b'], outputs: ['y'] }],
        inputs: [
          { name: 'a', dtype: 'float32', shape: [2] },
          { name: 'b', dtype: 'float32', shape: [2] },
        ],
        outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
        initializers: [],
      },
    });
    const s = await createSession(model);
    const r = await s.run({ a: f32(new Float32Array([1, 2]), [2]), b: f32(new Float32Array([10, 20]), [2]) });
    expect([...(r.y.data as Float32Array)]).toEqual([11, 22]);
  });
});

describe('graph builder', () => {
  it('builds matmul/add/transpose/slice/concat/reduce with static shapes and matches hand values', async () => {
    const g = new Graph();
    const a = g.input('a', 'float32', [2, 3]);
    const w = g.input('w', 'float32', [3, 2]);
    const y = add(matmul(a, w), g.constant('float32', [2], [1, -1])); // [2, 2]
    expect(y.shape).toEqual([2, 2]);
    const t = transpose(y, [1, 0]); // [2, 2]
    const s = slice(t, [1], [1], [2]); // [2, 1]
    const c = concat([s, mul(s, 2)], 1); // [2, 2]
    const r = reduceSum(c, [0, 1]);
    const model = g.toModel([g.output(y, 'y'), g.output(c, 'c'), g.output(r, 'r')]);
    const sess = await createSession(model);
    const out = await sess.run({
      a: f32(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
      w: f32(new Float32Array([1, 0, 0, 1, 1, 1]), [3, 2]),
    });
    // a@w = [[1+3, 2+3], [4+6, 5+6]] = [[4,5],[10,11]]; + [1,-1] → [[5,4],[11,10]]
    expect([...(out.y.data as Float32Array)]).toEqual([5, 4, 11, 10]);
    // tᵀ column 1 of t = row 1 of y → [11, 10]; c = [[11, 22], [10, 20]]
    expect([...(out.c.data as Float32Array)]).toEqual([11, 22, 10, 20]);
    expect(out.r.data[0]).toBe(63);
  });
});
