/**
 * A small protobuf encoder for the subset of onnx.proto (IR version 8, opset 17) that ewc-lm writes:
 * ModelProto, OperatorSetIdProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
 * TypeProto.Tensor, TensorShapeProto. Field numbers follow github.com/onnx/onnx/blob/main/onnx/onnx.proto.
 * No dependency: protobuf's wire format is varints (wire type 0), 32-bit floats (5) and length-delimited
 * bytes (2); that is all these messages need.
 */

/** TensorProto.DataType values used here. */
export const DataType = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 } as const;
export type DType = keyof typeof DataType;

/** AttributeProto.AttributeType. */
const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

/** Growable byte buffer with protobuf primitive writers. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  /** Unsigned or signed integer as a varint; negatives are 64-bit two's complement (10 bytes). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    if (x < 0x80n) {
      this.buf[this.len++] = Number(x);
      return;
    }
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** Length-delimited field. */
  lenField(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.bytes(data);
  }

  stringField(field: number, s: string): void {
    this.lenField(field, new TextEncoder().encode(s));
  }

  intField(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  floatField(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.bytes(b);
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedInts(field: number, vs: readonly (number | bigint)[]): void {
    const w = new ProtoWriter();
    for (const v of vs) w.varint(v);
    this.lenField(field, w.finish());
  }

  packedFloats(field: number, vs: readonly number[]): void {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    vs.forEach((v, i) => dv.setFloat32(i * 4, v, true));
    this.lenField(field, b);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Typed data of a tensor. Float32 / int64 (BigInt64Array) / int32 / bool (Uint8Array). */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface TensorSpec {
  name: string;
  dtype: DType;
  dims: readonly number[];
  data: TensorData;
}

export type AttrValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: number[] }
  | { kind: 'ints'; value: number[] }
  | { kind: 'tensor'; value: TensorSpec };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attrs?: Record<string, AttrValue>;
}

export interface ValueInfoSpec {
  name: string;
  dtype: DType;
  /** A number is a fixed dimension; a string is a symbolic one (dim_param). */
  shape: readonly (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  initializers: TensorSpec[];
}

export interface ModelSpec {
  graph: GraphSpec;
  opset?: number;
  producer?: string;
  extraOpsets?: { domain: string; version: number }[];
  metadata?: Record<string, string>;
}

/** Little-endian raw bytes of a typed array (no copy when already little-endian). */
function rawBytes(d: TensorData): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function encodeTensor(t: TensorSpec): Uint8Array {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) {
    throw new Error(`tensor ${t.name}: dims ${JSON.stringify(t.dims)} hold ${n} elements, data has ${t.data.length}`);
  }
  const w = new ProtoWriter();
  if (t.dims.length) w.packedInts(1, t.dims); // dims
  w.intField(2, DataType[t.dtype]); // data_type
  w.stringField(8, t.name); // name
  w.lenField(9, rawBytes(t.data)); // raw_data
  return w.finish();
}

function encodeAttr(name: string, a: AttrValue): Uint8Array {
  const w = new ProtoWriter();
  w.stringField(1, name);
  switch (a.kind) {
    case 'float':
      w.floatField(2, a.value);
      w.intField(20, AttrType.FLOAT);
      break;
    case 'int':
      w.intField(3, a.value);
      w.intField(20, AttrType.INT);
      break;
    case 'string':
      w.lenField(4, new TextEncoder().encode(a.value));
      w.intField(20, AttrType.STRING);
      break;
    case 'tensor':
      w.lenField(5, encodeTensor(a.value));
      w.intField(20, AttrType.TENSOR);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      w.intField(20, AttrType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      w.intField(20, AttrType.INTS);
      break;
    default: {
      const never: never = a;
      throw new Error(`unknown attribute ${JSON.stringify(never)}`);
    }
  }
  return w.finish();
}

export function encodeNode(n: NodeSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.stringField(1, i);
  for (const o of n.outputs) w.stringField(2, o);
  if (n.name) w.stringField(3, n.name);
  w.stringField(4, n.opType);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.lenField(5, encodeAttr(k, v));
  if (n.domain) w.stringField(7, n.domain);
  return w.finish();
}

export function encodeValueInfo(v: ValueInfoSpec): Uint8Array {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.intField(1, d);
    else dim.stringField(2, d);
    shape.lenField(1, dim.finish());
  }
  const tensorType = new ProtoWriter();
  tensorType.intField(1, DataType[v.dtype]);
  tensorType.lenField(2, shape.finish());
  const type = new ProtoWriter();
  type.lenField(1, tensorType.finish());
  const w = new ProtoWriter();
  w.stringField(1, v.name);
  w.lenField(2, type.finish());
  return w.finish();
}

export function encodeGraph(g: GraphSpec): Uint8Array {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.lenField(1, encodeNode(n));
  w.stringField(2, g.name);
  for (const t of g.initializers) w.lenField(5, encodeTensor(t));
  for (const i of g.inputs) w.lenField(11, encodeValueInfo(i));
  for (const o of g.outputs) w.lenField(12, encodeValueInfo(o));
  return w.finish();
}

/** Serialises a model: IR version 8 (the one that goes with opset 17). */
export function encodeModel(m: ModelSpec): Uint8Array {
  const w = new ProtoWriter();
  w.intField(1, 8); // ir_version
  w.stringField(2, m.producer ?? 'ewc-lm'); // producer_name
  w.lenField(7, encodeGraph(m.graph)); // graph
  const opsets = [{ domain: '', version: m.opset ?? 17 }, ...(m.extraOpsets ?? [])];
  for (const o of opsets) {
    const ow = new ProtoWriter();
    if (o.domain) ow.stringField(1, o.domain);
    ow.intField(2, o.version);
    w.lenField(8, ow.finish()); // opset_import
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    const kw = new ProtoWriter();
    kw.stringField(1, k);
    kw.stringField(2, v);
    w.lenField(14, kw.finish()); // metadata_props
  }
  return w.finish();
}
