/**
 * What a node needs to know about one request, read from the chain: its on-chain record, its input (inline from the
 * `InferenceRequested` event, or fetched by URI and checked against its hash), its model, and the posted result.
 * Shared by workers (who compute) and verifiers (who re-compute and compare).
 */
import { ethers } from "ethers";

import type {
  ICommitteeModule,
  IDisputeCourt,
  IInferenceHub,
  IModelRegistry,
  IOptimisticModule,
  ISettlement,
  IStaking,
} from "../../typechain-types/index.js";
import { InputFetchError, fetchInput } from "../inputs/fetch.js";
import { checkPostedGeneration, executeGeneration, type GenerationJob, type LanguageModelHost } from "../lm/serving.js";
import { encodeErrorResult } from "../model/errorResult.js";
import { OnnxParseError, UnsupportedModelError, assertServable, inspectOnnx } from "../model/inspect.js";
import { ModelLoadError, type ModelRuntime, type InferenceOutcome } from "../model/runtime.js";
import type { ModelStore } from "../model/store.js";
import { compareOutputs } from "../model/tolerance.js";
import type { JsonStateFile } from "../chain/stateFile.js";
import { TxRevertedError, type TxSender } from "../chain/sender.js";
import type { Logger } from "./logger.js";
import type { EventFeed } from "./runner.js";

export type RequestRecord = Awaited<ReturnType<IInferenceHub["getRequest"]>>;

/**
 * The v2 contracts a node talks to, connected to its signer, and their addresses (lower case) so a request's
 * module can be recognised. Nodes use the interfaces only, so any implementation of them will do.
 */
export interface NodeContracts {
  hub: IInferenceHub;
  registry: IModelRegistry;
  staking: IStaking;
  settlement: ISettlement;
  optimistic: IOptimisticModule;
  committee: ICommitteeModule;
  court: IDisputeCourt;
  /** The OPG token (bond deposits approve the settlement contract). */
  token: string;
  /** Block of the deployment: event scans start here. */
  fromBlock: number;
}

/** What every node is built from (see factory.ts); each role adds its own options and state type. */
export interface NodeDeps<State> {
  contracts: NodeContracts;
  hub: IInferenceHub;
  registry: IModelRegistry;
  /** The operator this node acts for. */
  address: string;
  sender: TxSender;
  feed: EventFeed;
  store: ModelStore;
  runtime: ModelRuntime;
  /** Open causal language models (CAUSAL_LM requests), loaded from `store`. */
  languageModels: LanguageModelHost;
  stateFile: JsonStateFile<State>;
  logger: Logger;
  /** Current chain time in seconds (latest block timestamp). */
  chainTime: () => Promise<bigint>;
  /** The latest block: its number and timestamp (one RPC). */
  chainHead: () => Promise<{ number: number; timestamp: bigint }>;
  ipfsGateway?: string;
}
export type ModelRecord = IModelRegistry.ModelStructOutput;

export interface RequestContext {
  requestId: bigint;
  request: RequestRecord;
  model: ModelRecord;
  /** Canonical input bytes, or null when they could not be obtained (then `inputProblem` says why). */
  input: Uint8Array | null;
  inputProblem: string | null;
  /** Whether fetching the input may succeed later (its source was unreachable or answered 5xx). */
  inputRetryable: boolean;
}

/** Thrown when a request's on-chain data cannot be found (wrong hub address or pruned logs). */
export class RequestDataError extends Error {
  constructor(requestId: bigint, what: string) {
    super(`request ${requestId}: ${what}. Check that the node points at the right hub and an archive-capable RPC.`);
    this.name = "RequestDataError";
  }
}

// Inputs by URI: fetched and checked against their on-chain keccak256 (offchain/inputs/fetch.ts).
export { fetchInput };

/** Reads everything about `requestId` a worker or verifier needs. */
export async function loadRequestContext(
  hub: IInferenceHub,
  registry: IModelRegistry,
  requestId: bigint,
  ipfsGateway?: string,
): Promise<RequestContext> {
  const request = await hub.getRequest(requestId); // reverts with HubUnknownRequest for an unknown id
  const [event] = await hub.queryFilter(hub.filters.InferenceRequested(requestId));
  if (event === undefined) throw new RequestDataError(requestId, "its InferenceRequested event was not found");
  const model = await registry.getModel(request.modelId);
  const { input, inputUri, inputHash } = event.args;
  if (ethers.dataLength(input) > 0) {
    return { requestId, request, model, input: ethers.getBytes(input), inputProblem: null, inputRetryable: false };
  }
  try {
    const bytes = await fetchInput(inputUri, inputHash, ipfsGateway);
    return { requestId, request, model, input: bytes, inputProblem: null, inputRetryable: false };
  } catch (error) {
    const retryable = error instanceof InputFetchError && error.retryable;
    return {
      requestId,
      request,
      model,
      input: null,
      inputProblem: (error as Error).message,
      inputRetryable: retryable,
    };
  }
}

/** The result the worker posted (from its `ResultSubmitted` event). */
export async function loadPostedResult(
  hub: IInferenceHub,
  requestId: bigint,
): Promise<{ output: Uint8Array; isError: boolean; resultHash: string }> {
  const events = await hub.queryFilter(hub.filters.ResultSubmitted(requestId));
  const event = events.at(-1);
  if (event === undefined) throw new RequestDataError(requestId, "its ResultSubmitted event was not found");
  return { output: ethers.getBytes(event.args.output), isError: event.args.isError, resultHash: event.args.resultHash };
}

/** `IModelRegistry.ModelKind.CAUSAL_LM`. */
export const KIND_CAUSAL_LM = 1n;

/** What a node serves models with: tensor models in `runtime`, language models in `languageModels`. */
export interface Serving {
  store: ModelStore;
  runtime: ModelRuntime;
  languageModels: LanguageModelHost;
}

/**
 * Runs the request's model on its input: the canonical output (a language model's generation), or a canonical
 * error result.
 */
export async function execute(
  context: RequestContext,
  serving: Serving,
  limits: { maxOutputBytes: bigint },
): Promise<InferenceOutcome> {
  const { model } = context;
  if (BigInt(model.kind) === KIND_CAUSAL_LM) {
    return executeGeneration(generationJob(context), serving.languageModels, limits);
  }
  const { store, runtime } = serving;
  const { bytes } = await store.get(model.uri, model.contentHash);
  // A model that cannot be served gets a verifiable error result (every verifier reaches the same verdict), so a
  // bad registration neither crashes nodes nor strands the request.
  let loaded;
  try {
    assertServable(inspectOnnx(bytes));
    loaded = await runtime.load(model.contentHash, bytes);
  } catch (error) {
    if (error instanceof UnsupportedModelError || error instanceof OnnxParseError || error instanceof ModelLoadError) {
      return { kind: "error", code: "MODEL_LOAD", detail: error.message, output: encodeErrorResult("MODEL_LOAD") };
    }
    throw error;
  }
  if (context.input === null) {
    return {
      kind: "error",
      code: "INPUT_FETCH",
      detail: context.inputProblem ?? "input unavailable",
      output: encodeErrorResult("INPUT_FETCH"),
    };
  }
  const outcome = await runtime.run(loaded, context.input, Number(model.outputDecimals));
  // The hub refuses larger outputs; worker and verifiers turn them into the same verifiable error result.
  if (outcome.kind === "ok" && BigInt(outcome.output.length) > limits.maxOutputBytes) {
    const detail = `canonical output is ${outcome.output.length} bytes, above the hub's ${limits.maxOutputBytes}`;
    return { kind: "error", code: "OUTPUT_TOO_LARGE", detail, output: encodeErrorResult("OUTPUT_TOO_LARGE") };
  }
  return outcome;
}

/**
 * A verifier's verdict on the posted result: a tensor result is re-executed and compared within tolerance; a
 * generation is checked by one teacher-forced pass (offchain/lm/serving.ts).
 */
export async function checkPosted(
  context: RequestContext,
  serving: Serving,
  limits: { maxOutputBytes: bigint },
  posted: Uint8Array,
): Promise<{ agree: boolean; reason: string }> {
  if (BigInt(context.model.kind) === KIND_CAUSAL_LM) {
    return checkPostedGeneration(generationJob(context), serving.languageModels, limits, posted);
  }
  const mine = await execute(context, serving, limits);
  const comparison = compareOutputs(mine.output, posted, context.model.tolerance);
  return { agree: comparison.agree, reason: comparison.reason };
}

function generationJob(context: RequestContext): GenerationJob {
  return {
    requestId: context.requestId,
    model: context.model,
    input: context.input,
    inputProblem: context.inputProblem,
  };
}

/** Outcome of a transaction whose revert may be an expected race: `reverted` names the tolerated custom error. */
export type SendOutcome =
  | { sent: true; receipt: ethers.TransactionReceipt }
  | { sent: false; errorName: string; args: ethers.Result | undefined };

/**
 * Sends a transaction; a revert with one of the `tolerated` custom errors (the step was already done by someone
 * else, or is not due yet) is returned instead of thrown. Nothing is broadcast for a revert found at estimation.
 */
export async function sendTolerant(
  sender: TxSender,
  logger: Logger,
  label: string,
  populate: () => Promise<ethers.ContractTransaction>,
  tolerated: ReadonlySet<string>,
  fields: Record<string, string> = {},
): Promise<SendOutcome> {
  try {
    const receipt = await sender.send(populate, label);
    logger.info("tx.mined", { ...fields, action: label, tx: receipt.hash, gasUsed: receipt.gasUsed });
    return { sent: true, receipt };
  } catch (error) {
    if (error instanceof TxRevertedError && tolerated.has(error.errorName ?? "")) {
      logger.debug("tx.not_applied", { ...fields, action: label, error: error.errorName });
      return { sent: false, errorName: error.errorName ?? "", args: error.errorArgs };
    }
    throw error;
  }
}

/**
 * Brings the operator's sortition weight back once its jail is over (jail ends by time in v2; the weight returns
 * with the permissionless `Staking.refresh`). Cheap when nothing is due: two or three view calls.
 * @returns whether a refresh was sent.
 */
export async function refreshIfUnjailed(
  staking: IStaking,
  sender: TxSender,
  logger: Logger,
  operator: string,
  role: number,
  now: bigint,
): Promise<boolean> {
  const op = await staking.getOperator(operator);
  if (op.jailedUntil === 0n || now < op.jailedUntil) return false;
  if ((await staking.weightOf(operator, role)) > 0n) return false;
  if (!(await staking.isEligible(operator, role))) return false;
  await sender.send(() => staking.refresh.populateTransaction(operator), `refresh ${operator}`);
  logger.info("operator.refreshed", { operator, role, jailedUntil: op.jailedUntil });
  return true;
}

/**
 * Drops finished jobs that finished more than `retainSeconds` of chain time before `now`, so the state file (written
 * on every step) does not grow with the node's whole history. Safe: an event delivered again later recreates the
 * job, and every job checks the chain before acting.
 * @returns how many jobs were dropped.
 */
export function pruneFinished<J extends { doneAt?: string }>(
  jobs: Record<string, J>,
  isFinished: (job: J) => boolean,
  now: bigint,
  retainSeconds: bigint,
): number {
  let dropped = 0;
  for (const [key, job] of Object.entries(jobs)) {
    if (!isFinished(job) || job.doneAt === undefined || BigInt(job.doneAt) + retainSeconds >= now) continue;
    delete jobs[key];
    dropped++;
  }
  return dropped;
}
