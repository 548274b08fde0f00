/**
 * Deploys the OPG protocol (v2: one contract per layer) with Ignition and prepares actors on a development chain.
 * Shared by the demo, the local network, the integration tests and the benchmarks, so they all exercise the
 * deployment that production uses.
 *
 * Contracts are typed by their v2 interfaces, like {@link ProtocolContracts}: a test that needs an implementation's
 * own ABI (its `Ownable` errors, its constants) connects the implementation's factory to the same address.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { HardhatEthersProvider, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { ethers as ethersLib, type ContractRunner } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import OPGModule from "../../ignition/modules/OPG.js";
import VerificationModule from "../../ignition/modules/Verification.js";
import {
  ICommitteeModule__factory,
  IDisputeCourt__factory,
  IInferenceHub__factory,
  IModelRegistry__factory,
  IOptimisticModule__factory,
  IRandomnessSource__factory,
  ISettlement__factory,
  IStaking__factory,
  IVerificationModule__factory,
  OPGGovernor__factory,
  OPGTimelock__factory,
  OPGToken__factory,
  type ICommitteeModule,
  type IDisputeCourt,
  type IInferenceHub,
  type IModelRegistry,
  type IOptimisticModule,
  type IRandomnessSource,
  type ISettlement,
  type IStaking,
  type IVerificationModule,
  type OPGGovernor,
  type OPGTimelock,
  type OPGToken,
} from "../../typechain-types/index.js";
import { connectContracts, type DeploymentAddresses, type ProtocolContracts } from "../chain/deployment.js";

export const OPG = 10n ** 18n;
export const ROLE_WORKER = 1;
export const ROLE_VERIFIER = 2;

/** Verification mode ids, as the registry stores them and the hub maps them to modules. */
export enum Mode {
  NONE = 0,
  OPTIMISTIC = 1,
  COMMITTEE = 2,
}

/** Request statuses, in the order of `IInferenceHub.Status`. */
export enum Status {
  None = 0,
  Requested = 1,
  Submitted = 2,
  Disputed = 3,
  Finalized = 4,
  Rejected = 5,
  Expired = 6,
  Refunded = 7,
}

/** Statuses a request never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<bigint> = new Set(
  [Status.Finalized, Status.Rejected, Status.Expired, Status.Refunded].map(BigInt),
);

/** Outcomes of a court case, in the order of `IDisputeCourt.Outcome`. */
export enum Outcome {
  None = 0,
  Pending = 1,
  Upheld = 2,
  Rejected = 3,
  Undecided = 4,
}

/** Model kinds, in the order of `IModelRegistry.ModelKind`. */
export enum ModelKind {
  TENSOR = 0,
  CAUSAL_LM = 1,
}

export interface Protocol {
  token: OPGToken;
  staking: IStaking;
  settlement: ISettlement;
  registry: IModelRegistry;
  hub: IInferenceHub;
  court: IDisputeCourt;
  none: IVerificationModule;
  optimistic: IOptimisticModule;
  committee: ICommitteeModule;
  randomness: IRandomnessSource;
  timelock: OPGTimelock;
  governor: OPGGovernor;
  deployer: HardhatEthersSigner;
  /** The chain connection's provider (JSON-RPC `send` for time and mining on a development chain). */
  provider: HardhatEthersProvider;
  /** True when ownership was handed to the timelock (full `OPG` module). */
  governed: boolean;
  /** The deployment record (as written to `.opg/deployments/<chainId>.json`). */
  addresses: DeploymentAddresses;
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
 *                 `false` stops after the wiring (`Verification`) so the deployer still owns the setters.
 */
export async function deployProtocol(
  connection: NetworkConnection,
  options: { governed?: boolean; parameters?: DeploymentParameters; deploymentId?: string } = {},
): Promise<Protocol> {
  const governed = options.governed ?? true;
  const parameters = options.parameters ?? (await loadIgnitionParameters("hardhat"));
  const [deployer] = await connection.ethers.getSigners();
  if (deployer === undefined) throw new Error("The network has no accounts: configure at least one signer.");
  const fromBlock = await connection.ethers.provider.getBlockNumber();
  // Over HTTP Ignition journals deployments on disk: a fresh chain needs a fresh deployment id.
  const ignition = { parameters, displayUi: false, deploymentId: options.deploymentId } as const;
  const wired = governed
    ? await connection.ignition.deploy(OPGModule, ignition)
    : await connection.ignition.deploy(VerificationModule, ignition);
  const at = (contract: { getAddress(): Promise<string> }) => contract.getAddress();
  const addresses: DeploymentAddresses = {
    chainId: (await connection.ethers.provider.getNetwork()).chainId.toString(),
    hub: await at(wired.hub),
    staking: await at(wired.staking),
    settlement: await at(wired.settlement),
    registry: await at(wired.registry),
    token: await at(wired.token),
    court: await at(wired.court),
    randomness: await at(wired.randomness),
    modules: {
      none: await at(wired.none),
      optimistic: await at(wired.optimistic),
      committee: await at(wired.committee),
    },
    timelock: await at(wired.timelock),
    governor: await at(wired.governor),
    fromBlock,
  };
  return {
    token: OPGToken__factory.connect(addresses.token, deployer),
    staking: IStaking__factory.connect(addresses.staking, deployer),
    settlement: ISettlement__factory.connect(addresses.settlement, deployer),
    registry: IModelRegistry__factory.connect(addresses.registry, deployer),
    hub: IInferenceHub__factory.connect(addresses.hub, deployer),
    court: IDisputeCourt__factory.connect(addresses.court, deployer),
    none: IVerificationModule__factory.connect(addresses.modules.none, deployer),
    optimistic: IOptimisticModule__factory.connect(addresses.modules.optimistic, deployer),
    committee: ICommitteeModule__factory.connect(addresses.modules.committee, deployer),
    randomness: IRandomnessSource__factory.connect(addresses.randomness, deployer),
    timelock: OPGTimelock__factory.connect(addresses.timelock!, deployer),
    governor: OPGGovernor__factory.connect(addresses.governor!, deployer),
    deployer,
    provider: connection.ethers.provider,
    governed,
    addresses,
  };
}

/** The protocol's contracts as the off-chain software sees them, bound to `runner` (default: the deployer). */
export function protocolContracts(protocol: Protocol, runner: ContractRunner = protocol.deployer): ProtocolContracts {
  return connectContracts(protocol.addresses, runner);
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
  await (await protocol.token.connect(operator).approve(protocol.addresses.staking, amount)).wait();
  await (await protocol.staking.connect(operator).stake(amount, roles)).wait();
}

/** Approves and deposits `amount` into the account's free balance in the settlement contract. */
export async function depositAs(protocol: Protocol, account: HardhatEthersSigner, amount: bigint): Promise<void> {
  await (await protocol.token.connect(account).approve(protocol.addresses.settlement, amount)).wait();
  await (await protocol.settlement.connect(account).deposit(amount)).wait();
}

/** A tensor model's registration (the registry's `ModelParams` without the language-model fields). */
export interface ModelSpec {
  contentHash: string;
  uri: string;
  fee: bigint;
  mode: Mode;
  outputDecimals: number;
  tolerance: bigint;
  royaltyBps: number;
  schemaDigest: string;
  /** Default: the owner. */
  royaltyRecipient?: string;
}

/** The registry's `ModelParams` of a tensor model (kind TENSOR, no tokenizer). */
export function tensorModelParams(spec: ModelSpec, owner: string) {
  return {
    contentHash: spec.contentHash,
    uri: spec.uri,
    fee: spec.fee,
    mode: spec.mode,
    outputDecimals: spec.outputDecimals,
    tolerance: spec.tolerance,
    royaltyRecipient: spec.royaltyRecipient ?? owner,
    royaltyBps: spec.royaltyBps,
    schemaDigest: spec.schemaDigest,
    kind: ModelKind.TENSOR,
    tokenizerHash: ethersLib.ZeroHash,
    tokenizerUri: "",
    contextLength: 0,
    eosTokenId: 0,
  };
}

/** A causal language model's registration: a tensor model's fields plus its tokenizer, context and EOS token. */
export interface LanguageModelSpec extends Omit<ModelSpec, "schemaDigest"> {
  tokenizerHash: string;
  tokenizerUri: string;
  contextLength: number;
  eosTokenId: number;
}

/** The registry's `ModelParams` of a causal language model (kind CAUSAL_LM; no tensor schema). */
export function languageModelParams(spec: LanguageModelSpec, owner: string) {
  return {
    ...tensorModelParams({ ...spec, schemaDigest: ethersLib.ZeroHash }, owner),
    kind: ModelKind.CAUSAL_LM,
    tokenizerHash: spec.tokenizerHash,
    tokenizerUri: spec.tokenizerUri,
    contextLength: spec.contextLength,
    eosTokenId: spec.eosTokenId,
  };
}

/** Registers a tensor model owned by `owner` and returns its id (read from the `ModelRegistered` event). */
export async function registerModel(protocol: Protocol, owner: HardhatEthersSigner, spec: ModelSpec): Promise<bigint> {
  return registered(
    protocol,
    await protocol.registry.connect(owner).registerModel(tensorModelParams(spec, owner.address)),
  );
}

/** Registers a causal language model owned by `owner` and returns its id. */
export async function registerLanguageModel(
  protocol: Protocol,
  owner: HardhatEthersSigner,
  spec: LanguageModelSpec,
): Promise<bigint> {
  return registered(
    protocol,
    await protocol.registry.connect(owner).registerModel(languageModelParams(spec, owner.address)),
  );
}

async function registered(protocol: Protocol, tx: ethersLib.ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  for (const log of receipt?.logs ?? []) {
    const parsed = protocol.registry.interface.parseLog(log);
    if (parsed?.name === "ModelRegistered") return parsed.args.modelId as bigint;
  }
  throw new Error("registerModel: no ModelRegistered event in the receipt");
}

/** A model record for tests and benchmarks: the hash of `label` stands in for ONNX bytes. */
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
 * Funds every actor from the deployer, stakes the workers and verifiers, and gives verifiers a settlement balance
 * for challenge bonds and the requester one for fees.
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
    if (amounts.verifierBalance > 0n) await depositAs(protocol, v, amounts.verifierBalance);
  }
  if (amounts.requesterBalance > 0n) await depositAs(protocol, actors.requester, amounts.requesterBalance);
  await advanceSnapshot(protocol);
}

/**
 * Lets one snapshot epoch of Staking pass on a development chain. Panels (committees and juries) read the weights
 * frozen at the start of the epoch in which their randomness was requested, so stake made in this epoch only counts
 * for panels from the next one; a fresh devnet skips that wait once, after staking its operators.
 */
export async function advanceSnapshot(protocol: Protocol): Promise<void> {
  const period = await protocol.staking.snapshotPeriod();
  await protocol.provider.send("evm_increaseTime", [Number(period)]);
  await protocol.provider.send("evm_mine", []);
}
