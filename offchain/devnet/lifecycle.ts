/**
 * Drives requests through the v2 lifecycle on a development chain: the calls a requester, a worker, committee
 * members, challengers and jurors make, scripted. Used by the integration tests and the gas benchmark.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ethers as ethersLib, type ContractTransactionReceipt, type ContractTransactionResponse } from "ethers";

import type { Protocol } from "./protocol.js";

/** Looks up the signer for an address the protocol chose (worker, committee member, juror). */
export class SignerBook {
  readonly #byAddress = new Map<string, HardhatEthersSigner>();

  constructor(signers: HardhatEthersSigner[]) {
    for (const signer of signers) this.#byAddress.set(signer.address.toLowerCase(), signer);
  }

  get(address: string): HardhatEthersSigner {
    const signer = this.#byAddress.get(address.toLowerCase());
    if (signer === undefined) throw new Error(`No local signer for ${address}: was it funded and staked here?`);
    return signer;
  }
}

/** Gas used by one transaction, keyed by lifecycle step. */
export interface StepGas {
  step: string;
  gasUsed: bigint;
}

export async function mined(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("transaction was dropped");
  if (receipt.status !== 1) throw new Error(`transaction ${receipt.hash} reverted`);
  return receipt;
}

/** The unique addresses (lower case) of a panel given one entry per seat, in first-seat order. */
export function uniqueMembers(seats: readonly string[]): string[] {
  return [...new Set(seats.map((a) => a.toLowerCase()))];
}

/** Mines one empty block. */
export async function mineBlock(protocol: Protocol): Promise<void> {
  await protocol.provider.send("evm_mine", []);
}

/** Mines blocks until the randomness of `ticket` can be read (the source's delay; 1 block on local chains). */
export async function mineUntilReady(protocol: Protocol, ticket: bigint, maxBlocks = 256): Promise<void> {
  for (let i = 0; i <= maxBlocks; i++) {
    const [status] = await protocol.randomness.read(ticket);
    if (status !== 0n) return; // Ready, or Expired (the draw then requests a new ticket)
    await mineBlock(protocol);
  }
  throw new Error(`randomness ticket ${ticket} still pending after ${maxBlocks} blocks`);
}

/** Moves chain time past `timestamp` (the next block is at `timestamp + 1`, mined now). */
export async function passTime(protocol: Protocol, timestamp: bigint): Promise<void> {
  const provider = protocol.provider;
  const latest = await provider.getBlock("latest");
  if (latest !== null && BigInt(latest.timestamp) > timestamp) {
    await provider.send("evm_mine", []);
    return;
  }
  await provider.send("evm_setNextBlockTimestamp", [Number(timestamp) + 1]);
  await provider.send("evm_mine", []);
}

/** The request parameters of an inline-input request. */
export function inlineRequest(
  modelId: bigint,
  input: Uint8Array,
  options: { callbackGasLimit?: number; maxFee?: bigint } = {},
) {
  return {
    modelId,
    input,
    inputUri: "",
    inputHash: ethersLib.ZeroHash,
    callbackGasLimit: options.callbackGasLimit ?? 0,
    maxFee: options.maxFee ?? ethersLib.MaxUint256,
  };
}

/**
 * Makes a request with inline input; returns its id, the assigned worker and the receipt. `gasLimit` skips the
 * estimate: with requests in flight, the worker draw (and its gas) depends on state at mining time, so an estimate
 * taken before can fall short.
 */
export async function requestInference(
  protocol: Protocol,
  requester: HardhatEthersSigner,
  modelId: bigint,
  input: Uint8Array,
  options: { callbackGasLimit?: number; maxFee?: bigint; gasLimit?: bigint } = {},
): Promise<{ requestId: bigint; worker: string; receipt: ContractTransactionReceipt }> {
  const overrides = options.gasLimit !== undefined ? { gasLimit: options.gasLimit } : {};
  const receipt = await mined(
    protocol.hub.connect(requester).request(inlineRequest(modelId, input, options), overrides),
  );
  let requestId: bigint | undefined;
  let worker: string | undefined;
  for (const log of receipt.logs) {
    const parsed = protocol.hub.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") requestId = parsed.args.requestId as bigint;
    if (parsed?.name === "WorkerAssigned") worker = parsed.args.worker as string;
  }
  if (requestId === undefined || worker === undefined) {
    throw new Error("request: no InferenceRequested/WorkerAssigned event in the receipt");
  }
  return { requestId, worker, receipt };
}

/** The assigned worker posts `output`. */
export async function submitAsWorker(
  protocol: Protocol,
  book: SignerBook,
  requestId: bigint,
  output: Uint8Array,
  isError = false,
): Promise<ContractTransactionReceipt> {
  const { worker } = await protocol.hub.getRequest(requestId);
  return mined(protocol.hub.connect(book.get(worker)).submitResult(requestId, output, isError));
}

/** Deterministic per-member salt for scripted votes (real verifiers use random salts and persist them). */
export function scriptedSalt(requestId: bigint, member: string, round = 0): string {
  return ethersLib.keccak256(
    ethersLib.solidityPacked(["uint256", "address", "uint8", "string"], [requestId, member, round, "salt"]),
  );
}

/** A staked verifier that is not a party of `requestId` (neither its requester nor its worker). */
export async function pickChallenger(
  protocol: Protocol,
  verifiers: HardhatEthersSigner[],
  requestId: bigint,
  skip: readonly string[] = [],
): Promise<HardhatEthersSigner> {
  const { worker, requester } = await protocol.hub.getRequest(requestId);
  const parties = new Set([worker, requester, ...skip].map((a) => a.toLowerCase()));
  const challenger = verifiers.find((v) => !parties.has(v.address.toLowerCase()));
  if (challenger === undefined) throw new Error("no verifier can challenge: all are parties to the request");
  return challenger;
}

/** Draws the committee of a submitted COMMITTEE request, once its randomness is readable. */
export async function drawCommittee(protocol: Protocol, requestId: bigint): Promise<ContractTransactionReceipt> {
  await mineUntilReady(protocol, (await protocol.committee.roundOf(requestId)).ticket);
  return mined(protocol.committee.drawCommittee(requestId));
}

/** Draws the jury of the current round of a court case, once its randomness is readable. */
export async function drawJury(protocol: Protocol, requestId: bigint): Promise<ContractTransactionReceipt> {
  await mineUntilReady(protocol, (await protocol.court.getCase(requestId)).ticket);
  return mined(protocol.court.drawJury(requestId));
}

/**
 * Runs a committee to its reveals: draws it (once its randomness is readable), every member commits then reveals `agree(member)`
 * (undefined: the member stays silent). Returns the gas of each step (one entry per transaction). Does not
 * finalize or escalate.
 */
export async function runCommittee(
  protocol: Protocol,
  book: SignerBook,
  requestId: bigint,
  agree: (member: string) => boolean | undefined,
): Promise<StepGas[]> {
  const steps: StepGas[] = [];
  const drawn = await drawCommittee(protocol, requestId);
  steps.push({ step: "drawCommittee", gasUsed: drawn.gasUsed });
  const members = uniqueMembers(await protocol.committee.committeeOf(requestId));
  const votes = new Map(members.map((member) => [member, agree(member)]));
  for (const [member, vote] of votes) {
    if (vote === undefined) continue;
    const salt = scriptedSalt(requestId, member);
    const commitment = await protocol.committee.attestationCommitment(requestId, member, vote, salt);
    const receipt = await mined(protocol.committee.connect(book.get(member)).commitAttestation(requestId, commitment));
    steps.push({ step: "commitAttestation", gasUsed: receipt.gasUsed });
  }
  const round = await protocol.committee.roundOf(requestId);
  if (round.committedSeats < round.seats) await passTime(protocol, round.commitDeadline);
  for (const [member, vote] of votes) {
    if (vote === undefined) continue;
    const receipt = await mined(
      protocol.committee.connect(book.get(member)).revealAttestation(requestId, vote, scriptedSalt(requestId, member)),
    );
    steps.push({ step: "revealAttestation", gasUsed: receipt.gasUsed });
  }
  const revealed = await protocol.committee.roundOf(requestId);
  if (revealed.revealedSeats < revealed.seats) await passTime(protocol, revealed.revealDeadline);
  return steps;
}

/**
 * Runs the current round of a court case: draws the jury (once its randomness is readable), every juror commits then reveals
 * `uphold(juror)` (undefined: stays silent), and resolves after the reveals. Returns the gas of each step.
 */
export async function runJury(
  protocol: Protocol,
  book: SignerBook,
  requestId: bigint,
  uphold: (juror: string) => boolean | undefined,
): Promise<StepGas[]> {
  const steps: StepGas[] = [];
  const drawn = await drawJury(protocol, requestId);
  steps.push({ step: "drawJury", gasUsed: drawn.gasUsed });
  const kase = await protocol.court.getCase(requestId);
  const round = Number(kase.round);
  const jurors = uniqueMembers(await protocol.court.juryOf(requestId, round));
  const votes = new Map(jurors.map((juror) => [juror, uphold(juror)]));
  for (const [juror, vote] of votes) {
    if (vote === undefined) continue;
    const salt = scriptedSalt(requestId, juror, round);
    const commitment = await protocol.court.voteCommitment(requestId, round, juror, vote, salt);
    const receipt = await mined(protocol.court.connect(book.get(juror)).commitVote(requestId, commitment));
    steps.push({ step: "commitVote", gasUsed: receipt.gasUsed });
  }
  const afterCommits = await protocol.court.getCase(requestId);
  if (afterCommits.committedSeats < afterCommits.seats) await passTime(protocol, afterCommits.commitDeadline);
  for (const [juror, vote] of votes) {
    if (vote === undefined) continue;
    const receipt = await mined(
      protocol.court.connect(book.get(juror)).revealVote(requestId, vote, scriptedSalt(requestId, juror, round)),
    );
    steps.push({ step: "revealVote", gasUsed: receipt.gasUsed });
  }
  const afterReveals = await protocol.court.getCase(requestId);
  if (afterReveals.revealedSeats < afterReveals.seats) await passTime(protocol, afterReveals.revealDeadline);
  const resolved = await mined(protocol.court.resolve(requestId));
  steps.push({ step: "resolve", gasUsed: resolved.gasUsed });
  return steps;
}
