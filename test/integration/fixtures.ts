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
  ROLE_VERIFIER,
  ROLE_WORKER,
  demoModel,
  deployProtocol,
  depositAs,
  fund,
  registerModel,
  stakeAs,
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
 * The protocol deployed by Ignition (deployer still owns the setters unless `governed`), 4 workers and 4 verifiers
 * staked, verifiers holding hub balance for challenge bonds, and one model per verification mode.
 */
export async function hubFixture(
  connection: NetworkConnection,
  options: { workers?: number; verifiers?: number; governed?: boolean } = {},
): Promise<HubFixture> {
  const signers = await connection.ethers.getSigners();
  const [, requester, modelOwner, outsider, ...operators] = signers;
  const workerCount = options.workers ?? 4;
  const verifierCount = options.verifiers ?? 4;
  if (requester === undefined || modelOwner === undefined || outsider === undefined) {
    throw new Error("the test network needs at least 4 accounts");
  }
  const workers = operators.slice(0, workerCount);
  const verifiers = operators.slice(workerCount, workerCount + verifierCount);
  const protocol = await deployProtocol(connection, { governed: options.governed ?? false });

  await fund(protocol, [requester, outsider, ...workers, ...verifiers], 100_000n * OPG);
  for (const w of workers) await stakeAs(protocol, w, WORKER_STAKE, ROLE_WORKER);
  for (const v of verifiers) {
    await stakeAs(protocol, v, VERIFIER_STAKE, ROLE_VERIFIER);
    await depositAs(protocol, v, 1_000n * OPG);
  }
  await depositAs(protocol, requester, 1_000n * OPG);
  const models = {
    [Mode.NONE]: await registerModel(protocol, modelOwner, demoModel("none", Mode.NONE, MODEL_FEE)),
    [Mode.OPTIMISTIC]: await registerModel(protocol, modelOwner, demoModel("optimistic", Mode.OPTIMISTIC, MODEL_FEE)),
    [Mode.COMMITTEE]: await registerModel(protocol, modelOwner, demoModel("committee", Mode.COMMITTEE, MODEL_FEE)),
  };
  return { protocol, requester, modelOwner, outsider, workers, verifiers, book: new SignerBook(signers), models };
}

/** Total fee locked by a request for a model of `fee` under the fixture's parameters. */
export async function totalFee(protocol: Protocol, fee: bigint = MODEL_FEE): Promise<bigint> {
  const p = await protocol.hub.params();
  return fee + (fee * p.protocolFeeBps) / 10_000n;
}
