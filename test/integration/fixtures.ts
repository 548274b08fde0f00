/**
 * Fixture factories for the integration tests. Each test file creates its own network connection and wraps these
 * in `loadFixture`, so no state is shared across files.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkConnection } from "hardhat/types/network";

import { SignerBook } from "../../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  assignActors,
  demoModel,
  deployProtocol,
  registerModel,
  stakeNetwork,
  type Protocol,
} from "../../offchain/devnet/protocol.js";

export const WORKER_STAKE = 10_000n * OPG;
export const VERIFIER_STAKE = 5_000n * OPG;
export const MODEL_FEE = OPG;
/** A short canonical output (one FIXED64 scalar); its content does not matter to the contracts. */
export const OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800600" + "00000000000f4240", "hex"));
export const OTHER_OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800600" + "00000000001e8480", "hex"));
export const INPUT = Uint8Array.from(Buffer.from("4f50470101" + "010001" + "00000002" + "3f80000040000000", "hex"));

export interface HubFixture {
  protocol: Protocol;
  requester: HardhatEthersSigner;
  modelOwner: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  workers: HardhatEthersSigner[];
  verifiers: HardhatEthersSigner[];
  book: SignerBook;
  models: Record<Mode, bigint>;
}

/**
 * The v2 protocol deployed by Ignition (deployer still owns the setters unless `governed`), 4 workers and 12
 * verifiers staked (a panel needs as many distinct non-party verifiers as seats: 12 seat the local 9-seat appeal jury
 * of a case that excludes a 3-seat committee), verifiers holding a settlement balance for challenge bonds, the requester one for fees, and one
 * model per verification mode.
 */
export async function hubFixture(
  connection: NetworkConnection,
  options: { workers?: number; verifiers?: number; governed?: boolean } = {},
): Promise<HubFixture> {
  const signers = await connection.ethers.getSigners();
  const actors = assignActors(signers, options.workers ?? 4, options.verifiers ?? 12);
  const { requester, modelOwner, outsider, workers, verifiers } = actors;
  const protocol = await deployProtocol(connection, { governed: options.governed ?? false });
  await stakeNetwork(protocol, actors, {
    fund: 100_000n * OPG,
    workerStake: WORKER_STAKE,
    verifierStake: VERIFIER_STAKE,
    verifierBalance: 1_000n * OPG,
    requesterBalance: 1_000n * OPG,
  });
  const models = {
    [Mode.NONE]: await registerModel(protocol, modelOwner, demoModel("none", Mode.NONE, MODEL_FEE)),
    [Mode.OPTIMISTIC]: await registerModel(protocol, modelOwner, demoModel("optimistic", Mode.OPTIMISTIC, MODEL_FEE)),
    [Mode.COMMITTEE]: await registerModel(protocol, modelOwner, demoModel("committee", Mode.COMMITTEE, MODEL_FEE)),
  };
  return { protocol, requester, modelOwner, outsider, workers, verifiers, book: new SignerBook(signers), models };
}

/** Model fee + protocol fee a request for a model of `fee` locks (and a refund returns) under the parameters. */
export async function totalFee(protocol: Protocol, fee: bigint = MODEL_FEE): Promise<bigint> {
  const p = await protocol.hub.params();
  return fee + (fee * p.protocolFeeBps) / 10_000n;
}

/** The prepaid callback fee of a request with `callbackGasLimit`. */
export async function callbackFee(protocol: Protocol, callbackGasLimit: number): Promise<bigint> {
  return BigInt(callbackGasLimit) * (await protocol.hub.params()).callbackFeePerGas;
}

/**
 * Solvency of the settlement contract, exactly: the tokens it holds are its accounted sums plus the surplus; and
 * staking holds at least what it owes.
 */
export async function settlementAccounts(
  protocol: Protocol,
): Promise<{ held: bigint; accounted: bigint; surplus: bigint }> {
  const s = protocol.settlement;
  const accounted =
    (await s.totalBalances()) + (await s.totalLocked()) + (await s.totalBonded()) + (await s.totalCredits());
  return { held: await protocol.token.balanceOf(protocol.addresses.settlement), accounted, surplus: await s.surplus() };
}
