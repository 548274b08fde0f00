/**
 * A complete local OPG network on one chain connection: the v2 protocol deployed by Ignition (hub, settlement,
 * staking, registry, court, NONE / OPTIMISTIC / COMMITTEE modules), real ONNX demo models registered (written to
 * disk and served by `file:` URI, verified by sha256 like any model), staked workers and verifiers with settlement
 * balances, and their node software running in this process.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import type { NetworkConnection } from "hardhat/types/network";

import type { TensorData } from "../codec/tensor.js";
import { connectContracts, writeDeployment, type ProtocolContracts } from "../chain/deployment.js";
import { LanguageModelHost } from "../lm/serving.js";
import { readShippedLanguageModel, SHIPPED_LM_REGISTRATION } from "../lm/shipped.js";
import { buildDemoModels, type DemoModel } from "../model/onnxBuilder.js";
import { buildZoo, type ZooModel } from "../zoo/zoo.js";
import { ModelRuntime } from "../model/runtime.js";
import { modelSchema, schemaDigest } from "../model/schema.js";
import { ModelStore, sha256Hex } from "../model/store.js";
import { cheatingTamperer, lazyVerifier } from "../node/cheats.js";
import { createVerifier, createWorker } from "../node/factory.js";
import type { Logger } from "../node/logger.js";
import type { VerifierNode } from "../node/verifier.js";
import type { WorkerNode } from "../node/worker.js";
import {
  Mode,
  OPG,
  TERMINAL_STATUSES,
  assignActors,
  deployProtocol,
  protocolContracts,
  registerLanguageModel,
  registerModel,
  stakeNetwork,
  type Actors,
  type Protocol,
} from "./protocol.js";

export interface NetworkModel {
  id: bigint;
  name: string;
  mode: Mode;
  exampleInput: TensorData;
  uri: string;
  /** Zoo models: held-out examples with their true labels, and the class names. */
  examples?: Array<{ input: TensorData; label: number }>;
  classNames?: readonly string[];
}

/** The shipped language model (models/lm/) as registered on a local network, once per verification mode. */
export interface NetworkLanguageModel {
  id: bigint;
  name: string;
  mode: Mode;
  uri: string;
  tokenizerUri: string;
  contextLength: number;
  eosTokenId: number;
}

export interface LocalNetwork {
  protocol: Protocol;
  contracts: ProtocolContracts;
  actors: Actors;
  models: NetworkModel[];
  languageModels: NetworkLanguageModel[];
  workers: WorkerNode[];
  verifiers: VerifierNode[];
  runtime: ModelRuntime;
  /** One round of every node (scripted, deterministic); `start` runs them on their own loops instead. */
  tick(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalNetworkOptions {
  /** Directory for models, node state and caches. */
  dir: string;
  logger: Logger;
  workers?: number;
  verifiers?: number;
  /** Index of a worker that posts wrong outputs on purpose (it gets challenged and slashed). */
  cheater?: number;
  /** Index of a verifier that attests and votes "agree" without computing (cheats.ts `lazyVerifier`). */
  lazyVerifier?: number;
  /** Write `.opg/deployments/<chainId>.json` under this root so tasks can find the network. */
  deploymentRoot?: string;
  pollIntervalMs?: number;
  concurrency?: number;
  /**
   * "zoo": the models trained from real data (Iris, MNIST; ~10 s to train); "demo": tiny hand-built models (tests).
   */
  models?: "zoo" | "demo";
  /** Ignition parameters (default: ignition/parameters/hardhat.json) and deployment id (needed over HTTP). */
  parameters?: DeploymentParameters;
  deploymentId?: string;
}

/** What `deployLocalNetwork` set up: the protocol, its staked operators and registered models (no nodes yet). */
export interface DeployedNetwork {
  protocol: Protocol;
  contracts: ProtocolContracts;
  actors: Actors;
  models: NetworkModel[];
  languageModels: NetworkLanguageModel[];
  runtime: ModelRuntime;
}

/**
 * Deploys the protocol, funds and stakes the operators, and registers the models: everything a network needs before
 * its nodes start (in this process with `startLocalNetwork`, or as their own processes with multiprocess.ts).
 */
export async function deployLocalNetwork(
  connection: NetworkConnection,
  options: Omit<LocalNetworkOptions, "logger" | "cheater" | "lazyVerifier" | "pollIntervalMs" | "concurrency">,
): Promise<DeployedNetwork> {
  const { ethers } = connection;
  const protocol = await deployProtocol(connection, {
    governed: true,
    parameters: options.parameters,
    deploymentId: options.deploymentId,
  });
  // Default: enough distinct verifiers for the local 7-seat jury of an escalated 3-seat committee (IStaking.drawPanel).
  const actors = assignActors(await ethers.getSigners(), options.workers ?? 4, options.verifiers ?? 10);
  await stakeNetwork(protocol, actors, {
    fund: 50_000n * OPG,
    workerStake: 10_000n * OPG,
    verifierStake: 5_000n * OPG,
    verifierBalance: 1_000n * OPG,
    requesterBalance: 1_000n * OPG,
  });

  const addresses = protocol.addresses;
  if (options.deploymentRoot !== undefined) {
    await writeDeployment(
      path.join(options.deploymentRoot, ".opg", "deployments", `${addresses.chainId}.json`),
      addresses,
    );
  }
  const contracts: ProtocolContracts = protocolContracts(protocol);

  // Real models: written to disk, registered with their sha256 and schema, fetched and verified by the nodes.
  const runtime = new ModelRuntime();
  const modelDir = path.join(options.dir, "models");
  await mkdir(modelDir, { recursive: true });
  const models: NetworkModel[] = [];
  const catalogue: Array<{ model: DemoModel; modes: Mode[]; zoo?: ZooModel }> =
    options.models === "zoo"
      ? (await buildZoo({ runtime })).map((zoo) => ({
          model: zoo,
          zoo,
          modes:
            zoo.name === "iris-mlp" ? [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE] : [Mode.OPTIMISTIC, Mode.COMMITTEE],
        }))
      : buildDemoModels().map((model) => ({
          model,
          modes: model.name === "iris-linear" ? [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE] : [Mode.OPTIMISTIC],
        }));
  for (const { model: demo, modes, zoo } of catalogue) {
    const file = path.join(modelDir, `${demo.name}.onnx`);
    await writeFile(file, demo.bytes);
    const contentHash = `0x${sha256Hex(demo.bytes)}`;
    const digest = schemaDigest(modelSchema(await runtime.load(contentHash, demo.bytes)));
    for (const mode of modes) {
      const uri = `file://${file}`;
      const id = await registerModel(protocol, actors.modelOwner, {
        contentHash,
        uri,
        fee: OPG,
        mode,
        outputDecimals: demo.outputDecimals,
        tolerance: demo.tolerance,
        royaltyBps: 1_000,
        schemaDigest: digest,
      });
      const examples = zoo?.exampleInputs.map((input, i) => ({ input, label: heldOutLabel(zoo, i) }));
      models.push({
        id,
        name: demo.name,
        mode,
        exampleInput: demo.exampleInput,
        uri,
        examples,
        classNames: zoo?.dataset.classNames,
      });
    }
  }

  const languageModels = await registerShippedLanguageModel(protocol, actors, modelDir);
  return { protocol, contracts, actors, models, languageModels, runtime };
}

/** Writes the shipped language model's files next to the other models and registers it in every mode. */
async function registerShippedLanguageModel(
  protocol: Protocol,
  actors: Actors,
  modelDir: string,
): Promise<NetworkLanguageModel[]> {
  const shipped = await readShippedLanguageModel();
  const name = shipped.card.name;
  const file = path.join(modelDir, `${name}.onnx`);
  const tokenizerFile = path.join(modelDir, `${name}.tokenizer.json`);
  await writeFile(file, shipped.model);
  await writeFile(tokenizerFile, shipped.tokenizer);
  const base = {
    contentHash: shipped.card.files.model.sha256,
    uri: `file://${file}`,
    tokenizerHash: shipped.card.files.tokenizer.sha256,
    tokenizerUri: `file://${tokenizerFile}`,
    contextLength: shipped.card.contextLength,
    eosTokenId: shipped.card.eosTokenId,
    fee: OPG,
    royaltyBps: 1_000,
    ...SHIPPED_LM_REGISTRATION,
  };
  const registered: NetworkLanguageModel[] = [];
  for (const mode of [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE]) {
    const id = await registerLanguageModel(protocol, actors.modelOwner, { ...base, mode });
    registered.push({ id, name, mode, ...base });
  }
  return registered;
}

export async function startLocalNetwork(
  connection: NetworkConnection,
  options: LocalNetworkOptions,
): Promise<LocalNetwork> {
  const logger = options.logger;
  const { protocol, contracts, actors, models, languageModels, runtime } = await deployLocalNetwork(
    connection,
    options,
  );
  const addresses = contracts.addresses;
  const store = new ModelStore({ cacheDir: path.join(options.dir, "cache") });
  const languageModelHost = new LanguageModelHost(store);
  const nodeConfig = (signer: (typeof actors.workers)[number], role: string) => ({
    contracts: connectContracts(addresses, signer),
    signer,
    logger: logger.child(`${role}-${signer.address.slice(2, 8)}`),
    stateDir: path.join(options.dir, "state"),
    cacheDir: path.join(options.dir, "cache"),
    runtime,
    languageModels: languageModelHost,
    store,
    pollIntervalMs: options.pollIntervalMs ?? 500,
    // Scripted rounds advance chain time quickly: let every due job of a round run in that round.
    concurrency: options.concurrency ?? 16,
  });
  const workers: WorkerNode[] = [];
  for (const [i, w] of actors.workers.entries()) {
    const tamper = i === options.cheater ? cheatingTamperer(1) : undefined;
    workers.push(await createWorker({ ...nodeConfig(w, "worker"), tamper }));
  }
  const verifiers: VerifierNode[] = [];
  for (const [i, v] of actors.verifiers.entries()) {
    const lazy = i === options.lazyVerifier;
    verifiers.push(
      await createVerifier({
        ...nodeConfig(v, "verifier"),
        sampleRate: lazy ? 0 : 1,
        ballot: lazy ? lazyVerifier : undefined,
      }),
    );
  }

  const all = [...workers, ...verifiers];
  return {
    protocol,
    contracts,
    actors,
    models,
    languageModels,
    workers,
    verifiers,
    runtime,
    async tick() {
      for (const node of all) await node.tick();
    },
    async start() {
      for (const node of all) await node.start();
    },
    async stop() {
      await Promise.all(all.map((node) => node.stop()));
      await runtime.close();
      await languageModelHost.close();
    },
  };
}

/**
 * Runs node rounds until every request in `requestIds` is terminal, advancing chain time between rounds so that
 * windows close (an in-process chain only moves when told). Returns the rounds it took. `ticksPerStep` passes over
 * every node per step (default 1): each block moves chain time by a second, so on a network of many nodes one pass
 * can close a 60-second window before a node ticked early in it sees what a later node did (a jury drawn, say).
 */
export async function settleAll(
  net: LocalNetwork,
  connection: NetworkConnection,
  requestIds: bigint[],
  options: { stepSeconds?: number; maxRounds?: number; ticksPerStep?: number } = {},
): Promise<number> {
  const maxRounds = options.maxRounds ?? 200;
  for (let round = 1; round <= maxRounds; round++) {
    for (let t = 0; t < (options.ticksPerStep ?? 1); t++) await net.tick();
    const statuses = await Promise.all(requestIds.map(async (id) => (await net.protocol.hub.getRequest(id)).status));
    if (statuses.every((s) => TERMINAL_STATUSES.has(s))) return round;
    await connection.networkHelpers.time.increase(options.stepSeconds ?? 20);
  }
  throw new Error(`requests not settled after ${maxRounds} rounds: check the node logs`);
}

/** The true label of the i-th held-out example (examples are the first rows of the held-out split). */
function heldOutLabel(zoo: ZooModel, i: number): number {
  return zoo.testSet.labels[i] ?? -1;
}
