/**
 * Builds small ONNX models from TypeScript (no Python, no downloads): multi-layer perceptrons of `Gemm` layers with
 * ReLU/Softmax activations, float32 throughout. Used for the demo models, test fixtures and examples.
 *
 * The bytes are deterministic: the same spec always gives the same bytes (no timestamps, fixed names, fields written
 * in schema order by protobufjs), so their sha256 can be registered in the `ModelRegistry` once and rebuilt anywhere.
 */
import onnxProto from "onnx-proto";

import { DType, type TensorData } from "../codec/tensor.js";

const { onnx } = onnxProto;

// ------------------------------------------------------------------------------------------------ types

/** Activation applied after a layer's affine map. `softmax` normalises over the feature axis. */
export type Activation = "relu" | "none" | "softmax";

/** One dense layer: `y = activation(x · weightsᵀ + bias)`. */
export interface DenseLayer {
  /**
   * One row per output unit, each row holding one weight per input unit (the PyTorch `nn.Linear` layout:
   * `weights[out][in]`). Every row has the previous layer's width (`inputSize` for the first layer).
   */
  weights: number[][];
  /** One bias per output unit (`weights.length` values). */
  bias: number[];
  activation: Activation;
}

/** What {@link buildMlp} builds. */
export interface MlpSpec {
  /** Graph input name, e.g. `"input"`. */
  inputName: string;
  /** Graph output name, e.g. `"output"`. */
  outputName: string;
  /** Features per example (`n` in the input shape `[batch, n]`). */
  inputSize: number;
  layers: DenseLayer[];
  /** Default opset version, 7..21; default {@link DEFAULT_OPSET}. The IR version follows from it. */
  opset?: number;
  /** When true the batch dimension is symbolic (`"batch"`); otherwise it is fixed to 1. Default false. */
  dynamicBatch?: boolean;
  /** `ModelProto.doc_string`: a human-readable description. Omitted (not written) by default. */
  docString?: string;
  /**
   * `ModelProto.metadata_props`, written in the object's key order (keep it fixed for stable bytes). Keys must be
   * non-empty and values strings. Omitted (not written) by default.
   */
  metadata?: Readonly<Record<string, string>>;
}

/** A ready-made model with what the registry needs to list it. */
export interface DemoModel {
  name: string;
  bytes: Uint8Array;
  description: string;
  /** Fixed-point decimals of the canonical outputs (`ModelRegistry.outputDecimals`). */
  outputDecimals: number;
  /** Largest accepted difference per output element, in units of 10^-outputDecimals (`ModelRegistry.tolerance`). */
  tolerance: bigint;
  /** An input the model accepts (its canonical encoding is `encodeTensors([exampleInput])`). */
  exampleInput: TensorData;
}

/** A model spec that cannot be built; the message names the field to fix. */
export class OnnxBuildError extends Error {
  override readonly name = "OnnxBuildError";
}

// ------------------------------------------------------------------------------------------------ constants

/** Opset used when a spec does not choose one. */
export const DEFAULT_OPSET = 17;
/** Value of `ModelProto.producer_name`. */
export const PRODUCER_NAME = "opg";

/** The ONNX IR version that introduced each supported default-domain opset (onnx 1.2 … 1.16). */
const IR_VERSION_BY_OPSET: ReadonlyMap<number, number> = new Map([
  [7, 3],
  [8, 3],
  [9, 4],
  [10, 5],
  [11, 6],
  [12, 7],
  [13, 7],
  [14, 7],
  [15, 8],
  [16, 8],
  [17, 8],
  [18, 8],
  [19, 9],
  [20, 9],
  [21, 10],
]);

const FLOAT = onnx.TensorProto.DataType.FLOAT;

// ------------------------------------------------------------------------------------------------ public API

/**
 * Serialises an MLP as an ONNX model: input `[batch, inputSize]` float32, one `Gemm` (transB = 1) per layer, then
 * `Relu` or `Softmax(axis = -1)` when asked; the last layer writes `outputName` (`[batch, units]` float32).
 * Weights are stored as float32 (values are rounded to the nearest binary32).
 * @throws {OnnxBuildError} for an inconsistent spec (shapes, names, non-finite weights, opset).
 */
export function buildMlp(spec: MlpSpec): Uint8Array {
  const opset = spec.opset ?? DEFAULT_OPSET;
  const irVersion = IR_VERSION_BY_OPSET.get(opset);
  if (irVersion === undefined) {
    throw new OnnxBuildError(
      `opset ${opset} is not supported by the builder; use one of ${[...IR_VERSION_BY_OPSET.keys()].join(", ")}.`,
    );
  }
  checkName(spec.inputName, "inputName");
  checkName(spec.outputName, "outputName");
  if (spec.inputName === spec.outputName) {
    throw new OnnxBuildError(`inputName and outputName are both "${spec.inputName}"; give them different names.`);
  }
  checkPositiveInteger(spec.inputSize, "inputSize");
  if (spec.layers.length === 0) throw new OnnxBuildError("layers is empty; an MLP needs at least one layer.");
  if (spec.docString !== undefined && typeof spec.docString !== "string") {
    throw new OnnxBuildError(`docString is ${typeof spec.docString}; pass a string or leave it out.`);
  }
  const metadataProps = metadataEntries(spec.metadata);

  const batch: DimSpec = spec.dynamicBatch === true ? { dimParam: "batch" } : { dimValue: 1 };
  const initializer: InstanceType<typeof onnx.TensorProto>[] = [];
  const node: InstanceType<typeof onnx.NodeProto>[] = [];
  let width = spec.inputSize;
  let current = spec.inputName;

  spec.layers.forEach((layer, l) => {
    const units = checkLayer(layer, l, width);
    const last = l === spec.layers.length - 1;
    const prefix = `layer${l}`;
    const weightName = `${prefix}.weight`;
    const biasName = `${prefix}.bias`;
    initializer.push(
      onnx.TensorProto.create({
        name: weightName,
        dataType: FLOAT,
        dims: [units, width],
        floatData: layer.weights.flat(),
      }),
      onnx.TensorProto.create({ name: biasName, dataType: FLOAT, dims: [units], floatData: [...layer.bias] }),
    );
    const linear = last && layer.activation === "none" ? spec.outputName : `${prefix}.linear`;
    node.push(
      onnx.NodeProto.create({
        name: `${prefix}.gemm`,
        opType: "Gemm",
        input: [current, weightName, biasName],
        output: [linear],
        attribute: [onnx.AttributeProto.create({ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
      }),
    );
    current = linear;
    if (layer.activation !== "none") {
      const activated = last ? spec.outputName : `${prefix}.${layer.activation}`;
      node.push(
        onnx.NodeProto.create({
          name: `${prefix}.${layer.activation}`,
          opType: layer.activation === "relu" ? "Relu" : "Softmax",
          input: [current],
          output: [activated],
          attribute:
            layer.activation === "softmax"
              ? [onnx.AttributeProto.create({ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: -1 })]
              : [],
        }),
      );
      current = activated;
    }
    width = units;
  });

  const graph = onnx.GraphProto.create({
    name: "opg_mlp",
    node,
    initializer,
    input: [valueInfo(spec.inputName, [batch, { dimValue: spec.inputSize }])],
    output: [valueInfo(spec.outputName, [batch, { dimValue: width }])],
  });
  const model = onnx.ModelProto.create({
    irVersion,
    producerName: PRODUCER_NAME,
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: opset })],
    graph,
    // Only set when given, so models built without them keep their bytes (and sha256).
    ...(spec.docString !== undefined ? { docString: spec.docString } : {}),
    ...(metadataProps.length > 0 ? { metadataProps } : {}),
  });
  // protobufjs returns a Node Buffer (possibly a slice of a pool); hand out a plain, exactly-sized copy.
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

/**
 * The demo models: `iris-linear` (4 Iris measurements in cm → 3 class probabilities) and `xor-mlp` (2 bits → XOR as
 * a float). Weights are fixed by hand, so the bytes and their sha256 never change.
 */
export function buildDemoModels(): DemoModel[] {
  return [
    {
      name: "iris-linear",
      bytes: buildMlp({
        inputName: "features",
        outputName: "probabilities",
        inputSize: 4,
        dynamicBatch: true,
        layers: [{ weights: IRIS_WEIGHTS, bias: IRIS_BIAS, activation: "softmax" }],
      }),
      description:
        "Iris species classifier: input [batch, 4] float32 (sepal length, sepal width, petal length, petal width in " +
        "cm) → [batch, 3] probabilities of setosa, versicolor, virginica. A single softmax layer whose hand-picked " +
        "weights score each species by the distance of the petal measurements to its mean.",
      outputDecimals: 6,
      tolerance: 10n,
      exampleInput: { dtype: DType.FLOAT, decimals: 0, shape: [1, 4], data: [6.3, 3.3, 6.0, 2.5] },
    },
    {
      name: "xor-mlp",
      bytes: buildMlp({
        inputName: "bits",
        outputName: "xor",
        inputSize: 2,
        layers: [
          { weights: XOR_HIDDEN_WEIGHTS, bias: XOR_HIDDEN_BIAS, activation: "relu" },
          { weights: [[0.5, -1, 0.5, 0.5]], bias: [0], activation: "none" },
        ],
      }),
      description:
        "XOR of two bits: input [1, 2] float32 (0 or 1 each) → [1, 1] float32, exactly 1 when the bits differ and 0 " +
        "when they are equal. Hidden layer of 4 ReLU units: a+b, a+b-1, a-b, b-a.",
      outputDecimals: 6,
      tolerance: 10n,
      exampleInput: { dtype: DType.FLOAT, decimals: 0, shape: [1, 2], data: [0, 1] },
    },
  ];
}

// ------------------------------------------------------------------------------------------------ demo weights

// Nearest class mean on (petal length, petal width), scaled by 2: score_c = 2·μ_c·x − |μ_c|², with the species means
// setosa (1.46, 0.24), versicolor (4.26, 1.33), virginica (5.55, 2.03). Sepal measurements get weight 0.
const IRIS_WEIGHTS: number[][] = [
  [0, 0, 2.92, 0.48],
  [0, 0, 8.52, 2.66],
  [0, 0, 11.1, 4.06],
];
const IRIS_BIAS: number[] = [-2.19, -19.92, -34.92];

// h = relu([a + b, a + b − 1, a − b, b − a]); xor = 0.5·h0 − h1 + 0.5·h2 + 0.5·h3 (exact in binary32 for 0/1 inputs).
const XOR_HIDDEN_WEIGHTS: number[][] = [
  [1, 1],
  [1, 1],
  [1, -1],
  [-1, 1],
];
const XOR_HIDDEN_BIAS: number[] = [0, -1, 0, 0];

// ------------------------------------------------------------------------------------------------ internals

type DimSpec = { dimValue: number } | { dimParam: string };

function valueInfo(name: string, dims: DimSpec[]): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((dim) => onnx.TensorShapeProto.Dimension.create(dim)) }),
      }),
    }),
  });
}

function metadataEntries(
  metadata: Readonly<Record<string, string>> | undefined,
): InstanceType<typeof onnx.StringStringEntryProto>[] {
  if (metadata === undefined) return [];
  return Object.entries(metadata).map(([key, value]) => {
    if (key.length === 0) throw new OnnxBuildError("metadata has an empty key; give every entry a name.");
    if (typeof value !== "string") {
      throw new OnnxBuildError(`metadata["${key}"] is ${typeof value}; metadata values must be strings.`);
    }
    return onnx.StringStringEntryProto.create({ key, value });
  });
}

function checkLayer(layer: DenseLayer, l: number, width: number): number {
  const units = layer.weights.length;
  if (units === 0) throw new OnnxBuildError(`layers[${l}].weights has no rows; give one row per output unit.`);
  layer.weights.forEach((row, o) => {
    if (row.length !== width) {
      throw new OnnxBuildError(
        `layers[${l}].weights[${o}] has ${row.length} values but the layer input has ${width} units; ` +
          "rows are weights[out][in].",
      );
    }
    row.forEach((w, i) => checkFinite(w, `layers[${l}].weights[${o}][${i}]`));
  });
  if (layer.bias.length !== units) {
    throw new OnnxBuildError(`layers[${l}].bias has ${layer.bias.length} values; it needs one per unit (${units}).`);
  }
  layer.bias.forEach((b, o) => checkFinite(b, `layers[${l}].bias[${o}]`));
  if (!["relu", "none", "softmax"].includes(layer.activation)) {
    throw new OnnxBuildError(`layers[${l}].activation "${String(layer.activation)}" is not relu, none or softmax.`);
  }
  return units;
}

function checkFinite(x: number, where: string): void {
  if (typeof x !== "number" || !Number.isFinite(x) || Math.abs(x) > 3.4028234663852886e38) {
    throw new OnnxBuildError(`${where} is ${String(x)}; weights must be finite numbers within the float32 range.`);
  }
}

function checkPositiveInteger(n: number, where: string): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new OnnxBuildError(`${where} is ${n}; it must be a positive integer.`);
}

function checkName(name: string, where: string): void {
  if (typeof name !== "string" || name.length === 0 || /^layer\d+\./.test(name)) {
    throw new OnnxBuildError(
      `${where} "${String(name)}" is empty or looks like an internal tensor name (layer<N>.…); choose another name.`,
    );
  }
}
