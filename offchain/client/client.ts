/**
 * Typed client for requesters and dApps: deposit into the settlement contract, request an inference from the hub,
 * follow it through the three layers (inference, verification, settlement), and read its verified record. The
 * Hardhat tasks (`deposit`, `withdraw`, `claim`, `infer`, `request:status`) are thin wrappers over it.
 */
import { ethers, type Signer } from "ethers";

import { decodeTensors, type TensorData } from "../codec/tensor.js";
import { connectContracts, type DeploymentAddresses, type ProtocolContracts } from "../chain/contracts.js";
import { decodeErrorResultDetail } from "../model/errorResult.js";
import { uploadInput } from "../inputs/upload.js";
import { encodeGenerationRequest } from "../lm/generation.js";
import {
  buildGenerationRequest,
  readGeneration,
  TokenizerCache,
  type GenerateOptions,
  type GenerationOutcome,
  type LanguageModelInfo,
  type TokenizerSource,
} from "./generation.js";

export const STATUS_NAMES = [
  "None",
  "Requested",
  "Submitted",
  "Disputed",
  "Finalized",
  "Rejected",
  "Expired",
  "Refunded",
] as const;
export const MODE_NAMES = ["NONE", "OPTIMISTIC", "COMMITTEE"] as const;
/** Court outcomes, in the order of `IDisputeCourt.Outcome`. */
export const OUTCOME_NAMES = ["None", "Pending", "Upheld", "Rejected", "Undecided"] as const;
export type StatusName = (typeof STATUS_NAMES)[number];
export type ModeName = (typeof MODE_NAMES)[number];
export type OutcomeName = (typeof OUTCOME_NAMES)[number];
export type StageName = "requested" | "assigned" | "computed" | "verified" | "settled";

/** Statuses a request never leaves. */
export const TERMINAL: ReadonlySet<StatusName> = new Set<StatusName>(["Finalized", "Rejected", "Expired", "Refunded"]);

export interface Stage {
  name: StageName;
  detail: string;
  txHash: string;
  blockNumber: number;
}

export interface JuryRound {
  round: number;
  /** One entry per seat (an address holding several seats appears several times). */
  seats: string[];
  votes: Array<{ juror: string; upholdWorker: boolean; seats: number }>;
}

export interface InferenceRecord {
  requestId: bigint;
  modelId: bigint;
  requester: string;
  mode: ModeName;
  status: StatusName;
  worker: string | null;
  stages: Stage[];
  /** Assignments that ended without a result: declined by the worker (no penalty) or timed out (penalised). */
  failedAssignments: Array<{ worker: string; kind: "declined" | "timedOut"; detail: string; txHash: string }>;
  /** The posted result; for an error result its code and, for input errors, the detail (expected vs got). */
  output: {
    bytes: string;
    isError: boolean;
    errorCode: string | null;
    errorDetail: string | null;
    tensors: TensorData[] | null;
  } | null;
  resultHash: string | null;
  /** COMMITTEE: the committee's seats (one entry per seat), empty before the draw. */
  committee: string[];
  /** COMMITTEE: revealed attestations. */
  attestations: Array<{ verifier: string; agree: boolean; seats: number; txHash: string }>;
  /** The court case of the request, if one was opened. */
  dispute: {
    /** The first challenger (for a committee escalation: the first disagreeing member). */
    challenger: string;
    challengers: string[];
    /** Unique jurors of the latest round. */
    jurors: string[];
    /** Revealed votes of the latest round. */
    votes: Array<{ juror: string; upholdWorker: boolean }>;
    rounds: JuryRound[];
    outcome: OutcomeName;
    /** true: the worker's result stood; false: it was wrong; null: pending or undecided. */
    upheld: boolean | null;
  } | null;
  settlement:
    | {
        kind: "finalized";
        royaltyRecipient: string;
        royalty: bigint;
        workerPay: bigint;
        verifierPay: bigint;
        treasuryPay: bigint;
      }
    | { kind: "refunded"; amount: bigint; reason: "rejected" | "expired" | "refunded" }
    | null;
  fee: { modelFee: bigint; protocolFee: bigint; callbackFee: bigint };
  /** The chain's time when the record was read (seconds). */
  chainTime: bigint;
  /** The open windows of a request that is not terminal, with the time each ends (chain seconds). */
  deadlines: Array<{ label: string; at: bigint }>;
}

export class RequestNotFoundError extends Error {
  constructor(requestId: bigint) {
    super(`request ${requestId} does not exist on this hub: check the id and the --network you are using`);
    this.name = "RequestNotFoundError";
  }
}

export class InferenceTimeoutError extends Error {
  constructor(requestId: bigint, status: string, seconds: number) {
    super(
      `request ${requestId} is still ${status} after ${seconds} s. It is not lost: follow it with ` +
        `\`npx hardhat request:status --id ${requestId}\`; time-based steps are permissionless and will complete it.`,
    );
    this.name = "InferenceTimeoutError";
  }
}

/** The wallet or the settlement balance cannot cover an amount. */
export class InsufficientFundsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InsufficientFundsError";
  }
}

/** An input too large for calldata, and no input store configured to pass it by URI. */
export class InputNeedsStoreError extends Error {
  constructor(size: number, maxInline: bigint) {
    const why =
      BigInt(size) > maxInline
        ? `input is ${size} bytes, above the hub's inline limit of ${maxInline} bytes`
        : "passing the input through the input store was asked for, but no store is configured";
    super(
      `${why}: pass it through an input store (--store <url> or OPG_STORE_URL; \`npm run network\` runs one at ` +
        "http://127.0.0.1:8790, or start one with `npx hardhat store`), or by a URI of your own " +
        "(`infer --local-file` for workers on this machine only)",
    );
    this.name = "InputNeedsStoreError";
  }
}

/** Bytes (inline in calldata, or uploaded to the input store when too large), or a URI and keccak256 of your own. */
export type InferenceInput = Uint8Array | { uri: string; hash: string };

export interface OpgClientOptions {
  /**
   * Where registered tokenizers come from (language models). Default in Node: fetched by their registered URI and
   * checked against their sha256 (`./tokenizerSource.ts`); a browser passes its own.
   */
  tokenizerSource?: TokenizerSource;
  /**
   * Input store (offchain/inputs/store.ts) that inputs above the hub's inline limit are uploaded to, e.g.
   * `http://127.0.0.1:8790`; the request then carries the store's URI and the input's keccak256.
   */
  storeUrl?: string;
}

export interface Balances {
  /** OPG in the wallet. */
  wallet: bigint;
  /** Free balance in the settlement contract (pays request fees and challenge bonds). */
  free: bigint;
  /** Credits in the settlement contract (fee shares, rewards, returned bonds), claimable with `claim`. */
  credits: bigint;
}

/** The Node default, loaded on first use only (a browser bundle passes its own source and never loads it). */
function nodeTokenizerSource(): TokenizerSource {
  let source: Promise<TokenizerSource> | undefined;
  const specifier = "./tokenizerSource.js"; // not a literal: bundlers leave the Node-only module out
  return async (uri, sha256) => {
    source ??= import(/* @vite-ignore */ specifier).then((m: { storeTokenizerSource: () => TokenizerSource }) =>
      m.storeTokenizerSource(),
    );
    return (await source)(uri, sha256);
  };
}

export class OpgClient {
  readonly contracts: ProtocolContracts;
  readonly #tokenizers: TokenizerCache;

  constructor(
    addresses: DeploymentAddresses,
    readonly signer: Signer,
    readonly options: OpgClientOptions = {},
  ) {
    this.contracts = connectContracts(addresses, signer);
    this.#tokenizers = new TokenizerCache(options.tokenizerSource ?? nodeTokenizerSource());
  }

  /**
   * A registered causal language model with its tokenizer (fetched by its URI, checked against its sha256).
   * @throws {NotALanguageModelError} for a tensor model
   */
  async languageModel(modelId: bigint): Promise<LanguageModelInfo> {
    return this.#tokenizers.model(this.contracts.registry, modelId);
  }

  /**
   * Generates text with a causal language model: checks the request as the worker will (nothing is paid for a
   * prompt the model cannot take), sends it, follows it until it is terminal, and decodes the verified tokens.
   * @throws {GenerationInputError} for a prompt or options the model cannot serve (nothing was sent)
   * @throws {NoGenerationError} when the request ended without a generation (an error result, or refunded)
   */
  async generate(
    modelId: bigint,
    options: GenerateOptions & {
      /** The model as `languageModel(modelId)` returned it, when the caller already has it (saves the reads). */
      model?: LanguageModelInfo;
      autoDeposit?: boolean;
      onSent?: (sent: { requestId: bigint; txHash: string; promptTokens: number }) => void;
      onStage?: (stage: Stage, record: InferenceRecord) => void;
      onRecord?: (record: InferenceRecord) => void;
      timeoutSeconds?: number;
      pollMs?: number;
    },
  ): Promise<GenerationOutcome> {
    const model = options.model ?? (await this.languageModel(modelId));
    const request = buildGenerationRequest(model, options);
    const sent = await this.request(modelId, encodeGenerationRequest(request), { autoDeposit: options.autoDeposit });
    options.onSent?.({ requestId: sent.requestId, txHash: sent.txHash, promptTokens: request.prompt.length });
    const record = await this.wait(sent.requestId, options);
    return readGeneration(model, request, record);
  }

  /** Uploads `bytes` to the configured input store: the URI and keccak256 a request by URI carries. */
  async storeInput(bytes: Uint8Array): Promise<{ uri: string; hash: string }> {
    const storeUrl = this.options.storeUrl;
    if (storeUrl === undefined || storeUrl === "") {
      throw new InputNeedsStoreError(bytes.length, (await this.contracts.hub.params()).maxInputBytes);
    }
    return uploadInput(storeUrl, bytes);
  }

  async address(): Promise<string> {
    return this.signer.getAddress();
  }

  /** Total a request for `modelId` locks now: model fee + protocol fee + prepaid callback fee. */
  async quote(modelId: bigint, callbackGasLimit = 0): Promise<bigint> {
    const { hub } = this.contracts;
    const [modelFee, protocolFee] = await hub.quote(modelId);
    const callbackFee = callbackGasLimit === 0 ? 0n : BigInt(callbackGasLimit) * (await hub.params()).callbackFeePerGas;
    return modelFee + protocolFee + callbackFee;
  }

  /** Wallet, free settlement balance and claimable credits of the signer. */
  async balances(): Promise<Balances> {
    const owner = await this.address();
    const { token, settlement } = this.contracts;
    const [wallet, free, credits] = await Promise.all([
      token.balanceOf(owner),
      settlement.balanceOf(owner),
      settlement.creditsOf(owner),
    ]);
    return { wallet, free, credits };
  }

  /** Approves and deposits `amount` OPG into the caller's free balance in the settlement contract. */
  async deposit(amount: bigint): Promise<string> {
    const { settlement, token } = this.contracts;
    const owner = await this.address();
    const available = await token.balanceOf(owner);
    if (available < amount) {
      throw new InsufficientFundsError(
        `wallet ${owner} holds ${ethers.formatEther(available)} OPG, less than ${ethers.formatEther(amount)}`,
      );
    }
    const spender = this.contracts.addresses.settlement;
    if ((await token.allowance(owner, spender)) < amount) await (await token.approve(spender, amount)).wait();
    const receipt = await (await settlement.deposit(amount)).wait();
    return receipt?.hash ?? "";
  }

  /** Withdraws `amount` of the caller's free (unlocked) settlement balance to its wallet. */
  async withdraw(amount: bigint): Promise<string> {
    const { settlement } = this.contracts;
    const free = await settlement.balanceOf(await this.address());
    if (free < amount) {
      throw new InsufficientFundsError(
        `free settlement balance is ${ethers.formatEther(free)} OPG, less than ${ethers.formatEther(amount)} ` +
          "(fees of open requests stay locked until they settle)",
      );
    }
    const receipt = await (await settlement.withdraw(amount)).wait();
    return receipt?.hash ?? "";
  }

  /** Sends all of the caller's settlement credits to its wallet; returns the amount (0: nothing to claim). */
  async claim(): Promise<{ amount: bigint; txHash: string | null }> {
    const { settlement } = this.contracts;
    const amount = await settlement.creditsOf(await this.address());
    if (amount === 0n) return { amount, txHash: null };
    const receipt = await (await settlement.claim()).wait();
    return { amount, txHash: receipt?.hash ?? null };
  }

  /**
   * Makes a request, depositing the missing part of the price first when `autoDeposit` is set. Bytes above the hub's
   * inline limit (or any bytes, with `viaStore`) are uploaded to the input store first and passed by its URI;
   * `inputUri` in the answer is the URI the request carries (null: inline).
   */
  async request(
    modelId: bigint,
    input: InferenceInput,
    options: { callbackGasLimit?: number; autoDeposit?: boolean; viaStore?: boolean } = {},
  ): Promise<{ requestId: bigint; txHash: string; inputUri: string | null }> {
    const { hub, settlement } = this.contracts;
    // The input first: an input that cannot be passed must not leave a deposit behind.
    let payload: InferenceInput = input;
    if (input instanceof Uint8Array && input.length > 0) {
      const tooLarge = BigInt(input.length) > (await hub.params()).maxInputBytes;
      if (tooLarge || options.viaStore === true) payload = await this.storeInput(input);
    }
    const callbackGasLimit = options.callbackGasLimit ?? 0;
    const price = await this.quote(modelId, callbackGasLimit);
    const balance = await settlement.balanceOf(await this.address());
    if (balance < price) {
      if (options.autoDeposit !== true) {
        throw new InsufficientFundsError(
          `settlement balance ${ethers.formatEther(balance)} OPG is below the price ${ethers.formatEther(price)} ` +
            "OPG: run `npx hardhat deposit --amount <OPG>` first",
        );
      }
      await this.deposit(price - balance);
    }
    const byUri = payload instanceof Uint8Array ? null : payload;
    const params = {
      modelId,
      input: payload instanceof Uint8Array ? payload : "0x",
      inputUri: byUri?.uri ?? "",
      inputHash: byUri?.hash ?? ethers.ZeroHash,
      callbackGasLimit,
      maxFee: price,
    };
    // A request's gas depends on the worker it draws, and the draw on its id: a request mined after someone else's
    // gets another id than its estimate saw and can need more gas, while ethers' estimate has no margin (the
    // transaction then runs out of gas). Same margin as the nodes' TxSender.
    const gasLimit = ((await hub.request.estimateGas(params)) * 12n) / 10n;
    const tx = await hub.request(params, { gasLimit });
    const receipt = await tx.wait();
    for (const log of receipt?.logs ?? []) {
      const parsed = hub.interface.parseLog(log);
      if (parsed?.name === "InferenceRequested") {
        return {
          requestId: parsed.args.requestId as bigint,
          txHash: tx.hash,
          inputUri: byUri?.uri ?? null,
        };
      }
    }
    throw new Error(`transaction ${tx.hash} made no request`);
  }

  /**
   * Follows a request until it is terminal, reporting each new stage. It also performs the permissionless
   * time-based steps when they are due — reassign after a missed response deadline, finalize once the module has a
   * verdict, escalate a committee that missed its quorum, resolve a court round after its deadline — so a requester
   * never waits on someone else's liveness.
   */
  async wait(
    requestId: bigint,
    options: {
      onStage?: (stage: Stage, record: InferenceRecord) => void;
      /** Called with every record read while waiting (to show reassignments, declines, disputes as they happen). */
      onRecord?: (record: InferenceRecord) => void;
      timeoutSeconds?: number;
      pollMs?: number;
    } = {},
  ): Promise<InferenceRecord> {
    const started = Date.now();
    const seen = new Set<StageName>();
    const timeout = options.timeoutSeconds ?? 600;
    for (;;) {
      const record = await this.status(requestId);
      options.onRecord?.(record);
      for (const stage of record.stages) {
        if (seen.has(stage.name)) continue;
        seen.add(stage.name);
        options.onStage?.(stage, record);
      }
      if (TERMINAL.has(record.status)) return record;
      await this.nudge(requestId);
      if ((Date.now() - started) / 1000 > timeout) throw new InferenceTimeoutError(requestId, record.status, timeout);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
    }
  }

  /**
   * Performs the time-based step of `requestId` that is due now, if any (each is simulated first, so nothing is
   * sent that would revert). Returns the name of the step sent, or null.
   */
  async nudge(requestId: bigint): Promise<string | null> {
    const { hub, court, modules } = this.contracts;
    const request = await hub.getRequest(requestId);
    const status = STATUS_NAMES[Number(request.status)];
    const now = await this.#now();
    const attempt = async (call: { staticCall(): Promise<unknown>; send(): Promise<unknown> }) => {
      try {
        await call.staticCall();
      } catch {
        return false; // not due, or someone else moved it first: the next poll shows the new state
      }
      try {
        const tx = (await call.send()) as ethers.ContractTransactionResponse;
        await tx.wait();
        return true;
      } catch {
        return false;
      }
    };
    const step = (fn: { staticCall(id: bigint): Promise<unknown>; send(id: bigint): Promise<unknown> }) => ({
      staticCall: () => fn.staticCall(requestId),
      send: () => fn.send(requestId),
    });
    if (status === "Requested") {
      if (now > request.deadline && (await attempt(step(hub.reassign)))) return "reassign";
      return null;
    }
    if (status !== "Submitted" && status !== "Disputed") return null;
    if (await attempt(step(hub.finalize))) return "finalize";
    if (status === "Disputed") {
      const kase = await court.getCase(requestId);
      const phase = Number(kase.phase);
      const due = (phase === 1 && now > kase.drawDeadline) || (phase === 2 && now > kase.revealDeadline);
      if (due && (await attempt(step(court.resolve)))) return "resolve";
      return null;
    }
    if (request.module.toLowerCase() === this.contracts.addresses.modules.committee.toLowerCase()) {
      const round = await modules.committee.roundOf(requestId);
      if (round.seats > 0n && !round.escalated && now > round.revealDeadline) {
        if (await attempt(step(modules.committee.escalate))) return "escalate";
      }
    }
    return null;
  }

  async #now(): Promise<bigint> {
    const block = await this.signer.provider?.getBlock("latest");
    return BigInt(block?.timestamp ?? 0);
  }

  /** The request's full record, rebuilt from its on-chain events in the three layers. */
  async status(requestId: bigint): Promise<InferenceRecord> {
    const { hub, settlement, court, modules, addresses } = this.contracts;
    let request: Awaited<ReturnType<typeof hub.getRequest>>;
    try {
      request = await hub.getRequest(requestId);
    } catch (error) {
      if (hub.interface.parseError((error as { data?: string }).data ?? "0x")?.name === "HubUnknownRequest") {
        throw new RequestNotFoundError(requestId);
      }
      if (/HubUnknownRequest/.test(String((error as Error).message))) throw new RequestNotFoundError(requestId);
      throw error;
    }
    if (request.requester === ethers.ZeroAddress) throw new RequestNotFoundError(requestId);
    const from = addresses.fromBlock;
    const mode: ModeName = MODE_NAMES[Number(request.mode)] ?? "NONE";
    const isCommittee = request.module.toLowerCase() === addresses.modules.committee.toLowerCase();
    const [
      requested,
      assigned,
      declined,
      timedOut,
      submitted,
      finalized,
      rejected,
      expired,
      refunded,
      splits,
      opened,
      joined,
      juries,
      votes,
      resolved,
      drawn,
      revealed,
    ] = await Promise.all([
      hub.queryFilter(hub.filters.InferenceRequested(requestId), from),
      hub.queryFilter(hub.filters.WorkerAssigned(requestId), from),
      hub.queryFilter(hub.filters.WorkerDeclined(requestId), from),
      hub.queryFilter(hub.filters.WorkerTimedOut(requestId), from),
      hub.queryFilter(hub.filters.ResultSubmitted(requestId), from),
      hub.queryFilter(hub.filters.RequestFinalized(requestId), from),
      hub.queryFilter(hub.filters.RequestRejected(requestId), from),
      hub.queryFilter(hub.filters.RequestExpired(requestId), from),
      hub.queryFilter(hub.filters.RequestRefunded(requestId), from),
      settlement.queryFilter(settlement.filters.FeeSplitPaid(requestId), from),
      court.queryFilter(court.filters.CaseOpened(requestId), from),
      court.queryFilter(court.filters.ChallengerJoined(requestId), from),
      court.queryFilter(court.filters.JuryDrawn(requestId), from),
      court.queryFilter(court.filters.VoteRevealed(requestId), from),
      court.queryFilter(court.filters.CaseResolved(requestId), from),
      isCommittee ? modules.committee.queryFilter(modules.committee.filters.CommitteeDrawn(requestId), from) : [],
      isCommittee ? modules.committee.queryFilter(modules.committee.filters.AttestationRevealed(requestId), from) : [],
    ]);
    const stages: Stage[] = [];
    const stage = (name: StageName, detail: string, e: { transactionHash: string; blockNumber: number }) =>
      stages.push({ name, detail, txHash: e.transactionHash, blockNumber: e.blockNumber });

    const req = requested[0];
    if (req !== undefined) stage("requested", `model #${request.modelId}`, req);
    const lastAssign = assigned.at(-1);
    if (lastAssign !== undefined) {
      stage("assigned", `worker ${lastAssign.args.worker} (attempt ${lastAssign.args.attempt})`, lastAssign);
    }
    const failedAssignments: InferenceRecord["failedAssignments"] = [
      ...declined.map((e) => ({
        worker: e.args.worker,
        kind: "declined" as const,
        detail: reasonText(e.args.reason),
        txHash: e.transactionHash,
        order: [e.blockNumber, e.index],
      })),
      ...timedOut.map((e) => ({
        worker: e.args.worker,
        kind: "timedOut" as const,
        detail: `penalty ${ethers.formatEther(e.args.penalty)} OPG`,
        txHash: e.transactionHash,
        order: [e.blockNumber, e.index],
      })),
    ]
      .sort((a, b) => a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]!)
      .map(({ order: _order, ...rest }) => rest);

    const result = submitted.at(-1);
    let output: InferenceRecord["output"] = null;
    if (result !== undefined) {
      stage("computed", result.args.isError ? "error result posted" : "output posted", result);
      const bytes = ethers.getBytes(result.args.output);
      let tensors: TensorData[] | null = null;
      try {
        tensors = result.args.isError ? null : decodeTensors(bytes);
      } catch {
        tensors = null;
      }
      const error = result.args.isError ? decodeErrorResultDetail(bytes) : null;
      output = {
        bytes: result.args.output,
        isError: result.args.isError,
        errorCode: error?.code ?? null,
        errorDetail: error?.detail ?? null,
        tensors,
      };
    }

    const committee = drawn.length === 0 ? [] : [...drawn[drawn.length - 1]!.args.seats];
    const attestations = revealed.map((a) => ({
      verifier: a.args.member,
      agree: a.args.agree,
      seats: Number(a.args.seats),
      txHash: a.transactionHash,
    }));

    let dispute: InferenceRecord["dispute"] = null;
    const open = opened[0];
    const res = resolved[0];
    if (open !== undefined) {
      const challengers = joined.map((e) => e.args.challenger);
      const rounds: JuryRound[] = juries.map((j) => ({
        round: Number(j.args.round),
        seats: [...j.args.seats],
        votes: votes
          .filter((v) => v.args.round === j.args.round)
          .map((v) => ({ juror: v.args.juror, upholdWorker: v.args.upholdWorker, seats: Number(v.args.seats) })),
      }));
      const latest = rounds.at(-1);
      const outcome: OutcomeName = res === undefined ? "Pending" : (OUTCOME_NAMES[Number(res.args.outcome)] ?? "None");
      dispute = {
        challenger: challengers[0] ?? ethers.ZeroAddress,
        challengers,
        jurors: latest === undefined ? [] : uniqueAddresses(latest.seats),
        votes: latest === undefined ? [] : latest.votes.map(({ juror, upholdWorker }) => ({ juror, upholdWorker })),
        rounds,
        outcome,
        upheld: outcome === "Upheld" ? true : outcome === "Rejected" ? false : null,
      };
    }

    const fin = finalized[0];
    const rej = rejected[0];
    const exp = expired[0];
    const ref = refunded[0];
    if (res !== undefined) {
      const how =
        dispute?.outcome === "Upheld"
          ? "dispute: worker upheld"
          : dispute?.outcome === "Rejected"
            ? "dispute: worker wrong"
            : "dispute undecided";
      stage("verified", how, res);
    } else if (fin !== undefined) {
      const how =
        mode === "NONE"
          ? "NONE mode: worker stake only"
          : mode === "COMMITTEE"
            ? `${attestations.filter((a) => a.agree).reduce((n, a) => n + a.seats, 0)} committee seats attested`
            : "no challenge inside the window";
      stage("verified", how, fin);
    } else if (ref !== undefined) {
      stage("verified", mode === "COMMITTEE" ? "no committee could be drawn" : "verification undecided", ref);
    }

    let settled: InferenceRecord["settlement"] = null;
    const split = splits[0];
    if (fin !== undefined) {
      stage("settled", "fee split into credits", fin);
      settled = {
        kind: "finalized",
        royaltyRecipient: split?.args.royaltyRecipient ?? ethers.ZeroAddress,
        royalty: split?.args.royalty ?? 0n,
        workerPay: split?.args.workerPay ?? 0n,
        verifierPay: split?.args.verifierPay ?? 0n,
        treasuryPay: split?.args.treasuryPay ?? 0n,
      };
    } else if (rej !== undefined) {
      stage("settled", "result rejected: requester refunded, worker slashed", rej);
      settled = { kind: "refunded", amount: rej.args.refund, reason: "rejected" };
    } else if (exp !== undefined) {
      stage("settled", "expired: requester refunded", exp);
      settled = { kind: "refunded", amount: exp.args.refund, reason: "expired" };
    } else if (ref !== undefined) {
      stage("settled", "refunded: requester refunded, worker neither paid nor slashed", ref);
      settled = { kind: "refunded", amount: ref.args.refund, reason: "refunded" };
    }

    return {
      requestId,
      modelId: request.modelId,
      requester: request.requester,
      mode,
      status: STATUS_NAMES[Number(request.status)] ?? "None",
      worker: request.worker === ethers.ZeroAddress ? null : request.worker,
      stages,
      failedAssignments,
      output,
      resultHash: request.resultHash === ethers.ZeroHash ? null : request.resultHash,
      committee,
      attestations,
      dispute,
      settlement: settled,
      fee: { modelFee: request.modelFee, protocolFee: request.protocolFee, callbackFee: request.callbackFee },
      chainTime: await this.#now(),
      deadlines: await this.#deadlines(requestId, request, isCommittee),
    };
  }

  /** What the request waits for now, and until when: the response, a window, a committee or jury phase. */
  async #deadlines(
    requestId: bigint,
    request: { status: bigint; deadline: bigint; worker: string },
    isCommittee: boolean,
  ): Promise<InferenceRecord["deadlines"]> {
    const status = STATUS_NAMES[Number(request.status)];
    if (status === "Requested") return [{ label: `worker ${request.worker} answers by`, at: request.deadline }];
    if (status === "Disputed") {
      const kase = await this.contracts.court.getCase(requestId);
      const phase = Number(kase.phase);
      if (phase === 1) return [{ label: `jury (round ${kase.round}) drawn by`, at: kase.drawDeadline }];
      if (phase === 2) {
        return [
          { label: `jurors commit votes by`, at: kase.commitDeadline },
          { label: `jurors reveal votes by`, at: kase.revealDeadline },
        ];
      }
      return [];
    }
    if (status !== "Submitted") return [];
    if (!isCommittee) return request.deadline > 0n ? [{ label: "challenge window ends", at: request.deadline }] : [];
    const round = await this.contracts.modules.committee.roundOf(requestId);
    if (round.seats === 0n) return [{ label: "committee drawn by", at: round.drawDeadline }];
    return [
      { label: "committee commits by", at: round.commitDeadline },
      { label: "committee reveals by", at: round.revealDeadline },
    ];
  }
}

/** Distinct addresses in first-seen order (checksummed as given). */
function uniqueAddresses(seats: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const seat of seats) {
    if (seen.has(seat.toLowerCase())) continue;
    seen.add(seat.toLowerCase());
    out.push(seat);
  }
  return out;
}

/** A decline reason as text when it is a short string in bytes32, else its hex. */
function reasonText(reason: string): string {
  try {
    return ethers.decodeBytes32String(reason);
  } catch {
    return reason;
  }
}
