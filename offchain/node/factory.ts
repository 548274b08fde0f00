/**
 * Wires a worker, verifier or keeper node from its parts: the v2 contracts (found from the hub's address alone when the
 * others are not given), an event feed over the contracts the role listens to (one persisted cursor), a transaction
 * sender (nonces, fee bumping, retries, reverts decoded with every protocol ABI), the model store (verified by hash)
 * and runtime (onnxruntime sessions), a state file and a logger. Used by the Hardhat tasks, the local network
 * runner, the tests and the benchmark.
 */
import path from "node:path";

import { ethers, type Signer } from "ethers";

import {
  ICommitteeModule__factory,
  IDisputeCourt__factory,
  IInferenceHub__factory,
  IModelRegistry__factory,
  IOptimisticModule__factory,
  ISettlement__factory,
  IStaking__factory,
} from "../../typechain-types/index.js";
import { TxSender } from "../chain/sender.js";
import { JsonStateFile } from "../chain/stateFile.js";
import { LanguageModelHost } from "../lm/serving.js";
import { ModelRuntime } from "../model/runtime.js";
import { ModelStore } from "../model/store.js";
import { MultiContractFeed, type FeedSource } from "./feed.js";
import type { NodeContracts, NodeDeps } from "./jobs.js";
import { KeeperNode, type KeeperState } from "./keeper.js";
import type { Logger } from "./logger.js";
import type { RunnerOptions } from "./runner.js";
import { VerifierNode, type BallotStrategy, type VerifierState } from "./verifier.js";
import { WorkerNode, type OutputTamperer, type WorkerState } from "./worker.js";

/** Mode ids as the registry stores them (the hub maps them to modules). */
const MODE_OPTIMISTIC = 1;
const MODE_COMMITTEE = 2;

/**
 * Where the protocol is. Only `hub` and `fromBlock` are required: the other addresses are read from the chain
 * (the hub's settlement, staking and registry; its modules for OPTIMISTIC and COMMITTEE; their court) when absent.
 */
export interface NodeAddresses {
  hub: string;
  fromBlock: number;
  staking?: string;
  registry?: string;
  settlement?: string;
  token?: string;
  /** As in the deployment record (`DeploymentAddresses.modules`). */
  modules?: { optimistic?: string; committee?: string };
  court?: string;
}

export interface NodeConfig {
  /** A deployment record (`offchain/chain/deployment.ts`) or anything else holding the addresses. */
  contracts: { addresses: NodeAddresses };
  signer: Signer;
  logger: Logger;
  /** Job state and event cursors live here, one pair of files per role and operator. */
  stateDir: string;
  /** Verified models are cached here by content hash. */
  cacheDir: string;
  /** Relative `file:` model URIs resolve against this directory. */
  modelBaseDir?: string;
  ipfsGateway?: string;
  concurrency?: number;
  pollIntervalMs?: number;
  confirmations?: number;
  /** Share one runtime (and its session cache) between nodes of one process. */
  runtime?: ModelRuntime;
  /** Share one set of open language models between nodes of one process. */
  languageModels?: LanguageModelHost;
  store?: ModelStore;
  /** Share one sender per signer when a process runs several roles for one operator. */
  sender?: TxSender;
}

const WORKER_EVENTS = { hub: ["WorkerAssigned"] } as const;
const KEEPER_EVENTS = { hub: ["InferenceRequested"] } as const;
const VERIFIER_EVENTS = {
  hub: ["ResultSubmitted"],
  committee: ["CommitteeDrawn"],
  court: ["RoundOpened", "JuryDrawn"],
} as const;

function runnerOptions(config: NodeConfig): RunnerOptions {
  return {
    concurrency: config.concurrency ?? 4,
    pollIntervalMs: config.pollIntervalMs ?? 1_000,
    drainTimeoutMs: 30_000,
  };
}

const GETTERS = new ethers.Interface([
  "function settlement() view returns (address)",
  "function staking() view returns (address)",
  "function registry() view returns (address)",
  "function court() view returns (address)",
  "function token() view returns (address)",
]);

/** Connects the v2 contracts to `signer`, reading the addresses not given from the chain. */
export async function connectNodeContracts(addresses: NodeAddresses, signer: Signer): Promise<NodeContracts> {
  const hub = IInferenceHub__factory.connect(addresses.hub, signer);
  const read = async (target: string, getter: string): Promise<string> =>
    String(await new ethers.Contract(target, GETTERS, signer).getFunction(getter).staticCall());
  const optimistic = addresses.modules?.optimistic ?? (await hub.moduleOf(MODE_OPTIMISTIC)).module;
  const committee = addresses.modules?.committee ?? (await hub.moduleOf(MODE_COMMITTEE)).module;
  const settlement = addresses.settlement ?? (await read(addresses.hub, "settlement"));
  return {
    hub,
    registry: IModelRegistry__factory.connect(addresses.registry ?? (await read(addresses.hub, "registry")), signer),
    staking: IStaking__factory.connect(addresses.staking ?? (await read(addresses.hub, "staking")), signer),
    settlement: ISettlement__factory.connect(settlement, signer),
    optimistic: IOptimisticModule__factory.connect(optimistic, signer),
    committee: ICommitteeModule__factory.connect(committee, signer),
    court: IDisputeCourt__factory.connect(addresses.court ?? (await read(optimistic, "court")), signer),
    token: addresses.token ?? (await read(settlement, "token")),
    fromBlock: addresses.fromBlock,
  };
}

/** Builds everything a node of `role` needs; state and cursor files are named after the role and operator. */
async function nodeDeps<State extends { jobs: Record<string, unknown> }>(
  config: NodeConfig,
  role: "worker" | "verifier" | "keeper",
): Promise<NodeDeps<State>> {
  const address = await config.signer.getAddress();
  const base = path.join(config.stateDir, `${role}-${address.toLowerCase()}`);
  const contracts = await connectNodeContracts(config.contracts.addresses, config.signer);
  const sources: FeedSource[] =
    role === "worker"
      ? [{ contract: contracts.hub, events: WORKER_EVENTS.hub }]
      : role === "keeper"
        ? [{ contract: contracts.hub, events: KEEPER_EVENTS.hub }]
        : [
            { contract: contracts.hub, events: VERIFIER_EVENTS.hub },
            { contract: contracts.committee, events: VERIFIER_EVENTS.committee },
            { contract: contracts.court, events: VERIFIER_EVENTS.court },
          ];
  const feed = new MultiContractFeed(sources, {
    cursorFile: `${base}.cursor.json`,
    startBlock: contracts.fromBlock,
    confirmations: config.confirmations ?? 0,
  });
  const provider = config.signer.provider;
  if (provider === null) throw new Error("the node's signer has no provider: connect it to a network first");
  const errorInterfaces = [
    contracts.hub.interface,
    contracts.staking.interface,
    contracts.settlement.interface,
    contracts.optimistic.interface,
    contracts.committee.interface,
    contracts.court.interface,
    contracts.registry.interface,
  ];
  const store =
    config.store ??
    new ModelStore({ cacheDir: config.cacheDir, baseDir: config.modelBaseDir, ipfsGateway: config.ipfsGateway });
  return {
    contracts,
    hub: contracts.hub,
    registry: contracts.registry,
    address,
    feed,
    sender: config.sender ?? new TxSender(config.signer, { errorInterfaces }),
    store,
    runtime: config.runtime ?? new ModelRuntime(),
    languageModels: config.languageModels ?? new LanguageModelHost(store),
    stateFile: new JsonStateFile<State>(`${base}.json`, { jobs: {} } as unknown as State),
    logger: config.logger,
    chainTime: async () => BigInt((await provider.getBlock("latest"))?.timestamp ?? 0),
    chainHead: async () => {
      const block = await provider.getBlock("latest");
      return { number: block?.number ?? 0, timestamp: BigInt(block?.timestamp ?? 0) };
    },
    ipfsGateway: config.ipfsGateway,
  };
}

/** The custom errors of every protocol contract, for a `TxSender` built outside the factory. */
export function protocolErrorInterfaces(): ethers.Interface[] {
  return [
    IInferenceHub__factory.createInterface(),
    IStaking__factory.createInterface(),
    ISettlement__factory.createInterface(),
    IOptimisticModule__factory.createInterface(),
    ICommitteeModule__factory.createInterface(),
    IDisputeCourt__factory.createInterface(),
    IModelRegistry__factory.createInterface(),
  ] as unknown as ethers.Interface[];
}

export async function createWorker(
  config: NodeConfig & {
    /** Demo, devnet and tests only: a dishonest output strategy (see cheats.ts). Production wiring passes none. */
    tamper?: OutputTamperer;
    /** OPG wei staked from the wallet when the free stake cannot cover a job's collateral (worker.ts). */
    topUp?: bigint;
    stakeCheckSeconds?: number;
  },
): Promise<WorkerNode> {
  const deps = await nodeDeps<WorkerState>(config, "worker");
  return new WorkerNode(
    { ...deps, tamper: config.tamper, topUp: config.topUp, stakeCheckSeconds: config.stakeCheckSeconds },
    runnerOptions(config),
  );
}

/** A keeper: no stake, pays gas only; performs the due time-based steps of every request (keeper.ts). */
export async function createKeeper(
  config: NodeConfig & { gasBudgetPerRound?: bigint; jitterMs?: number; random?: () => number },
): Promise<KeeperNode> {
  const deps = await nodeDeps<KeeperState>(config, "keeper");
  return new KeeperNode(
    { ...deps, gasBudgetPerRound: config.gasBudgetPerRound, jitterMs: config.jitterMs, random: config.random },
    runnerOptions(config),
  );
}

export async function createVerifier(
  config: NodeConfig & {
    sampleRate?: number;
    bondReserve?: bigint;
    minJuryPool?: number;
    /** Tests and demos only: a lazy or dishonest ballot strategy (see cheats.ts). */
    ballot?: BallotStrategy;
  },
): Promise<VerifierNode> {
  const deps = await nodeDeps<VerifierState>(config, "verifier");
  return new VerifierNode(
    {
      ...deps,
      sampleRate: config.sampleRate ?? 1,
      bondReserve: config.bondReserve,
      minJuryPool: config.minJuryPool,
      ballot: config.ballot,
    },
    runnerOptions(config),
  );
}
