/**
 * A static-shape ONNX graph builder. Every value has a unique name, a dtype and a fixed shape; ops
 * (src/onnx/ops-*.ts) append nodes and, while the graph records, a tape entry with the op's gradient rule
 * that src/onnx/autodiff.ts replays backwards. `toModel(outputs)` keeps only the nodes the outputs need.
 */
import { encodeModel, type AttrValue, type DType, type NodeSpec, type TensorData, type TensorSpec } from './proto.ts';

export type { DType } from './proto.ts';

export class Value {
  constructor(
    readonly g: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
  ) {}
  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

/**
 * A gradient contribution that is a scatter-add of `updates` at `indices` (ScatterND semantics) into a
 * tensor of `shape`. Kept symbolic so that it can be scattered into another, dense contribution instead of
 * into materialised zeros (the embedding gradient lands on the tied head's gradient).
 */
export interface SparseGrad {
  kind: 'scatter';
  indices: Value; // int64 [..., k]
  updates: Value;
  shape: readonly number[];
}
export type Grad = Value | SparseGrad;

/** dOuts[i] is the gradient of the i-th output, or null when no gradient flows into it. */
export type BackwardFn = (dOuts: (Value | null)[], needs: boolean[]) => (Grad | null)[];

export interface TapeEntry {
  inputs: Value[];
  outputs: Value[];
  backward: BackwardFn;
}

export class Graph {
  readonly nodes: NodeSpec[] = [];
  readonly inputs: Value[] = [];
  readonly initializers = new Map<string, TensorSpec>();
  readonly tape: TapeEntry[] = [];
  /** False while gradient rules emit nodes (they are not themselves recorded). */
  recording = true;
  private counter = 0;
  private constCache = new Map<string, Value>();
  private names = new Set<string>();
  /** value name → output name it is renamed to at serialisation. */
  private readonly aliases = new Map<string, string>();
  private readonly produced = new Set<string>();
  private producerCount = 0;

  constructor(readonly name = 'ewc_lm') {}

  /** A fresh value name derived from `hint`. */
  fresh(hint: string): string {
    let n: string;
    do n = `${hint}__${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`graph value name already used: ${name}`);
    this.names.add(name);
  }

  input(name: string, dtype: DType, shape: readonly number[]): Value {
    this.claim(name);
    const v = new Value(this, name, dtype, [...shape]);
    this.inputs.push(v);
    return v;
  }

  /** A named initializer (weights baked into the model). */
  initializer(name: string, dtype: DType, shape: readonly number[], data: TensorData): Value {
    this.claim(name);
    return this.addInit(name, dtype, shape, data);
  }

  private addInit(name: string, dtype: DType, shape: readonly number[], data: TensorData): Value {
    this.initializers.set(name, { name, dtype, dims: [...shape], data });
    return new Value(this, name, dtype, [...shape]);
  }

  /** A small constant, deduplicated by content. */
  constant(dtype: DType, shape: readonly number[], values: readonly number[]): Value {
    const key = `${dtype}|${shape.join(',')}|${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    let data: TensorData;
    if (dtype === 'float32') data = Float32Array.from(values);
    else if (dtype === 'int64') data = BigInt64Array.from(values.map((v) => BigInt(v)));
    else if (dtype === 'int32') data = Int32Array.from(values);
    else data = Uint8Array.from(values);
    const v = this.addInit(this.fresh('const'), dtype, shape, data);
    this.constCache.set(key, v);
    return v;
  }

  scalar(x: number, dtype: DType = 'float32'): Value {
    return this.constant(dtype, [], [x]);
  }

  ints(values: readonly number[]): Value {
    return this.constant('int64', [values.length], values);
  }

  /**
   * Appends one node. `outs` gives each output's dtype and shape; returns the output values.
   * Output names are fresh unless `names` fixes them.
   */
  node(
    opType: string,
    inputs: (Value | null)[],
    outs: { dtype: DType; shape: readonly number[] }[],
    attrs: Record<string, AttrValue> = {},
    names?: string[],
    domain?: string,
  ): Value[] {
    const outputs = outs.map((o, i) => {
      const name = names?.[i] ?? this.fresh(opType.toLowerCase());
      if (names?.[i]) this.claim(name);
      return new Value(this, name, o.dtype, [...o.shape]);
    });
    this.nodes.push({
      opType,
      inputs: inputs.map((v) => (v ? v.name : '')),
      outputs: outputs.map((o) => o.name),
      attrs,
      domain,
    });
    return outputs;
  }

  record(inputs: Value[], outputs: Value[], backward: BackwardFn): void {
    if (this.recording) this.tape.push({ inputs, outputs, backward });
  }

  /** Runs `fn` without recording tape entries (used by gradient rules). */
  untaped<T>(fn: () => T): T {
    const prev = this.recording;
    this.recording = false;
    try {
      return fn();
    } finally {
      this.recording = prev;
    }
  }

  /**
   * Names `v` as a graph output `name`. A value computed by a node is renamed in place when the graph is
   * serialised (an Identity would copy the tensor, e.g. every updated parameter); graph inputs, initializers
   * and values already named as another output get an Identity.
   */
  output(v: Value, name: string): Value {
    if (v.name === name) return v;
    this.claim(name);
    const produced = this.producers().has(v.name);
    if (produced && !this.aliases.has(v.name)) {
      this.aliases.set(v.name, name);
      return new Value(this, name, v.dtype, v.shape);
    }
    this.names.delete(name);
    return this.node('Identity', [v], [{ dtype: v.dtype, shape: v.shape }], {}, [name])[0];
  }

  private producers(): Set<string> {
    if (this.producerCount !== this.nodes.length) {
      for (let i = this.producerCount; i < this.nodes.length; i++) for (const o of this.nodes[i].outputs) this.produced.add(o);
      this.producerCount = this.nodes.length;
    }
    return this.produced;
  }

  /**
   * Serialises the graph with the given outputs, keeping only the nodes and initializers they need.
   * Inputs that no output needs stay declared (feeds stay valid) unless `pruneInputs`.
   */
  toModel(outputs: Value[], opts: { metadata?: Record<string, string>; pruneInputs?: boolean } = {}): Uint8Array {
    const ren = (x: string) => this.aliases.get(x) ?? x;
    const all = this.nodes.map((n) => ({ ...n, inputs: n.inputs.map((x) => (x ? ren(x) : x)), outputs: n.outputs.map(ren) }));
    const needed = new Set(outputs.map((o) => o.name));
    const keep: boolean[] = new Array(all.length).fill(false);
    for (let i = all.length - 1; i >= 0; i--) {
      const n = all[i];
      if (n.outputs.some((o) => needed.has(o))) {
        keep[i] = true;
        for (const x of n.inputs) if (x) needed.add(x);
      }
    }
    const nodes = all.filter((_, i) => keep[i]);
    const inits = [...this.initializers.values()].filter((t) => needed.has(t.name));
    const inputs = this.inputs.filter((v) => !opts.pruneInputs || needed.has(v.name));
    return encodeModel({
      graph: {
        name: this.name,
        nodes,
        inputs: inputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
        outputs: outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
        initializers: inits,
      },
      metadata: opts.metadata,
    });
  }
}

/** Attribute helpers. */
export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
};

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Numpy broadcasting of two shapes; throws on mismatch. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new Error(`shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`);
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}
