/**
 * A small ONNX reader: decodes the parts of a ModelProto that import-onnx needs — the graph's nodes (op type,
 * inputs, outputs, int attributes), its float initializers (raw_data, float_data, or external data files),
 * Constant nodes' tensors, and subgraphs (If / Loop bodies, as in optimum's merged decoders), recursively.
 * Field numbers follow onnx.proto (github.com/onnx/onnx/blob/main/onnx/onnx.proto), the same ones
 * src/onnx/proto.ts writes.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { decodeToF32 } from '../io/dtypes.ts';
import { EwcError } from '../util/errors.ts';

export interface OnnxTensor {
  name: string;
  dims: number[];
  /** TensorProto.DataType (1 float, 10 float16, 16 bfloat16, 11 double, 7 int64, …). */
  dataType: number;
  /** Float data (float types only; null for other types). */
  data: Float32Array | null;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Integer attributes (e.g. Gemm transB). */
  ints: Record<string, number>;
}

export interface OnnxGraph {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: string[];
  outputs: string[];
  /** Subgraphs of nodes (If branches, Loop bodies), depth-first in node order. */
  subgraphs: OnnxGraph[];
}

/** A field of a message: number, wire type, and its value (varint as number, or bytes). */
interface Field {
  no: number;
  wire: number;
  int: number;
  bytes: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new EwcError('ONNX file is truncated or not an ONNX model (varint past the end).');
      const b = buf[i++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  const empty = new Uint8Array(0);
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield { no, wire, int: varint(), bytes: empty };
    else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new EwcError('ONNX file is truncated or not an ONNX model (field past the end).');
      yield { no, wire, int: 0, bytes: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 5) {
      yield { no, wire, int: 0, bytes: buf.subarray(i, i + 4) };
      i += 4;
    } else if (wire === 1) {
      yield { no, wire, int: 0, bytes: buf.subarray(i, i + 8) };
      i += 8;
    } else throw new EwcError(`ONNX file: unsupported protobuf wire type ${wire}; is this an ONNX model?`);
  }
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function packedVarints(b: Uint8Array): number[] {
  const out: number[] = [];
  let v = 0;
  let mul = 1;
  for (const byte of b) {
    v += (byte & 0x7f) * mul;
    mul *= 128;
    if (byte < 0x80) {
      out.push(v);
      v = 0;
      mul = 1;
    }
  }
  return out;
}

const FLOAT_TYPES: Record<number, 'F32' | 'F16' | 'BF16' | 'F64'> = { 1: 'F32', 10: 'F16', 16: 'BF16', 11: 'F64' };

function decodeTensor(buf: Uint8Array, baseDir: string, nameOverride?: string): OnnxTensor {
  let name = '';
  const dims: number[] = [];
  let dataType = 0;
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ext: Record<string, string> = {};
  let external = false;
  for (const f of fields(buf)) {
    if (f.no === 1) {
      if (f.wire === 2) dims.push(...packedVarints(f.bytes));
      else dims.push(f.int);
    } else if (f.no === 2) dataType = f.int;
    else if (f.no === 8) name = text(f.bytes);
    else if (f.no === 9) raw = f.bytes;
    else if (f.no === 4) {
      if (f.wire === 2) {
        const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
        for (let k = 0; k + 4 <= f.bytes.length; k += 4) floats.push(dv.getFloat32(k, true));
      } else floats.push(new DataView(f.bytes.buffer, f.bytes.byteOffset, 4).getFloat32(0, true));
    } else if (f.no === 13) {
      let k = '';
      let v = '';
      for (const e of fields(f.bytes)) {
        if (e.no === 1) k = text(e.bytes);
        else if (e.no === 2) v = text(e.bytes);
      }
      ext[k] = v;
    } else if (f.no === 14) external = f.int === 1;
  }
  if (nameOverride !== undefined) name = nameOverride;
  const count = dims.reduce((a, b) => a * b, 1);
  const ft = FLOAT_TYPES[dataType];
  let data: Float32Array | null = null;
  if (ft) {
    if (external) {
      if (!ext.location) throw new EwcError(`ONNX tensor ${name}: external data without a location.`);
      const path = resolve(baseDir, ext.location);
      const file = readExternal(path);
      const off = Number(ext.offset ?? 0);
      const len = ext.length !== undefined ? Number(ext.length) : file.length - off;
      raw = file.subarray(off, off + len);
    }
    if (raw) {
      const width = ft === 'F64' ? 8 : ft === 'F32' ? 4 : 2;
      if (raw.length !== count * width) {
        throw new EwcError(`ONNX tensor ${name}: ${raw.length} data bytes for dims [${dims}] (expected ${count * width}).`);
      }
      data = decodeToF32(ft, raw, count);
    } else if (dataType === 1) {
      data = Float32Array.from(floats);
      if (data.length !== count) throw new EwcError(`ONNX tensor ${name}: ${data.length} floats for dims [${dims}].`);
    } else if (count === 0) data = new Float32Array(0);
    else throw new EwcError(`ONNX tensor ${name}: float type ${dataType} stored in a form this reader does not support (only raw_data).`);
  }
  return { name, dims, dataType, data };
}

const externalFiles = new Map<string, Uint8Array>();
function readExternal(path: string): Uint8Array {
  let b = externalFiles.get(path);
  if (!b) {
    try {
      b = readFileSync(path);
    } catch {
      throw new EwcError(`ONNX external data file ${path} is missing. Keep the .onnx_data file beside the .onnx file.`);
    }
    externalFiles.set(path, b);
  }
  return b;
}

function decodeNode(buf: Uint8Array, baseDir: string, subgraphs: OnnxGraph[], constants: OnnxTensor[]): OnnxNode {
  const n: OnnxNode = { opType: '', inputs: [], outputs: [], ints: {} };
  const tensorAttrs: Uint8Array[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) n.inputs.push(text(f.bytes));
    else if (f.no === 2) n.outputs.push(text(f.bytes));
    else if (f.no === 4) n.opType = text(f.bytes);
    else if (f.no === 5) {
      let an = '';
      let iv: number | null = null;
      for (const a of fields(f.bytes)) {
        if (a.no === 1) an = text(a.bytes);
        else if (a.no === 3) iv = a.int;
        else if (a.no === 5) tensorAttrs.push(a.bytes);
        else if (a.no === 6) subgraphs.push(decodeGraph(a.bytes, baseDir));
        else if (a.no === 11) subgraphs.push(decodeGraph(a.bytes, baseDir));
      }
      if (iv !== null) n.ints[an] = iv;
    }
  }
  if (n.opType === 'Constant' && tensorAttrs.length === 1 && n.outputs.length === 1) {
    constants.push(decodeTensor(tensorAttrs[0], baseDir, n.outputs[0]));
  }
  return n;
}

function valueInfoName(buf: Uint8Array): string {
  for (const f of fields(buf)) if (f.no === 1) return text(f.bytes);
  return '';
}

function decodeGraph(buf: Uint8Array, baseDir: string): OnnxGraph {
  const g: OnnxGraph = { nodes: [], initializers: [], inputs: [], outputs: [], subgraphs: [] };
  const constants: OnnxTensor[] = [];
  for (const f of fields(buf)) {
    if (f.no === 1) g.nodes.push(decodeNode(f.bytes, baseDir, g.subgraphs, constants));
    else if (f.no === 5) g.initializers.push(decodeTensor(f.bytes, baseDir));
    else if (f.no === 11) g.inputs.push(valueInfoName(f.bytes));
    else if (f.no === 12) g.outputs.push(valueInfoName(f.bytes));
  }
  g.initializers.push(...constants);
  return g;
}

/** Decodes a serialised ModelProto; `baseDir` resolves external data locations. */
export function decodeOnnxModel(bytes: Uint8Array, baseDir = '.'): OnnxGraph {
  let graph: OnnxGraph | null = null;
  for (const f of fields(bytes)) if (f.no === 7 && f.wire === 2) graph = decodeGraph(f.bytes, baseDir);
  if (!graph) throw new EwcError('ONNX model has no graph: is this an ONNX ModelProto (.onnx) file?');
  return graph;
}

/** Reads an .onnx file (external data resolved beside it). */
export function readOnnxModel(path: string): OnnxGraph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new EwcError(`ONNX file ${path} cannot be read: expected an .onnx model file.`);
  }
  try {
    return decodeOnnxModel(bytes, dirname(resolve(path)));
  } finally {
    externalFiles.clear();
  }
}

/** All graphs (main graph first, then subgraphs depth-first). */
export function allGraphs(g: OnnxGraph): OnnxGraph[] {
  return [g, ...g.subgraphs.flatMap(allGraphs)];
}
