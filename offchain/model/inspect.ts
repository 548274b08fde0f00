/**
 * Reads what an ONNX file declares without running it: IR version, opsets, producer, graph inputs and outputs
 * (names, element types, dimensions), initializers, and whether tensors live in external data files. Used by the
 * `model:inspect` task before registration, and to refuse models OPG cannot serve.
 */
import { createHash } from "node:crypto";

import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";

// onnx-proto is CommonJS: take the namespace from its default export.
const { onnx } = onnxProto;

/** ONNX TensorProto element types, by code. */
const ELEMENT_TYPES: Record<number, string> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

/** Element types the canonical encoding (and so the runtime) carries. */
export const SUPPORTED_ELEMENT_TYPES = new Set([
  "float32",
  "float64",
  "uint8",
  "int8",
  "int16",
  "int32",
  "int64",
  "bool",
  "uint32",
  "uint64",
]);

export interface OnnxTensorInfo {
  name: string;
  elementType: string;
  /** Fixed sizes as numbers; symbolic dimensions by name ("batch"), unnamed ones as "?". */
  shape: Array<number | string>;
}

export interface OnnxInspection {
  sha256: string;
  sizeBytes: number;
  irVersion: number;
  producer: string;
  opsets: Array<{ domain: string; version: number }>;
  /** Version of the default ("ai.onnx") opset, or null if the file does not import it. */
  defaultOpset: number | null;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  initializers: number;
  /** Locations of tensors stored outside the file (external data). */
  externalData: string[];
  docString: string;
  metadata: Record<string, string>;
}

/** The bytes are not an ONNX model. */
export class OnnxParseError extends Error {
  constructor(reason: string) {
    super(`not a readable ONNX model: ${reason}. Export it again (e.g. torch.onnx.export / tf2onnx) and retry.`);
    this.name = "OnnxParseError";
  }
}

/** The model cannot be served by OPG as it is; `reason` says why and what to do. */
export class UnsupportedModelError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "UnsupportedModelError";
  }
}

const toNumber = (value: number | Long | null | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === "number" ? value : value.toNumber();

interface Long {
  toNumber(): number;
}

function tensorInfo(value: OnnxTypes.IValueInfoProto): OnnxTensorInfo {
  const tensor = value.type?.tensorType;
  const shape = (tensor?.shape?.dim ?? []).map((d) =>
    d.dimParam !== undefined && d.dimParam !== null && d.dimParam !== ""
      ? d.dimParam
      : d.dimValue !== undefined && d.dimValue !== null
        ? toNumber(d.dimValue as number | Long)
        : "?",
  );
  return {
    name: value.name ?? "",
    elementType: ELEMENT_TYPES[tensor?.elemType ?? 0] ?? `type-${tensor?.elemType ?? 0}`,
    shape,
  };
}

export function inspectOnnx(bytes: Uint8Array): OnnxInspection {
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new OnnxParseError((error as Error).message);
  }
  const graph = model.graph;
  if (graph === null || graph === undefined) throw new OnnxParseError("the file has no graph");
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name ?? ""));
  const externalData = (graph.initializer ?? [])
    .filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0)
    .map((t) => (t.externalData ?? []).find((e) => e.key === "location")?.value ?? t.name ?? "?");
  const opsets = (model.opsetImport ?? []).map((o) => ({
    domain: o.domain ?? "",
    version: toNumber(o.version as number | Long),
  }));
  const metadata: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) metadata[prop.key ?? ""] = prop.value ?? "";
  return {
    sha256: "0x" + createHash("sha256").update(bytes).digest("hex"),
    sizeBytes: bytes.length,
    irVersion: toNumber(model.irVersion as number | Long),
    producer: [model.producerName, model.producerVersion]
      .filter((p) => p !== undefined && p !== null && p !== "")
      .join(" "),
    opsets,
    defaultOpset: opsets.find((o) => o.domain === "" || o.domain === "ai.onnx")?.version ?? null,
    // Older exporters list initializers among the inputs: they are weights, not request inputs.
    inputs: (graph.input ?? []).filter((i) => !initializerNames.has(i.name ?? "")).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    initializers: initializerNames.size,
    externalData,
    docString: model.docString ?? "",
    metadata,
  };
}

/** Oldest default-domain opset served: onnxruntime 1.30 runs opsets from 7 on (older ones are rejected by it). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** Throws {@link UnsupportedModelError} when OPG cannot serve the model as it is. */
export function assertServable(info: OnnxInspection): void {
  if (info.externalData.length > 0) {
    throw new UnsupportedModelError(
      `the model keeps ${info.externalData.length} tensor(s) in external data files (${info.externalData.slice(0, 3).join(", ")}): ` +
        "OPG content-addresses a single file, so embed the weights (onnx.save_model(model, path, save_as_external_data=False)) " +
        "and register that file",
    );
  }
  if (info.defaultOpset === null || info.defaultOpset < MIN_OPSET || info.defaultOpset > MAX_OPSET) {
    throw new UnsupportedModelError(
      `default opset ${info.defaultOpset ?? "missing"} is outside the supported ${MIN_OPSET}..${MAX_OPSET}: ` +
        "convert the model (onnx.version_converter.convert_version) and register the converted file",
    );
  }
  for (const t of [...info.inputs, ...info.outputs]) {
    if (!SUPPORTED_ELEMENT_TYPES.has(t.elementType)) {
      throw new UnsupportedModelError(
        `tensor "${t.name}" is ${t.elementType}, which the canonical encoding does not carry: ` +
          `cast it to one of ${[...SUPPORTED_ELEMENT_TYPES].join(", ")} in the graph`,
      );
    }
  }
}
