/**
 * Wires a worker or verifier node from its parts: event scanner (persisted cursor), transaction sender (nonces,
 * fee bumping, retries), model store (verified by hash) and runtime (onnxruntime sessions), state file and logger.
 * Used by the Hardhat tasks, the local network runner, the tests and the benchmark.
 */
import path from "node:path";

import type { Signer } from "ethers";

import type { ProtocolContracts } from "../chain/deployment.js";
import { EventScanner } from "../chain/scanner.js";
import { TxSender } from "../chain/sender.js";
import { JsonStateFile } from "../chain/stateFile.js";
import { ModelRuntime } from "../model/runtime.js";
import { ModelStore } from "../model/store.js";
import type { NodeDeps } from "./jobs.js";
import type { Logger } from "./logger.js";
import type { EventFeed, FeedEvent, RunnerOptions } from "./runner.js";
import { VerifierNode, type VerifierState } from "./verifier.js";
import { WorkerNode, type WorkerState } from "./worker.js";

export interface NodeConfig {
  contracts: ProtocolContracts;
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
  store?: ModelStore;
  /** Share one sender per signer when a process runs several roles for one operator. */
  sender?: TxSender;
}

const WORKER_EVENTS = ["WorkerAssigned"] as const;
const VERIFIER_EVENTS = ["CommitteeDrawn", "ResultSubmitted", "DisputeOpened"] as const;

function runnerOptions(config: NodeConfig): RunnerOptions {
  return {
    concurrency: config.concurrency ?? 4,
    pollIntervalMs: config.pollIntervalMs ?? 1_000,
    drainTimeoutMs: 30_000,
  };
}

/** Builds everything a node of `role` needs; state and cursor files are named after the role and operator. */
async function nodeDeps<State extends { jobs: Record<string, unknown> }>(
  config: NodeConfig,
  role: string,
  events: readonly string[],
): Promise<NodeDeps<State>> {
  const address = await config.signer.getAddress();
  const base = path.join(config.stateDir, `${role}-${address.toLowerCase()}`);
  const scanner = new EventScanner(config.contracts.hub, events as never, {
    cursorFile: `${base}.cursor.json`,
    startBlock: config.contracts.addresses.fromBlock,
    confirmations: config.confirmations ?? 0,
  });
  const feed: EventFeed = {
    async next() {
      const batch = await scanner.poll();
      return { events: batch as unknown as FeedEvent[], commit: () => scanner.commit() };
    },
  };
  const provider = config.signer.provider;
  if (provider === null) throw new Error("the node's signer has no provider: connect it to a network first");
  const { hub, staking, registry } = config.contracts;
  return {
    hub,
    registry,
    address,
    feed,
    sender: config.sender ?? new TxSender(config.signer, { errorInterfaces: [hub.interface, staking.interface] }),
    store:
      config.store ??
      new ModelStore({ cacheDir: config.cacheDir, baseDir: config.modelBaseDir, ipfsGateway: config.ipfsGateway }),
    runtime: config.runtime ?? new ModelRuntime(),
    stateFile: new JsonStateFile<State>(`${base}.json`, { jobs: {} } as State),
    logger: config.logger,
    chainTime: async () => BigInt((await provider.getBlock("latest"))?.timestamp ?? 0),
    ipfsGateway: config.ipfsGateway,
  };
}

export async function createWorker(config: NodeConfig & { cheatRate?: number }): Promise<WorkerNode> {
  const deps = await nodeDeps<WorkerState>(config, "worker", WORKER_EVENTS);
  return new WorkerNode({ ...deps, cheatRate: config.cheatRate }, runnerOptions(config));
}

export async function createVerifier(config: NodeConfig & { sampleRate?: number }): Promise<VerifierNode> {
  const deps = await nodeDeps<VerifierState>(config, "verifier", VERIFIER_EVENTS);
  return new VerifierNode({ ...deps, sampleRate: config.sampleRate ?? 1 }, runnerOptions(config));
}
