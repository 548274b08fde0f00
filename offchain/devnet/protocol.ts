/**
 * Deploys the OPG protocol with Ignition and prepares actors on a development chain. Shared by the demo, the
 * integration tests and the benchmarks so they all exercise the deployment that production uses.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { ethers as ethersLib } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import InferenceHubModule from "../../ignition/modules/v1/InferenceHubV1.js";
import OPGModule from "../../ignition/modules/v1/OPGV1.js";
import {
  InferenceHubV1__factory,
  ModelRegistryV1__factory,
  OPGGovernor__factory,
  OPGTimelock__factory,
  OPGToken__factory,
  PrevrandaoRandomness__factory,
  StakingV1__factory,
  type InferenceHubV1,
  type ModelRegistryV1,
  type OPGGovernor,
  type OPGTimelock,
  type OPGToken,
  type PrevrandaoRandomness,
  type StakingV1,
} from "../../typechain-types/index.js";

export const OPG = 10n ** 18n;
export const ROLE_WORKER = 1;
export const ROLE_VERIFIER = 2;

/** Verification modes, in the order of `IModelRegistryV1.VerificationMode`. */
export enum Mode {
  NONE = 0,
  OPTIMISTIC = 1,
  COMMITTEE = 2,
}

/** Request statuses, in the order of `IInferenceHubV1.Status`. */
export enum Status {
  None = 0,
  Requested = 1,
  Submitted = 2,
  Disputed = 3,
  Finalized = 4,
  Rejected = 5,
  Expired = 6,
}

export interface Protocol {
  token: OPGToken;
  staking: StakingV1;
  registry: ModelRegistryV1;
  hub: InferenceHubV1;
  randomness: PrevrandaoRandomness;
  timelock: OPGTimelock;
  governor: OPGGovernor;
  deployer: HardhatEthersSigner;
  /** True when ownership was handed to the timelock (full `OPG` module). */
  governed: boolean;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Reads `ignition/parameters/<network>.json` with Ignition's `"123n"` bigint convention. */
export async function loadIgnitionParameters(networkName: string): Promise<DeploymentParameters> {
  const file = path.join(repoRoot, "ignition", "parameters", `${networkName}.json`);
  const text = await readFile(file, "utf8");
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
  ) as DeploymentParameters;
}

/**
 * Deploys the protocol through Ignition.
 * @param governed `true` runs the full `OPG` module (ownership handed to the timelock, as in production);
 *                 `false` stops after the hub so the deployer still owns the setters (tests of parameters).
 */
export async function deployProtocol(
  connection: NetworkConnection,
  options: { governed?: boolean; parameters?: DeploymentParameters; deploymentId?: string } = {},
): Promise<Protocol> {
  const governed = options.governed ?? true;
  const parameters = options.parameters ?? (await loadIgnitionParameters("hardhat"));
  const [deployer] = await connection.ethers.getSigners();
  if (deployer === undefined) throw new Error("The network has no accounts: configure at least one signer.");
  // Over HTTP Ignition journals deployments on disk: a fresh chain needs a fresh deployment id.
  const deploymentId = options.deploymentId;
  const deployed = governed
    ? await connection.ignition.deploy(OPGModule, { parameters, displayUi: false, deploymentId })
    : await connection.ignition.deploy(InferenceHubModule, { parameters, displayUi: false, deploymentId });
  return {
    token: OPGToken__factory.connect(await deployed.token.getAddress(), deployer),
    staking: StakingV1__factory.connect(await deployed.staking.getAddress(), deployer),
    registry: ModelRegistryV1__factory.connect(await deployed.registry.getAddress(), deployer),
    hub: InferenceHubV1__factory.connect(await deployed.hub.getAddress(), deployer),
    randomness: PrevrandaoRandomness__factory.connect(await deployed.randomness.getAddress(), deployer),
    timelock: OPGTimelock__factory.connect(await deployed.timelock.getAddress(), deployer),
    governor: OPGGovernor__factory.connect(await deployed.governor.getAddress(), deployer),
    deployer,
    governed,
  };
}

/** Sends `amount` OPG from the deployer (holder of the initial supply) to each account. */
export async function fund(protocol: Protocol, accounts: HardhatEthersSigner[], amount: bigint): Promise<void> {
  for (const account of accounts) {
    await (await protocol.token.connect(protocol.deployer).transfer(account.address, amount)).wait();
  }
}

/** Approves and stakes `amount` for `roles` (bit flags ROLE_WORKER | ROLE_VERIFIER). */
export async function stakeAs(
  protocol: Protocol,
  operator: HardhatEthersSigner,
  amount: bigint,
  roles: number,
): Promise<void> {
  await (await protocol.token.connect(operator).approve(await protocol.staking.getAddress(), amount)).wait();
  await (await protocol.staking.connect(operator).stake(amount, roles)).wait();
}

/** Approves and deposits `amount` into the requester's free hub balance. */
export async function depositAs(protocol: Protocol, requester: HardhatEthersSigner, amount: bigint): Promise<void> {
  await (await protocol.token.connect(requester).approve(await protocol.hub.getAddress(), amount)).wait();
  await (await protocol.hub.connect(requester).deposit(amount)).wait();
}

export interface ModelSpec {
  contentHash: string;
  uri: string;
  fee: bigint;
  mode: Mode;
  outputDecimals: number;
  tolerance: bigint;
  royaltyBps: number;
  schemaDigest: string;
}

/** Registers a model owned by `owner` and returns its id (read from the `ModelRegistered` event). */
export async function registerModel(protocol: Protocol, owner: HardhatEthersSigner, spec: ModelSpec): Promise<bigint> {
  const tx = await protocol.registry.connect(owner).registerModel({
    contentHash: spec.contentHash,
    uri: spec.uri,
    fee: spec.fee,
    mode: spec.mode,
    outputDecimals: spec.outputDecimals,
    tolerance: spec.tolerance,
    royaltyRecipient: owner.address,
    royaltyBps: spec.royaltyBps,
    schemaDigest: spec.schemaDigest,
  });
  const receipt = await tx.wait();
  for (const log of receipt?.logs ?? []) {
    const parsed = protocol.registry.interface.parseLog(log);
    if (parsed?.name === "ModelRegistered") return parsed.args.modelId as bigint;
  }
  throw new Error("registerModel: no ModelRegistered event in the receipt");
}

/** A model record for tests and demos: the hash of `label` stands in for ONNX bytes until the node software. */
export function demoModel(label: string, mode: Mode, fee: bigint = OPG): ModelSpec {
  return {
    contentHash: ethersLib.sha256(ethersLib.toUtf8Bytes(label)),
    uri: `file:models/${label}.onnx`,
    fee,
    mode,
    outputDecimals: 6,
    tolerance: 10n,
    royaltyBps: 1_000,
    schemaDigest: ethersLib.keccak256(ethersLib.toUtf8Bytes(`${label}:schema`)),
  };
}

/** The accounts of a scripted network: who requests, who owns the models, who works and who verifies. */
export interface Actors {
  requester: HardhatEthersSigner;
  modelOwner: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  workers: HardhatEthersSigner[];
  verifiers: HardhatEthersSigner[];
}

/** Splits the chain's signers into roles: deployer, requester, model owner, outsider, then workers, verifiers. */
export function assignActors(signers: HardhatEthersSigner[], workerCount: number, verifierCount: number): Actors {
  const needed = 4 + workerCount + verifierCount;
  if (signers.length < needed) {
    throw new Error(`need ${needed} accounts (have ${signers.length}): configure more accounts for this network`);
  }
  const [, requester, modelOwner, outsider, ...operators] = signers as [
    HardhatEthersSigner,
    HardhatEthersSigner,
    HardhatEthersSigner,
    HardhatEthersSigner,
    ...HardhatEthersSigner[],
  ];
  return {
    requester,
    modelOwner,
    outsider,
    workers: operators.slice(0, workerCount),
    verifiers: operators.slice(workerCount, workerCount + verifierCount),
  };
}

/**
 * Funds every actor from the deployer, stakes the workers and verifiers, and gives verifiers a hub balance for
 * challenge bonds and the requester one for fees.
 */
export async function stakeNetwork(
  protocol: Protocol,
  actors: Actors,
  amounts: {
    fund: bigint;
    workerStake: bigint;
    verifierStake: bigint;
    verifierBalance: bigint;
    requesterBalance: bigint;
  },
): Promise<void> {
  const { requester, outsider, workers, verifiers } = actors;
  await fund(protocol, [requester, outsider, ...workers, ...verifiers], amounts.fund);
  for (const w of workers) await stakeAs(protocol, w, amounts.workerStake, ROLE_WORKER);
  for (const v of verifiers) {
    await stakeAs(protocol, v, amounts.verifierStake, ROLE_VERIFIER);
    await depositAs(protocol, v, amounts.verifierBalance);
  }
  await depositAs(protocol, actors.requester, amounts.requesterBalance);
}
