/**
 * Runs registered ONNX models with onnxruntime-node and turns every request into the bytes a worker posts: the
 * canonical output encoding (docs/TENSOR_ENCODING.md) or, when the request cannot produce one, an error result
 * (`./errorResult.ts`). Verifiers run the same code, so both sides reach the same bytes, or bytes within tolerance.
 *
 * Callers pass bytes that the model store already checked against the registry's sha256; sessions are cached by that
 * content hash (least recently used sessions are released past `maxSessions`).
 */
import ort from "onnxruntime-node";
import type { InferenceSession, OnnxValue, Tensor as OrtTensor } from "onnxruntime-node";

import {
  decodeTensors,
  DType,
  encodeCanonicalOutputs,
  canonicalizeOutputs,
  MAX_RANK,
  MAX_TENSORS,
  TensorCodecError,
  type TensorData,
} from "../codec/tensor.js";
import { encodeErrorResult, type ErrorCode } from "./errorResult.js";
import { checkInputs } from "./inputCheck.js";

// ------------------------------------------------------------------------------------------------ types

/** One model input or output as the runtime sees it. */
export interface TensorSpec {
  /** Name in the ONNX graph. */
  name: string;
  /** Element type in the canonical encoding. */
  dtype: DType;
  /** onnxruntime's name for the element type, e.g. `"float32"`. */
  ortType: string;
  /**
   * Dimensions: a number is fixed, a string is symbolic (`""` when the model leaves it unnamed). onnxruntime reports
   * `[]` both for scalars and for tensors without a declared shape, so `[]` means "any shape" to the input checks.
   */
  shape: ReadonlyArray<number | string>;
}

/** A model ready to run. Obtain it from {@link ModelRuntime.load}; it is valid until the runtime evicts or closes it. */
export interface LoadedModel {
  /** The content hash it was loaded under (lower-case `0x`-hex). */
  readonly contentHash: string;
  /** Graph inputs in order; request tensors are matched to them by position. */
  readonly inputs: readonly TensorSpec[];
  /** Graph outputs in order; the canonical output holds one tensor per output, in this order. */
  readonly outputs: readonly TensorSpec[];
}

/** What a request produced: the bytes to post, and for successes the canonical tensors they encode. */
export type InferenceOutcome =
  | { kind: "ok"; output: Uint8Array; tensors: TensorData[] }
  | { kind: "error"; code: ErrorCode; detail: string; output: Uint8Array };

export interface ModelRuntimeOptions {
  /** Most sessions kept open; the least recently used is released beyond it. Default 8. */
  maxSessions?: number;
  /**
   * onnxruntime session options. Default: CPU provider, one intra-op and one inter-op thread (single-threaded
   * reductions keep float results identical run to run), all graph optimisations.
   */
  sessionOptions?: InferenceSession.SessionOptions;
}

/** The model bytes cannot be turned into a runnable session; the node must not serve (or verify) this model. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";

  constructor(
    readonly contentHash: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Model ${contentHash} cannot be served: ${reason}`, options);
  }
}

/** A caller error in how the runtime is used (bad options, a model from another or closed runtime, bad decimals). */
export class ModelRuntimeUsageError extends Error {
  override readonly name = "ModelRuntimeUsageError";
}

// ------------------------------------------------------------------------------------------------ dtype mapping

interface OrtDtype {
  readonly dtype: DType;
  readonly ortType: OrtTensor.Type;
}

const BY_ORT_TYPE: ReadonlyMap<string, OrtDtype> = new Map<string, OrtDtype>([
  ["float32", { dtype: DType.FLOAT, ortType: "float32" }],
  ["float64", { dtype: DType.DOUBLE, ortType: "float64" }],
  ["uint8", { dtype: DType.UINT8, ortType: "uint8" }],
  ["int8", { dtype: DType.INT8, ortType: "int8" }],
  ["int16", { dtype: DType.INT16, ortType: "int16" }],
  ["int32", { dtype: DType.INT32, ortType: "int32" }],
  ["int64", { dtype: DType.INT64, ortType: "int64" }],
  ["bool", { dtype: DType.BOOL, ortType: "bool" }],
  ["uint32", { dtype: DType.UINT32, ortType: "uint32" }],
  ["uint64", { dtype: DType.UINT64, ortType: "uint64" }],
]);

/** Largest `outputDecimals` the registry accepts. */
export const MAX_OUTPUT_DECIMALS = 18;

/**
 * Session options used unless {@link ModelRuntimeOptions.sessionOptions} replaces them (a fresh object per call:
 * onnxruntime wraps the options it is given).
 */
export function defaultSessionOptions(): InferenceSession.SessionOptions {
  return { executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" };
}

// ------------------------------------------------------------------------------------------------ runtime

interface Entry {
  readonly model: LoadedModel;
  readonly session: InferenceSession;
  active: number;
  evicted: boolean;
}

/** Loads models into onnxruntime sessions (cached per content hash) and runs requests on them. */
export class ModelRuntime {
  readonly #maxSessions: number;
  readonly #sessionOptions: InferenceSession.SessionOptions;
  /** Open sessions, least recently used first. */
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry>>();
  readonly #byModel = new WeakMap<LoadedModel, Entry>();
  #sessionsCreated = 0;

  constructor(options: ModelRuntimeOptions = {}) {
    const maxSessions = options.maxSessions ?? 8;
    if (!Number.isSafeInteger(maxSessions) || maxSessions < 1) {
      throw new ModelRuntimeUsageError(`maxSessions is ${maxSessions}; set it to a positive integer.`);
    }
    this.#maxSessions = maxSessions;
    this.#sessionOptions = options.sessionOptions ?? defaultSessionOptions();
  }

  /** Sessions currently open. */
  get size(): number {
    return this.#entries.size;
  }

  /** onnxruntime sessions created so far (a cache hit creates none). */
  get sessionsCreated(): number {
    return this.#sessionsCreated;
  }

  /** Whether a session for `contentHash` is open. */
  has(contentHash: string): boolean {
    return this.#entries.has(normalizeHash(contentHash));
  }

  /**
   * The model for `contentHash`, from the session cache or by creating a session from `bytes` (which must be the
   * verified bytes of that hash; they are not re-hashed here).
   * @throws {ModelLoadError} when onnxruntime rejects the bytes or the model's inputs/outputs cannot be expressed in
   *   the canonical encoding v1.
   */
  async load(contentHash: string, bytes: Uint8Array): Promise<LoadedModel> {
    const key = normalizeHash(contentHash);
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, cached); // most recently used
      return cached.model;
    }
    let pending = this.#loading.get(key);
    if (pending === undefined) {
      pending = this.#create(key, bytes).finally(() => this.#loading.delete(key));
      this.#loading.set(key, pending);
    }
    return (await pending).model;
  }

  /**
   * Runs one request. `input` is the request's canonical tensor encoding; `outputDecimals` the model's registered
   * decimals. Request-level problems become an `error` outcome carrying the error result bytes to post; it never
   * throws for them.
   * @throws {ModelRuntimeUsageError} for `outputDecimals` outside 0..18 or a model this runtime no longer holds.
   */
  async run(model: LoadedModel, input: Uint8Array, outputDecimals: number): Promise<InferenceOutcome> {
    if (!Number.isInteger(outputDecimals) || outputDecimals < 0 || outputDecimals > MAX_OUTPUT_DECIMALS) {
      throw new ModelRuntimeUsageError(
        `outputDecimals is ${outputDecimals}; the registry allows integers 0..${MAX_OUTPUT_DECIMALS}: ` +
          "pass the model's registered value.",
      );
    }
    const entry = this.#byModel.get(model);
    if (entry === undefined || entry.evicted) {
      throw new ModelRuntimeUsageError(
        `Model ${model.contentHash} is not open in this runtime (evicted or loaded elsewhere): call load() again.`,
      );
    }

    let tensors: TensorData[];
    try {
      tensors = decodeTensors(input);
    } catch (error) {
      if (error instanceof TensorCodecError) return failure("INPUT_DECODE", `${error.code}: ${error.message}`);
      throw error;
    }
    const mismatch = checkInputs(model.inputs, tensors);
    if (mismatch !== null) return failure("INPUT_SCHEMA", mismatch);

    const feeds: Record<string, OrtTensor> = {};
    model.inputs.forEach((spec, i) => {
      feeds[spec.name] = toOrtTensor(tensors[i] as TensorData, spec);
    });

    let results: InferenceSession.ReturnType;
    entry.active++;
    try {
      results = await entry.session.run(feeds);
    } catch (error) {
      return failure("MODEL_RUNTIME", errorMessage(error));
    } finally {
      entry.active--;
      if (entry.evicted && entry.active === 0) void releaseQuietly(entry.session);
    }

    const raw: TensorData[] = [];
    for (const spec of model.outputs) {
      const value = results[spec.name];
      if (value === undefined) return failure("OUTPUT_INVALID", `output "${spec.name}" is missing from the results`);
      const converted = fromOrtTensor(value, spec);
      if (typeof converted === "string") return failure("OUTPUT_INVALID", converted);
      raw.push(converted);
    }
    try {
      const canonical = canonicalizeOutputs(raw, outputDecimals);
      return { kind: "ok", output: encodeCanonicalOutputs(raw, outputDecimals), tensors: canonical };
    } catch (error) {
      if (error instanceof TensorCodecError) return failure("OUTPUT_INVALID", `${error.code}: ${error.message}`);
      throw error;
    }
  }

  /** Releases the session of `contentHash` (after runs in progress finish). Returns whether one was open. */
  async evict(contentHash: string): Promise<boolean> {
    const key = normalizeHash(contentHash);
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    await this.#retire(entry);
    return true;
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((entry) => this.#retire(entry)));
  }

  async #create(key: string, bytes: Uint8Array): Promise<Entry> {
    let session: InferenceSession;
    try {
      // A copy per session: onnxruntime wraps and may annotate the options object it receives.
      const options = { ...this.#sessionOptions };
      if (options.executionProviders !== undefined) options.executionProviders = [...options.executionProviders];
      session = await ort.InferenceSession.create(bytes, options);
    } catch (error) {
      throw new ModelLoadError(
        key,
        `onnxruntime rejected the model (${errorMessage(error)}); check that the registered file is a valid ONNX ` +
          "model for onnxruntime 1.30 (CPU), or deregister it.",
        { cause: error },
      );
    }
    this.#sessionsCreated++;
    let model: LoadedModel;
    try {
      model = {
        contentHash: key,
        inputs: describe(key, "input", session.inputMetadata),
        outputs: describe(key, "output", session.outputMetadata),
      };
    } catch (error) {
      await releaseQuietly(session);
      throw error;
    }
    const entry: Entry = { model, session, active: 0, evicted: false };
    this.#byModel.set(model, entry);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxSessions) {
      const [oldestKey, oldest] = this.#entries.entries().next().value as [string, Entry];
      this.#entries.delete(oldestKey);
      await this.#retire(oldest);
    }
    return entry;
  }

  async #retire(entry: Entry): Promise<void> {
    entry.evicted = true;
    if (entry.active === 0) await releaseQuietly(entry.session);
  }
}

// ------------------------------------------------------------------------------------------------ internals

/** The input errors post their (deterministic) detail in the result; the others only their code. */
function failure(code: ErrorCode, detail: string): InferenceOutcome {
  return { kind: "error", code, detail, output: encodeErrorResult(code, detail) };
}

function describe(
  key: string,
  kind: "input" | "output",
  metadata: readonly InferenceSession.ValueMetadata[],
): TensorSpec[] {
  if (metadata.length < 1 || metadata.length > MAX_TENSORS) {
    throw new ModelLoadError(
      key,
      `the model has ${metadata.length} ${kind}s; the canonical encoding carries 1..${MAX_TENSORS} tensors. ` +
        `Re-export the model with 1..${MAX_TENSORS} ${kind}s.`,
    );
  }
  return metadata.map((meta) => {
    if (!meta.isTensor) {
      throw new ModelLoadError(
        key,
        `${kind} "${meta.name}" is not a tensor (sequence/map/optional); re-export the model with tensor ${kind}s.`,
      );
    }
    const mapped = BY_ORT_TYPE.get(meta.type);
    if (mapped === undefined) {
      throw new ModelLoadError(
        key,
        `${kind} "${meta.name}" has element type ${meta.type}, which the canonical encoding v1 does not carry; ` +
          "re-export the model with float32/float64/integer/bool tensors.",
      );
    }
    if (meta.shape.length > MAX_RANK) {
      throw new ModelLoadError(
        key,
        `${kind} "${meta.name}" has rank ${meta.shape.length}; the canonical encoding allows at most ${MAX_RANK}.`,
      );
    }
    return { name: meta.name, dtype: mapped.dtype, ortType: mapped.ortType, shape: [...meta.shape] };
  });
}

/** `null` when `tensors` fit `inputs`, otherwise the first mismatch. */
function toOrtTensor(tensor: TensorData, spec: TensorSpec): OrtTensor {
  const dims = tensor.shape;
  const data = tensor.data;
  switch (tensor.dtype) {
    case DType.FLOAT:
      return new ort.Tensor("float32", Float32Array.from(data as number[]), dims);
    case DType.DOUBLE:
      return new ort.Tensor("float64", Float64Array.from(data as number[]), dims);
    case DType.BOOL:
      return new ort.Tensor(
        "bool",
        Uint8Array.from(data as boolean[], (b) => (b ? 1 : 0)),
        dims,
      );
    case DType.INT64:
      return new ort.Tensor("int64", BigInt64Array.from(data as bigint[]), dims);
    case DType.UINT64:
      return new ort.Tensor("uint64", BigUint64Array.from(data as bigint[]), dims);
    case DType.UINT8:
      return new ort.Tensor("uint8", Uint8Array.from(data as bigint[], Number), dims);
    case DType.INT8:
      return new ort.Tensor("int8", Int8Array.from(data as bigint[], Number), dims);
    case DType.INT16:
      return new ort.Tensor("int16", Int16Array.from(data as bigint[], Number), dims);
    case DType.INT32:
      return new ort.Tensor("int32", Int32Array.from(data as bigint[], Number), dims);
    case DType.UINT32:
      return new ort.Tensor("uint32", Uint32Array.from(data as bigint[], Number), dims);
    case DType.FIXED64:
      // checkInputs already rejected it: no model input has FIXED64 type.
      throw new ModelRuntimeUsageError(`input "${spec.name}": FIXED64 cannot be fed to onnxruntime.`);
  }
}

/** The tensor, or a reason why the output is invalid. */
function fromOrtTensor(value: OnnxValue, spec: TensorSpec): TensorData | string {
  const mapped = BY_ORT_TYPE.get(value.type);
  if (mapped === undefined) return `output "${spec.name}" has element type ${value.type}, not supported`;
  const shape = [...value.dims];
  if (shape.length > MAX_RANK) return `output "${spec.name}" has rank ${shape.length}, above ${MAX_RANK}`;
  const data = value.data;
  switch (mapped.dtype) {
    case DType.FLOAT:
    case DType.DOUBLE: {
      const numbers = Array.from(data as Float32Array | Float64Array);
      const bad = numbers.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) return `output "${spec.name}" element ${bad} is ${numbers[bad]}`;
      return { dtype: mapped.dtype, decimals: 0, shape, data: numbers };
    }
    case DType.BOOL:
      return { dtype: DType.BOOL, decimals: 0, shape, data: Array.from(data as Uint8Array, (b) => b !== 0) };
    case DType.INT64:
    case DType.UINT64:
      return { dtype: mapped.dtype, decimals: 0, shape, data: Array.from(data as BigInt64Array | BigUint64Array) };
    default:
      return {
        dtype: mapped.dtype,
        decimals: 0,
        shape,
        data: Array.from(data as Uint8Array | Int8Array | Int16Array | Int32Array | Uint32Array, (x) => BigInt(x)),
      };
  }
}

function normalizeHash(contentHash: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(contentHash)) {
    throw new ModelRuntimeUsageError(
      `contentHash "${contentHash}" is not a 0x-prefixed 32-byte hex string; pass the registry's contentHash.`,
    );
  }
  return contentHash.toLowerCase();
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function releaseQuietly(session: InferenceSession): Promise<void> {
  try {
    await session.release();
  } catch {
    // Releasing twice or after a failed run is harmless; nothing the operator can do about it.
  }
}
