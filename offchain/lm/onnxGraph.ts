/**
 * A small writer of ONNX graphs from TypeScript (protobufjs types of `onnx-proto`), for the decoders of this folder:
 * nodes are added in order with generated names, weights become float32 initializers (little-endian `raw_data`),
 * and `finish()` serialises a `ModelProto` the same way `offchain/model/onnxBuilder.ts` does — no timestamps, fixed
 * names, fields in schema order — so the same weights always give the same bytes (and sha256).
 */
import onnxProto from "onnx-proto";

import { DEFAULT_OPSET, OnnxBuildError, PRODUCER_NAME } from "../model/onnxBuilder.js";

const { onnx } = onnxProto;

// ------------------------------------------------------------------------------------------------ types

/** Element types used by the decoders. */
export type ElementType = "float32" | "int64" | "bool";

/** A dimension: a fixed size or a symbolic name. */
export type Dim = number | string;

/** An attribute value: an integer, a float, a list of integers, or a string. */
export type AttributeValue = { i: number } | { f: number } | { ints: readonly number[] } | { s: string };

// ------------------------------------------------------------------------------------------------ constants

const DATA_TYPE: Readonly<Record<ElementType, number>> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The ONNX IR version that introduced each default-domain opset the decoders may use. */
const IR_VERSION_BY_OPSET: ReadonlyMap<number, number> = new Map([
  [17, 8],
  [18, 8],
  [19, 9],
  [20, 9],
  [21, 10],
]);

// ------------------------------------------------------------------------------------------------ builder

/** Accumulates one graph. Every method returns the name of the tensor it made. */
export class GraphBuilder {
  readonly #nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly #initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly #inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  readonly #names = new Set<string>();
  #counter = 0;

  /** Declares a graph input. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.#claim(name);
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `tensor` (already produced by a node) as a graph output named `name` (an Identity node if needed). */
  output(tensor: string, name: string, type: ElementType, dims: readonly Dim[]): void {
    if (tensor !== name) this.op("Identity", [tensor], {}, name);
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /** A float32 initializer (weights), `values.length` must equal the product of `dims`. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new OnnxBuildError(`weight ${name} has ${values.length} values for dims [${dims.join(", ")}].`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i] as number)) {
        throw new OnnxBuildError(`weight ${name}[${i}] is ${values[i]}; weights must be finite.`);
      }
    }
    this.#claim(name);
    const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    this.#initializers.push(
      onnx.TensorProto.create({ name, dataType: DATA_TYPE.float32, dims: [...dims], rawData: raw }),
    );
    return name;
  }

  /** An int64 constant (an initializer named after its values). */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const name = this.#fresh(`const_i64_${values.join("_").replace(/-/g, "m")}`);
    this.#initializers.push(
      onnx.TensorProto.create({ name, dataType: DATA_TYPE.int64, dims: [...dims], int64Data: [...values] }),
    );
    return name;
  }

  /** A float32 scalar constant (rank 0). */
  scalar(value: number): string {
    const name = this.#fresh("const_f32");
    this.#initializers.push(
      onnx.TensorProto.create({ name, dataType: DATA_TYPE.float32, dims: [], floatData: [value] }),
    );
    return name;
  }

  /** Adds a node with one output; its name is `output` or a generated one. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    const [name] = this.opMulti(opType, inputs, 1, attributes, output === undefined ? undefined : [output]);
    return name as string;
  }

  /** Adds a node with `count` outputs. */
  opMulti(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: Record<string, AttributeValue> = {},
    outputs?: readonly string[],
  ): string[] {
    const id = this.#counter++;
    const names =
      outputs ?? Array.from({ length: count }, (_, i) => `${opType.toLowerCase()}_${id}${count > 1 ? `_${i}` : ""}`);
    names.forEach((n) => this.#claim(n));
    this.#nodes.push(
      onnx.NodeProto.create({
        name: `${opType}_${id}`,
        opType,
        input: [...inputs],
        output: [...names],
        attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
      }),
    );
    return [...names];
  }

  /** Serialises the model. */
  finish(options: {
    graphName: string;
    opset?: number;
    docString?: string;
    metadata?: Readonly<Record<string, string>>;
  }): Uint8Array {
    const opset = options.opset ?? DEFAULT_OPSET;
    const irVersion = IR_VERSION_BY_OPSET.get(opset);
    if (irVersion === undefined) {
      throw new OnnxBuildError(`opset ${opset} is not supported for decoders; use 17 … 21.`);
    }
    const graph = onnx.GraphProto.create({
      name: options.graphName,
      node: this.#nodes,
      initializer: this.#initializers,
      input: this.#inputs,
      output: this.#outputs,
    });
    const model = onnx.ModelProto.create({
      irVersion,
      producerName: PRODUCER_NAME,
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: opset })],
      graph,
      ...(options.docString !== undefined ? { docString: options.docString } : {}),
      ...(options.metadata !== undefined
        ? {
            metadataProps: Object.entries(options.metadata).map(([key, value]) =>
              onnx.StringStringEntryProto.create({ key, value }),
            ),
          }
        : {}),
    });
    return Uint8Array.from(onnx.ModelProto.encode(model).finish());
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new OnnxBuildError(`tensor name "${name}" is used twice in the graph.`);
    this.#names.add(name);
  }

  #fresh(prefix: string): string {
    let name = prefix;
    for (let i = 1; this.#names.has(name); i++) name = `${prefix}_${i}`;
    this.#names.add(name);
    return name;
  }
}

// ------------------------------------------------------------------------------------------------ internals

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: DATA_TYPE[type],
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            onnx.TensorShapeProto.Dimension.create(typeof d === "number" ? { dimValue: d } : { dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

function attribute(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const type = onnx.AttributeProto.AttributeType;
  if ("i" in value) return onnx.AttributeProto.create({ name, type: type.INT, i: value.i });
  if ("f" in value) return onnx.AttributeProto.create({ name, type: type.FLOAT, f: value.f });
  if ("ints" in value) return onnx.AttributeProto.create({ name, type: type.INTS, ints: [...value.ints] });
  return onnx.AttributeProto.create({ name, type: type.STRING, s: new TextEncoder().encode(value.s) });
}
