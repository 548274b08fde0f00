/**
 * Typed client for requesters and dApps: deposit, request an inference, follow it through the three layers, and
 * read its verified record. The Hardhat tasks (`deposit`, `infer`, `request:status`) are thin wrappers over it.
 */
import { ethers, type Signer } from "ethers";

import { decodeTensors, type TensorData } from "../codec/tensor.js";
import { connectContracts, type DeploymentAddresses, type ProtocolContracts } from "../chain/deployment.js";
import { decodeErrorResult } from "../model/errorResult.js";

export const STATUS_NAMES = ["None", "Requested", "Submitted", "Disputed", "Finalized", "Rejected", "Expired"] as const;
export const MODE_NAMES = ["NONE", "OPTIMISTIC", "COMMITTEE"] as const;
export type StatusName = (typeof STATUS_NAMES)[number];
export type StageName = "requested" | "assigned" | "computed" | "verified" | "settled";

export interface Stage {
  name: StageName;
  detail: string;
  txHash: string;
  blockNumber: number;
}

export interface InferenceRecord {
  requestId: bigint;
  modelId: bigint;
  requester: string;
  mode: (typeof MODE_NAMES)[number];
  status: StatusName;
  worker: string | null;
  stages: Stage[];
  output: { bytes: string; isError: boolean; errorCode: string | null; tensors: TensorData[] | null } | null;
  resultHash: string | null;
  attestations: Array<{ verifier: string; agree: boolean; txHash: string }>;
  dispute: {
    challenger: string;
    jurors: string[];
    votes: Array<{ juror: string; upholdWorker: boolean }>;
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
    | { kind: "refunded"; amount: bigint; reason: "rejected" | "expired" }
    | null;
  fee: { modelFee: bigint; protocolFee: bigint };
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

export type InferenceInput = Uint8Array | { uri: string; hash: string };

export class OpgClient {
  readonly contracts: ProtocolContracts;

  constructor(
    addresses: DeploymentAddresses,
    readonly signer: Signer,
  ) {
    this.contracts = connectContracts(addresses, signer);
  }

  async address(): Promise<string> {
    return this.signer.getAddress();
  }

  /** Model fee + protocol fee a request for `modelId` locks now. */
  async quote(modelId: bigint): Promise<bigint> {
    const [modelFee, protocolFee] = await this.contracts.hub.quote(modelId);
    return modelFee + protocolFee;
  }

  /** Approves and deposits `amount` OPG into the caller's free hub balance. */
  async deposit(amount: bigint): Promise<string> {
    const { hub, token } = this.contracts;
    const owner = await this.address();
    const available = await token.balanceOf(owner);
    if (available < amount) {
      throw new Error(
        `wallet ${owner} holds ${ethers.formatEther(available)} OPG, less than ${ethers.formatEther(amount)}`,
      );
    }
    await (await token.approve(await hub.getAddress(), amount)).wait();
    const receipt = await (await hub.deposit(amount)).wait();
    return receipt?.hash ?? "";
  }

  /** Makes a request, depositing the missing part of the fee first when `autoDeposit` is set. */
  async request(
    modelId: bigint,
    input: InferenceInput,
    options: { callbackGasLimit?: number; autoDeposit?: boolean } = {},
  ): Promise<{ requestId: bigint; txHash: string }> {
    const { hub } = this.contracts;
    const fee = await this.quote(modelId);
    const balance = await hub.balanceOf(await this.address());
    if (balance < fee) {
      if (options.autoDeposit !== true) {
        throw new Error(
          `hub balance ${ethers.formatEther(balance)} OPG is below the fee ${ethers.formatEther(fee)} OPG: ` +
            "run `npx hardhat deposit --amount <OPG>` first",
        );
      }
      await this.deposit(fee - balance);
    }
    const inline = input instanceof Uint8Array;
    const params = {
      modelId,
      input: inline ? input : "0x",
      inputUri: inline ? "" : input.uri,
      inputHash: inline ? ethers.ZeroHash : input.hash,
      callbackGasLimit: options.callbackGasLimit ?? 0,
      maxFee: fee,
    };
    // A request's gas depends on the workers it draws, and the draw on its id: a request mined after someone else's
    // gets another id than its estimate saw and can need a few hundred gas more, while ethers' estimate has no margin
    // (the transaction then runs out of gas). Same margin as the nodes' TxSender.
    const gasLimit = ((await hub.request.estimateGas(params)) * 12n) / 10n;
    const tx = await hub.request(params, { gasLimit });
    const receipt = await tx.wait();
    for (const log of receipt?.logs ?? []) {
      const parsed = hub.interface.parseLog(log);
      if (parsed?.name === "InferenceRequested") return { requestId: parsed.args.requestId as bigint, txHash: tx.hash };
    }
    throw new Error(`transaction ${tx.hash} made no request`);
  }

  /**
   * Follows a request until it is settled, reporting each new stage. It also performs the permissionless
   * time-based steps when they are due (finalize after the window, reassign after a missed deadline), so a
   * requester never waits on someone else's liveness.
   */
  async wait(
    requestId: bigint,
    options: {
      onStage?: (stage: Stage, record: InferenceRecord) => void;
      timeoutSeconds?: number;
      pollMs?: number;
    } = {},
  ): Promise<InferenceRecord> {
    const started = Date.now();
    const seen = new Set<StageName>();
    const timeout = options.timeoutSeconds ?? 600;
    for (;;) {
      const record = await this.status(requestId);
      for (const stage of record.stages) {
        if (seen.has(stage.name)) continue;
        seen.add(stage.name);
        options.onStage?.(stage, record);
      }
      if (record.settlement !== null) return record;
      await this.#nudge(requestId, record);
      if ((Date.now() - started) / 1000 > timeout) throw new InferenceTimeoutError(requestId, record.status, timeout);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
    }
  }

  async #nudge(requestId: bigint, record: InferenceRecord): Promise<void> {
    const { hub } = this.contracts;
    const request = await hub.getRequest(requestId);
    const block = await this.signer.provider?.getBlock("latest");
    const now = BigInt(block?.timestamp ?? 0);
    if (now <= request.deadline) return;
    try {
      if (record.status === "Submitted") await (await hub.finalize(requestId)).wait();
      else if (record.status === "Requested") await (await hub.reassign(requestId)).wait();
    } catch {
      // Someone else moved it first: the next poll shows the new state.
    }
  }

  /** The request's full record, rebuilt from its on-chain events. */
  async status(requestId: bigint): Promise<InferenceRecord> {
    const { hub } = this.contracts;
    const request = await hub.getRequest(requestId);
    if (request.requester === ethers.ZeroAddress) throw new RequestNotFoundError(requestId);
    const q = <T extends Parameters<typeof hub.queryFilter>[0]>(filter: T) => hub.queryFilter(filter);
    const [
      requested,
      assigned,
      submitted,
      attested,
      challenged,
      opened,
      revealed,
      resolved,
      finalized,
      rejected,
      expired,
    ] = await Promise.all([
      q(hub.filters.InferenceRequested(requestId)),
      q(hub.filters.WorkerAssigned(requestId)),
      q(hub.filters.ResultSubmitted(requestId)),
      q(hub.filters.Attested(requestId)),
      q(hub.filters.Challenged(requestId)),
      q(hub.filters.DisputeOpened(requestId)),
      q(hub.filters.VoteRevealed(requestId)),
      q(hub.filters.DisputeResolved(requestId)),
      q(hub.filters.RequestFinalized(requestId)),
      q(hub.filters.RequestRejected(requestId)),
      q(hub.filters.RequestExpired(requestId)),
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
      output = {
        bytes: result.args.output,
        isError: result.args.isError,
        errorCode: result.args.isError ? decodeErrorResult(bytes) : null,
        tensors,
      };
    }
    const fin = finalized[0];
    const rej = rejected[0];
    const exp = expired[0];
    const res = resolved[0];
    if (res !== undefined) stage("verified", res.args.upheld ? "dispute: worker upheld" : "dispute: worker wrong", res);
    else if (fin !== undefined) {
      const how =
        MODE_NAMES[Number(request.mode)] === "NONE"
          ? "NONE mode: worker stake only"
          : MODE_NAMES[Number(request.mode)] === "COMMITTEE"
            ? `${attested.filter((a) => a.args.agree).length} committee attestations`
            : "no challenge inside the window";
      stage("verified", how, fin);
    }
    let settlement: InferenceRecord["settlement"] = null;
    if (fin !== undefined) {
      stage("settled", "fee split into credits", fin);
      settlement = {
        kind: "finalized",
        royaltyRecipient: fin.args.royaltyRecipient,
        royalty: fin.args.royalty,
        workerPay: fin.args.workerPay,
        verifierPay: fin.args.verifierPay,
        treasuryPay: fin.args.treasuryPay,
      };
    } else if (rej !== undefined) {
      stage("settled", "result rejected: requester refunded, worker slashed", rej);
      settlement = { kind: "refunded", amount: rej.args.refund, reason: "rejected" };
    } else if (exp !== undefined) {
      stage("settled", "expired: requester refunded", exp);
      settlement = { kind: "refunded", amount: exp.args.refund, reason: "expired" };
    }
    const challenge = challenged[0];
    const dispute = opened[0];
    return {
      requestId,
      modelId: request.modelId,
      requester: request.requester,
      mode: MODE_NAMES[Number(request.mode)] ?? "NONE",
      status: STATUS_NAMES[Number(request.status)] ?? "None",
      worker: request.worker === ethers.ZeroAddress ? null : request.worker,
      stages,
      output,
      resultHash: request.resultHash === ethers.ZeroHash ? null : request.resultHash,
      attestations: attested.map((a) => ({
        verifier: a.args.verifier,
        agree: a.args.agree,
        txHash: a.transactionHash,
      })),
      dispute:
        challenge === undefined
          ? null
          : {
              challenger: challenge.args.challenger,
              jurors: dispute === undefined ? [] : [...dispute.args.jurors],
              votes: revealed.map((v) => ({ juror: v.args.juror, upholdWorker: v.args.upholdWorker })),
              upheld: res === undefined ? null : res.args.upheld,
            },
      settlement,
      fee: { modelFee: request.modelFee, protocolFee: request.protocolFee },
    };
  }
}
