/**
 * Builds small ONNX graphs of any shape for tests: several typed inputs and outputs, chosen ops, chosen opset, and
 * optionally an initializer stored as external data. Real models come from the zoo; these probe the runtime's edges.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export const ELEM = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

export interface GraphIo {
  name: string;
  elemType: number;
  dims: Array<number | string>;
}

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Array<{ name: string; ints?: number[]; i?: number }>;
}

export interface GraphSpec {
  inputs: GraphIo[];
  outputs: GraphIo[];
  nodes: GraphNode[];
  opset?: number;
  /** Float initializers by name; `external` stores the first one as external data (to test refusal). */
  initializers?: Array<{ name: string; dims: number[]; values: number[] }>;
  external?: boolean;
}

const IR_FOR_OPSET: Record<number, number> = {
  7: 3,
  8: 3,
  9: 4,
  10: 5,
  11: 6,
  12: 7,
  13: 7,
  14: 7,
  15: 8,
  16: 8,
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
};

function valueInfo(io: GraphIo) {
  return onnx.ValueInfoProto.create({
    name: io.name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: io.elemType,
        shape: onnx.TensorShapeProto.create({
          dim: io.dims.map((d) =>
            onnx.TensorShapeProto.Dimension.create(typeof d === "number" ? { dimValue: d } : { dimParam: d }),
          ),
        }),
      }),
    }),
  });
}

export function buildGraph(spec: GraphSpec): Uint8Array {
  const opset = spec.opset ?? 17;
  const initializer = (spec.initializers ?? []).map((init, i) =>
    spec.external === true && i === 0
      ? onnx.TensorProto.create({
          name: init.name,
          dims: init.dims,
          dataType: ELEM.FLOAT,
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [onnx.StringStringEntryProto.create({ key: "location", value: "weights.bin" })],
        })
      : onnx.TensorProto.create({ name: init.name, dims: init.dims, dataType: ELEM.FLOAT, floatData: init.values }),
  );
  const model = onnx.ModelProto.create({
    irVersion: IR_FOR_OPSET[opset] ?? 8,
    producerName: "opg-tests",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: opset })],
    graph: onnx.GraphProto.create({
      name: "test",
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer,
      node: spec.nodes.map((n, i) =>
        onnx.NodeProto.create({
          name: `n${i}`,
          opType: n.op,
          input: n.inputs,
          output: n.outputs,
          attribute: (n.attributes ?? []).map((a) =>
            a.ints !== undefined
              ? onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INTS, ints: a.ints })
              : onnx.AttributeProto.create({ name: a.name, type: onnx.AttributeProto.AttributeType.INT, i: a.i ?? 0 }),
          ),
        }),
      ),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Six inputs of six dtypes with a dynamic batch, seven outputs: identities plus a float sum with a cast. */
export function multiDtypeModel(opset = 17): Uint8Array {
  const io = (name: string, elemType: number): GraphIo => ({ name, elemType, dims: ["batch", 2] });
  return buildGraph({
    opset,
    inputs: [
      io("f32", ELEM.FLOAT),
      io("f64", ELEM.DOUBLE),
      io("i32", ELEM.INT32),
      io("i64", ELEM.INT64),
      io("u8", ELEM.UINT8),
      io("b", ELEM.BOOL),
    ],
    outputs: [
      io("sum", ELEM.FLOAT),
      io("f64_out", ELEM.DOUBLE),
      io("i32_out", ELEM.INT32),
      io("i64_out", ELEM.INT64),
      io("u8_out", ELEM.UINT8),
      io("not_b", ELEM.BOOL),
    ],
    nodes: [
      { op: "Cast", inputs: ["i64"], outputs: ["i64_f"], attributes: [{ name: "to", i: ELEM.FLOAT }] },
      { op: "Add", inputs: ["f32", "i64_f"], outputs: ["sum"] },
      { op: "Identity", inputs: ["f64"], outputs: ["f64_out"] },
      { op: "Identity", inputs: ["i32"], outputs: ["i32_out"] },
      { op: "Identity", inputs: ["i64"], outputs: ["i64_out"] },
      { op: "Identity", inputs: ["u8"], outputs: ["u8_out"] },
      { op: "Not", inputs: ["b"], outputs: ["not_b"] },
    ],
  });
}

/** [batch, width] float32 → row means [batch, 1]: a large input with a small output. */
export function rowMeanModel(width: number): Uint8Array {
  return buildGraph({
    opset: 17,
    inputs: [{ name: "x", elemType: ELEM.FLOAT, dims: ["batch", width] }],
    outputs: [{ name: "mean", elemType: ELEM.FLOAT, dims: ["batch", 1] }],
    nodes: [
      {
        op: "ReduceMean",
        inputs: ["x"],
        outputs: ["mean"],
        attributes: [
          { name: "axes", ints: [1] },
          { name: "keepdims", i: 1 },
        ],
      },
    ],
  });
}
