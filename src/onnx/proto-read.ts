/**
 * A minimal protobuf reader for ONNX files: the initializers of ModelProto.graph (names, dims, float data),
 * enough to import a published GPT-2 export's weights. Field numbers as in proto.ts; raw_data or float_data;
 * external data is not supported (an error says so).
 */
export interface ReadTensor {
  name: string;
  dims: number[];
  dataType: number;
  data: Float32Array | null;
  external: boolean;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}
  varint(): bigint {
    let shift = 0n;
    let out = 0n;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated protobuf varint');
      const b = this.buf[this.pos++];
      out |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return out;
      shift += 7n;
    }
  }
  num(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }
  /** Iterates fields: [field number, wire type, payload reader or value]. */
  *fields(): Generator<{ field: number; wire: number; sub?: Reader; value?: bigint }> {
    while (this.pos < this.end) {
      const tag = Number(this.varint());
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === 0) yield { field, wire, value: this.varint() };
      else if (wire === 2) {
        const len = Number(this.varint());
        const sub = new Reader(this.buf, this.pos + len);
        sub.pos = this.pos;
        this.pos += len;
        yield { field, wire, sub };
      } else if (wire === 5) {
        this.pos += 4;
        yield { field, wire };
      } else if (wire === 1) {
        this.pos += 8;
        yield { field, wire };
      } else throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  bytes(): Uint8Array {
    return this.buf.subarray(this.pos, this.end);
  }
}

function readTensor(r: Reader): ReadTensor {
  const t: ReadTensor = { name: '', dims: [], dataType: 0, data: null, external: false };
  const floats: number[] = [];
  let raw: Uint8Array | null = null;
  for (const f of r.fields()) {
    if (f.field === 1) {
      if (f.sub) while (f.sub.pos < f.sub.end) t.dims.push(f.sub.num());
      else t.dims.push(Number(f.value));
    } else if (f.field === 2) t.dataType = Number(f.value);
    else if (f.field === 8) t.name = new TextDecoder().decode(f.sub!.bytes());
    else if (f.field === 9) raw = f.sub!.bytes(); else if (f.field === 4 && f.sub) {
      const b = f.sub.bytes();
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i + 4 <= b.byteLength; i += 4) floats.push(dv.getFloat32(i, true));
    } else if (f.field === 13 || f.field === 14) t.external = true;
  }
  // Fields may come in any order: decide on the data once data_type is known.
  if (t.dataType === 1) t.data = raw ? new Float32Array(raw.slice().buffer) : floats.length ? Float32Array.from(floats) : null;
  return t;
}

/** All initializers of an ONNX model file's main graph. */
export function readInitializers(model: Uint8Array): ReadTensor[] {
  const out: ReadTensor[] = [];
  for (const f of new Reader(model).fields()) {
    if (f.field !== 7 || !f.sub) continue; // ModelProto.graph
    for (const gf of f.sub.fields()) if (gf.field === 5 && gf.sub) out.push(readTensor(gf.sub));
  }
  return out;
}
