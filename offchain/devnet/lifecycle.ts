/**
 * Drives requests through the hub's lifecycle on a development chain: the same calls a worker, a verifier and a
 * requester make, scripted. Used by the demo, the integration tests and the gas benchmark.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ethers as ethersLib, type ContractTransactionReceipt, type ContractTransactionResponse } from "ethers";

import type { Protocol } from "./protocol.js";

/** Looks up the signer for an address the hub chose (worker, committee member, juror). */
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

/** Makes a request with inline input; returns its id and receipt. */
export async function requestInference(
  protocol: Protocol,
  requester: HardhatEthersSigner,
  modelId: bigint,
  input: Uint8Array,
  options: { callbackGasLimit?: number; maxFee?: bigint } = {},
): Promise<{ requestId: bigint; receipt: ContractTransactionReceipt }> {
  const receipt = await mined(
    protocol.hub.connect(requester).request({
      modelId,
      input,
      inputUri: "",
      inputHash: ethersLib.ZeroHash,
      callbackGasLimit: options.callbackGasLimit ?? 0,
      maxFee: options.maxFee ?? ethersLib.MaxUint256,
    }),
  );
  for (const log of receipt.logs) {
    const parsed = protocol.hub.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") return { requestId: parsed.args.requestId as bigint, receipt };
  }
  throw new Error("request: no InferenceRequested event in the receipt");
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

/** Every committee member attests `agree`; returns the receipts (the last one finalizes on quorum). */
export async function attestAll(
  protocol: Protocol,
  book: SignerBook,
  requestId: bigint,
  agree: boolean,
  count?: number,
): Promise<ContractTransactionReceipt[]> {
  const members = await protocol.hub.committeeOf(requestId);
  const receipts: ContractTransactionReceipt[] = [];
  for (const member of members.slice(0, count ?? members.length)) {
    receipts.push(await mined(protocol.hub.connect(book.get(member)).attest(requestId, agree)));
  }
  return receipts;
}

/** Deterministic per-juror salt for scripted votes (real verifiers use random salts and persist them). */
export function scriptedSalt(requestId: bigint, juror: string): string {
  return ethersLib.keccak256(ethersLib.solidityPacked(["uint256", "address", "string"], [requestId, juror, "salt"]));
}

/** Each juror commits then reveals `votes(juror)`; returns the commit and reveal receipts. */
export async function voteAll(
  protocol: Protocol,
  book: SignerBook,
  requestId: bigint,
  votes: (juror: string) => boolean,
): Promise<{ commits: ContractTransactionReceipt[]; reveals: ContractTransactionReceipt[] }> {
  const jurors = await protocol.hub.jurorsOf(requestId);
  const commits: ContractTransactionReceipt[] = [];
  for (const juror of jurors) {
    const commitment = await protocol.hub.voteCommitment(
      requestId,
      juror,
      votes(juror),
      scriptedSalt(requestId, juror),
    );
    commits.push(await mined(protocol.hub.connect(book.get(juror)).commitVote(requestId, commitment)));
  }
  const reveals: ContractTransactionReceipt[] = [];
  for (const juror of jurors) {
    reveals.push(
      await mined(
        protocol.hub.connect(book.get(juror)).revealVote(requestId, votes(juror), scriptedSalt(requestId, juror)),
      ),
    );
  }
  return { commits, reveals };
}

/** A staked verifier that is neither the requester nor the worker of `requestId`. */
export async function pickChallenger(
  protocol: Protocol,
  verifiers: HardhatEthersSigner[],
  requestId: bigint,
): Promise<HardhatEthersSigner> {
  const { worker, requester } = await protocol.hub.getRequest(requestId);
  const challenger = verifiers.find(
    (v) => v.address.toLowerCase() !== worker.toLowerCase() && v.address.toLowerCase() !== requester.toLowerCase(),
  );
  if (challenger === undefined) throw new Error("no verifier can challenge: all are parties to the request");
  return challenger;
}
