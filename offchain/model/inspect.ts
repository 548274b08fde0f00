/**
 * Reads what an ONNX file declares without running it: IR version, opsets, producer, graph inputs and outputs
 * (names, element types, dimensions), initializers, and whether tensors live in external data files. Used by the
 * `model:inspect` task before registration, and to refuse models OPG cannot serve.
 */
import { createHash } from "node:crypto";

import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";

import { DecoderConventionError, decoderSignature, looksLikeDecoder } from "../lm/convention.js";

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

/** What a graph in the decoder I/O convention (`offchain/lm/convention.ts`) declares. */
export interface DecoderInspection {
  /** The registry's model kind for it (`IModelRegistry.ModelKind.CAUSAL_LM`). */
  kind: "CAUSAL_LM";
  /** Columns of `logits` (or rows of the token embedding, or `metadata_props`), null when the file does not say. */
  vocabSize: number | null;
  /**
   * Longest sequence the model declares: `metadata_props` (`opg.context_length`, `max_position_embeddings`,
   * `n_positions`, `context_length`), else the rows of a position-embedding or rotary table initializer; null when
   * the file does not say (the registrant then states it).
   */
  contextLength: number | null;
  /** Number of `past_key_values` pairs; for a model without a cache, `metadata_props` or null. */
  layers: number | null;
  /** Whether it takes `past_key_values` (and returns `present`). */
  hasCache: boolean;
  hasPositionIds: boolean;
  /** Key/value heads and head size, when declared. */
  kvHeads: number | null;
  headDim: number | null;
  /** Why the graph breaks the decoder convention, or null when it follows it. */
  problem: string | null;
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
  /** Set when the inputs and outputs follow the decoder convention (`input_ids` in, `logits` out). */
  decoder: DecoderInspection | null;
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
  const inputs = (graph.input ?? []).filter((i) => !initializerNames.has(i.name ?? "")).map(tensorInfo);
  const outputs = (graph.output ?? []).map(tensorInfo);
  const initializerDims = new Map(
    (graph.initializer ?? []).map((t) => [t.name ?? "", (t.dims ?? []).map((d) => toNumber(d as number | Long))]),
  );
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
    inputs,
    outputs,
    initializers: initializerNames.size,
    externalData,
    docString: model.docString ?? "",
    metadata,
    decoder: looksLikeDecoder(inputs, outputs) ? inspectDecoder(inputs, outputs, metadata, initializerDims) : null,
  };
}

/** Metadata keys that state a decoder's context length, in the order they are tried. */
const CONTEXT_KEYS = ["opg.context_length", "max_position_embeddings", "n_positions", "context_length"];
/** Initializers whose first dimension is the context length: learned position embeddings, rotary tables. */
const POSITION_TABLE = /(^|[./_])(wpe|position_embeddings|embed_positions|pos_emb)(\.weight)?$|rotary_emb\.(cos|sin)/;
/** Initializers whose first dimension is the vocabulary: token embeddings. */
const TOKEN_TABLE = /(^|[./_])(wte|embed_tokens|word_embeddings|tok_embeddings)(\.weight)?$/;

function inspectDecoder(
  inputs: OnnxTensorInfo[],
  outputs: OnnxTensorInfo[],
  metadata: Record<string, string>,
  initializerDims: Map<string, number[]>,
): DecoderInspection {
  const declared = (keys: string[]): number | null => {
    for (const key of keys) {
      const value = Number(metadata[key]);
      if (metadata[key] !== undefined && Number.isSafeInteger(value) && value > 0) return value;
    }
    return null;
  };
  const tableRows = (pattern: RegExp): number | null => {
    for (const [name, dims] of initializerDims) if (pattern.test(name) && dims.length === 2) return dims[0] ?? null;
    return null;
  };
  let problem: string | null = null;
  let signature = null;
  try {
    signature = decoderSignature(inputs, outputs);
  } catch (error) {
    if (!(error instanceof DecoderConventionError)) throw error;
    problem = error.message;
  }
  return {
    kind: "CAUSAL_LM",
    vocabSize: signature?.vocabSize ?? declared(["opg.vocab_size", "vocab_size"]) ?? tableRows(TOKEN_TABLE),
    contextLength: declared(CONTEXT_KEYS) ?? tableRows(POSITION_TABLE),
    layers: signature?.hasCache === true ? signature.layers : declared(["opg.layers", "num_hidden_layers", "n_layer"]),
    hasCache: signature?.hasCache ?? false,
    hasPositionIds: signature?.hasPositionIds ?? false,
    kvHeads: signature?.kvHeads ?? null,
    headDim: signature?.headDim ?? null,
    problem,
  };
}

/** Oldest default-domain opset served: onnxruntime 1.30 runs opsets from 7 on (older ones are rejected by it). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/**
 * Throws {@link UnsupportedModelError} when OPG cannot serve the model as it is. A decoder (`input_ids` in,
 * `logits` out) must also follow the decoder I/O convention throughout (`offchain/lm/convention.ts`).
 */
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
  if (info.decoder?.problem != null) {
    throw new UnsupportedModelError(
      `the model looks like a causal language model (input_ids → logits) but ${info.decoder.problem}`,
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
