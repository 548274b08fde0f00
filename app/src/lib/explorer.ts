/**
 * The explorer's view of one request, read from the chain only: the client's record (events of the three layers),
 * the model as registered, the input from the hub's `InferenceRequested` event, and the output decoded as a
 * generation, tensors or an error result. The result hash is recomputed here from the output bytes.
 */
import { ethers } from "ethers";

import type { InferenceRecord, OpgClient } from "../../../offchain/client/client.js";
import { decodeTensors, DType, type TensorData } from "../../../offchain/codec/tensor.js";
import { decodeGenerationResult, STOP_NAMES } from "../../../offchain/lm/generation.js";
import { decodeErrorResultDetail } from "../../../offchain/model/errorResult.js";
import type { LmTokenizer } from "../../../offchain/lm/tokenizer.js";
import type { ModeName, ModelKindName } from "./api.js";
import { errorText } from "./format.js";

// ------------------------------------------------------------------------------------------------ types

export interface RegisteredModel {
  id: bigint;
  kind: ModelKindName;
  mode: ModeName;
  owner: string;
  fee: bigint;
  contentHash: string;
  uri: string;
  tokenizerHash: string;
  tokenizerUri: string;
  contextLength: number;
  eosTokenId: number;
  outputDecimals: number;
}

export type InputView =
  | {
      kind: "generation";
      promptText: string | null;
      promptIds: number[];
      maxNewTokens: number;
      temperature: number;
      seed: bigint;
    }
  | { kind: "tensors"; tensors: TensorData[] }
  | { kind: "unreadable"; problem: string };

export type OutputView =
  | { kind: "generation"; text: string | null; tokens: number[]; stop: string }
  | { kind: "tensors"; tensors: TensorData[] }
  | { kind: "error"; code: string; detail: string | null }
  | { kind: "unreadable"; problem: string };

export interface RequestInput {
  /** Inline bytes (null: passed by URI and not fetched). */
  bytes: string | null;
  uri: string | null;
  hash: string | null;
  /** Passed by URI: whether the fetched bytes hash to the committed `inputHash` (null: not fetched). */
  uriCheck: { fetched: boolean; matches: boolean | null; problem: string | null } | null;
  txHash: string;
  callbackGasLimit: bigint;
  view: InputView | null;
}

export interface HashCheck {
  /** keccak256 of the posted output bytes, computed in this browser. */
  computed: string;
  /** The hub's `resultHash`. */
  onChain: string | null;
  matches: boolean;
}

export interface ExplorerData {
  record: InferenceRecord;
  model: RegisteredModel;
  input: RequestInput | null;
  output: OutputView | null;
  hashCheck: HashCheck | null;
  /** The tokenizer could not be loaded: texts are missing, ids are shown. */
  tokenizerProblem: string | null;
}

const KINDS: ModelKindName[] = ["TENSOR", "CAUSAL_LM"];
const MODES: ModeName[] = ["NONE", "OPTIMISTIC", "COMMITTEE"];

// ------------------------------------------------------------------------------------------------ loading

/** Everything the explorer shows about `requestId` (the record throws `RequestNotFoundError` for an unknown id). */
export async function loadRequest(client: OpgClient, requestId: bigint): Promise<ExplorerData> {
  const record = await client.status(requestId);
  const { hub, registry } = client.contracts;
  const [raw, events] = await Promise.all([
    registry.getModel(record.modelId),
    hub.queryFilter(hub.filters.InferenceRequested(requestId), client.contracts.addresses.fromBlock),
  ]);
  const model: RegisteredModel = {
    id: record.modelId,
    kind: KINDS[Number(raw.kind)] ?? "TENSOR",
    mode: MODES[Number(raw.mode)] ?? "NONE",
    owner: raw.owner,
    fee: raw.fee,
    contentHash: raw.contentHash,
    uri: raw.uri,
    tokenizerHash: raw.tokenizerHash,
    tokenizerUri: raw.tokenizerUri,
    contextLength: Number(raw.contextLength),
    eosTokenId: Number(raw.eosTokenId),
    outputDecimals: Number(raw.outputDecimals),
  };

  let tokenizer: LmTokenizer | null = null;
  let tokenizerProblem: string | null = null;
  if (model.kind === "CAUSAL_LM") {
    try {
      tokenizer = (await client.languageModel(record.modelId)).tokenizer;
    } catch (error) {
      tokenizerProblem = errorText(error);
    }
  }

  const event = events[0];
  let input: RequestInput | null = null;
  if (event !== undefined) {
    const { input: inline, inputUri, inputHash, callbackGasLimit } = event.args;
    const byUri = inputUri !== "";
    let bytes: Uint8Array | null = byUri ? null : ethers.getBytes(inline);
    let uriCheck: RequestInput["uriCheck"] = null;
    if (byUri) {
      const fetched = await fetchByUri(inputUri, inputHash);
      uriCheck = { fetched: fetched.bytes !== null, matches: fetched.matches, problem: fetched.problem };
      if (fetched.matches === true) bytes = fetched.bytes;
    }
    input = {
      bytes: byUri ? null : inline,
      uri: byUri ? inputUri : null,
      hash: byUri ? inputHash : null,
      uriCheck,
      txHash: event.transactionHash,
      callbackGasLimit,
      view: bytes === null ? null : readInput(bytes, model.kind, tokenizer),
    };
  }

  let output: OutputView | null = null;
  let hashCheck: HashCheck | null = null;
  if (record.output !== null) {
    const bytes = ethers.getBytes(record.output.bytes);
    output = readOutput(bytes, model, tokenizer);
    const computed = ethers.keccak256(bytes);
    hashCheck = {
      computed,
      onChain: record.resultHash,
      matches: record.resultHash !== null && computed.toLowerCase() === record.resultHash.toLowerCase(),
    };
  }
  return { record, model, input, output, hashCheck, tokenizerProblem };
}

/** An input passed by URI, when the browser can fetch it (http/https, and the server allows it). */
async function fetchByUri(
  uri: string,
  hash: string,
): Promise<{ bytes: Uint8Array | null; matches: boolean | null; problem: string | null }> {
  if (!/^https?:\/\//.test(uri)) return { bytes: null, matches: null, problem: "not fetchable from a browser" };
  try {
    const response = await fetch(uri);
    if (!response.ok) return { bytes: null, matches: null, problem: `the store answered ${response.status}` };
    const bytes = new Uint8Array(await response.arrayBuffer());
    const matches = ethers.keccak256(bytes).toLowerCase() === hash.toLowerCase();
    return { bytes, matches, problem: matches ? null : "the fetched bytes do not hash to the committed inputHash" };
  } catch (error) {
    return { bytes: null, matches: null, problem: errorText(error) };
  }
}

// ------------------------------------------------------------------------------------------------ decoding

function readInput(bytes: Uint8Array, kind: ModelKindName, tokenizer: LmTokenizer | null): InputView {
  let tensors: TensorData[];
  try {
    tensors = decodeTensors(bytes);
  } catch (error) {
    return { kind: "unreadable", problem: `not a canonical tensor encoding: ${errorText(error)}` };
  }
  const [prompt, params] = tensors;
  if (kind !== "CAUSAL_LM" || tensors.length !== 2 || prompt === undefined || params === undefined) {
    return { kind: "tensors", tensors };
  }
  const promptIds = (prompt.data as Array<bigint | number>).map(Number);
  const [maxNewTokens, temperatureMilli, seed] = (params.data as Array<bigint | number>).map(BigInt);
  let promptText: string | null = null;
  try {
    promptText = tokenizer?.decode(promptIds) ?? null;
  } catch {
    promptText = null;
  }
  return {
    kind: "generation",
    promptText,
    promptIds,
    maxNewTokens: Number(maxNewTokens ?? 0n),
    temperature: Number(temperatureMilli ?? 0n) / 1000,
    seed: seed ?? 0n,
  };
}

function readOutput(bytes: Uint8Array, model: RegisteredModel, tokenizer: LmTokenizer | null): OutputView {
  const error = decodeErrorResultDetail(bytes);
  if (error !== null) return { kind: "error", code: error.code, detail: error.detail };
  if (model.kind === "CAUSAL_LM") {
    const generation = decodeGenerationResult(bytes);
    if ("problem" in generation) return { kind: "unreadable", problem: generation.problem };
    const visible = generation.tokens.filter((t, i) => !(i === generation.tokens.length - 1 && t === model.eosTokenId));
    let text: string | null = null;
    try {
      text = tokenizer?.decode(visible) ?? null;
    } catch {
      text = null;
    }
    return { kind: "generation", text, tokens: generation.tokens, stop: STOP_NAMES[generation.stop] };
  }
  try {
    return { kind: "tensors", tensors: decodeTensors(bytes) };
  } catch (e) {
    return { kind: "unreadable", problem: `not a canonical tensor encoding: ${errorText(e)}` };
  }
}

/** A tensor element as text: fixed-point values scaled by their decimals. */
export function tensorValues(tensor: TensorData, limit = 64): string {
  const scale = tensor.decimals > 0 ? 10 ** tensor.decimals : 1;
  const values = (tensor.data as Array<bigint | number | boolean>).slice(0, limit).map((v) => {
    if (typeof v === "boolean") return String(v);
    if (typeof v === "bigint" && tensor.decimals > 0) return (Number(v) / scale).toFixed(Math.min(tensor.decimals, 6));
    // float32 elements decode to the nearest double: print them with float32's 7 significant digits.
    if (typeof v === "number" && tensor.dtype === DType.FLOAT) return String(Number(v.toPrecision(7)));
    return String(v);
  });
  const more = tensor.data.length - values.length;
  return `[${values.join(", ")}${more > 0 ? `, … ${more} more` : ""}]`;
}
