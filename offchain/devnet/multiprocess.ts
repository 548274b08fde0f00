/**
 * The multi-process local network (`npm run network`): this process serves the chain (Hardhat's JSON-RPC server
 * over the `opgLocal` simulated network: chain id 31337, wall-clock block timestamps, a block every second), deploys
 * the protocol with Ignition, registers the models and stakes the operators; then every worker, verifier and keeper
 * runs as its own OS process with the Hardhat task an operator runs (processes.ts). A devnet-only entry point
 * (scripts/devnet/node.ts) builds the same nodes with an injected dishonest strategy for the cheating worker and the
 * lazy verifier: the production tasks have no such option.
 */
import { rm } from "node:fs/promises";
import path from "node:path";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import type { JsonRpcServer, NetworkConnection, NetworkManager } from "hardhat/types/network";

import { PARAMETER_DEFAULTS } from "../../ignition/defaults.js";
import { writeDeployment } from "../chain/deployment.js";
import { deployLocalNetwork, type DeployedNetwork } from "./network.js";
import { NodeProcess, ProcessGroup, type NodeProcessSpec } from "./processes.js";
import { loadIgnitionParameters } from "./protocol.js";

export interface MultiProcessOptions {
  /** Hardhat's network manager (`import { network } from "hardhat"`). */
  networkManager: NetworkManager;
  /** Project root: the children run Hardhat here. */
  root: string;
  /** Node state, models, caches and logs (`logs/<node>.log`) live here. */
  dir: string;
  /** 0: any free port. */
  port: number;
  workers: number;
  verifiers: number;
  keepers: number;
  models?: "zoo" | "demo";
  parameters?: DeploymentParameters;
  /** Ignition deployment id (its journal goes to ignition/deployments/<id>). */
  deploymentId: string;
  /** Also write `.opg/deployments/31337.json` under this root, so tasks find the network without --deployment. */
  deploymentRoot?: string;
  /** Index of a worker that runs with the cheating strategy (devnet entry point). */
  cheater?: number;
  /** Index of a verifier that runs with the lazy strategy (devnet entry point). */
  lazyVerifier?: number;
  /**
   * Workers and verifiers (by index) whose RPC fails this share of calls: they run the honest node through the
   * devnet entry point with offchain/chain/flakyProvider.ts between them and the chain (never the production tasks).
   */
  flaky?: { workers?: number[]; verifiers?: number[]; failureRate: number };
  pollMs?: number;
  /** Jobs each worker, verifier and keeper task runs at once (`--concurrency`; default: the task's, 4). */
  concurrency?: number;
  /**
   * Also run the input store (`hardhat store`, offchain/inputs/store.ts) as a process listening on 127.0.0.1 at this
   * port, keeping its data under `<dir>/store` (default: no store).
   */
  inputStorePort?: number;
  /** Run every worker and verifier with `--keep-all` (each also keeps every request, as the keeper task does). */
  keepAll?: boolean;
  /** Restart a node that died after this many ms (default: not restarted). */
  restartDelayMs?: number;
  print?: (line: string) => void;
}

export interface MultiProcessNetwork {
  url: string;
  port: number;
  server: JsonRpcServer;
  connection: NetworkConnection;
  deployed: DeployedNetwork;
  deploymentFile: string;
  /** Seconds the chain was behind wall time after the deployment, before it was aligned (negative: ahead). */
  chainLag: number;
  group: ProcessGroup;
  /** Names of the node processes that logged `node.started` (their loop runs), since they were launched. */
  started: ReadonlySet<string>;
  /** Resolves once every node process (the input store aside) logged `node.started`; throws after `timeoutMs`. */
  untilStarted(timeoutMs: number): Promise<void>;
  /**
   * Starts one more node process (an operator joining a running network): the operator's task with the network's
   * common arguments for account index `account`; `cacheDir` gives it its own model cache.
   */
  addNode(name: string, role: "worker" | "verifier", account: number, options?: { cacheDir?: string }): Promise<void>;
  /** SIGINT to every node, wait for them, then close the chain. */
  stop(): Promise<void>;
}

/**
 * The local network's parameters (ignition/parameters/localhost.json) with every verification window and the
 * response timeout at `seconds` (default and lowest: the contracts' 60-second minimum, still twice the 30 s an
 * honest node may take to restart), for runs that must settle requests within minutes (the soak, the node
 * benchmark).
 */
export async function shortWindowParameters(seconds = 60): Promise<DeploymentParameters> {
  if (!Number.isInteger(seconds) || seconds < 60) {
    throw new Error(`window must be a whole number of seconds of at least 60 (the contracts' minimum), got ${seconds}`);
  }
  const base = await loadIgnitionParameters("localhost");
  const window = { drawWindow: seconds, commitWindow: seconds, revealWindow: seconds };
  return {
    ...base,
    InferenceHub: { ...(base["InferenceHub"] ?? {}), responseTimeout: seconds },
    OptimisticModule: { ...(base["OptimisticModule"] ?? {}), challengeWindow: seconds },
    CommitteeModule: { ...(base["CommitteeModule"] ?? {}), ...window },
    DisputeCourt: { ...(base["DisputeCourt"] ?? {}), ...window },
  };
}

/**
 * Moves the chain clock forward to wall time (later blocks follow wall time: `allowBlocksWithSameTimestamp`).
 * @returns seconds the chain was behind wall time (negative: ahead; a chain clock cannot go back).
 */
export async function alignChainTime(connection: NetworkConnection): Promise<number> {
  const provider = connection.provider;
  const latest = (await connection.ethers.provider.getBlock("latest"))?.timestamp ?? 0;
  const now = Math.floor(Date.now() / 1000);
  if (now > latest) await provider.request({ method: "evm_setNextBlockTimestamp", params: [now] });
  await provider.request({ method: "evm_mine", params: [] });
  return now - latest;
}

export async function launchMultiProcessNetwork(options: MultiProcessOptions): Promise<MultiProcessNetwork> {
  // The devnet skips one Staking snapshot period after staking (evm_increaseTime, protocol.ts `advanceSnapshot`) so
  // that panels see the new stake at once. The chain starts that far behind wall time, so the skip brings it back
  // to wall time instead of leaving it ahead for good.
  const snapshotPeriod = Number(
    (options.parameters?.["Staking"] as { snapshotPeriod?: number } | undefined)?.snapshotPeriod ??
      PARAMETER_DEFAULTS.Staking.snapshotPeriod,
  );
  const server = await options.networkManager.createServer(
    { network: "opgLocal", override: { initialDate: new Date(Date.now() - snapshotPeriod * 1_000) } },
    "127.0.0.1",
    options.port,
  );
  let listening: { address: string; port: number };
  try {
    listening = await server.listen();
  } catch (error) {
    throw new Error(
      `cannot listen on 127.0.0.1:${options.port} (${(error as Error).message}): stop what uses it or set OPG_PORT`,
    );
  }
  const url = `http://127.0.0.1:${listening.port}`;
  const connection = await options.networkManager.create({ network: "localhost", override: { url } });

  const deployed = await deployLocalNetwork(connection, {
    dir: options.dir,
    workers: options.workers,
    verifiers: options.verifiers,
    models: options.models,
    parameters: options.parameters,
    deploymentId: options.deploymentId,
    deploymentRoot: options.deploymentRoot,
  });
  const chainLag = await alignChainTime(connection);
  const deploymentFile = path.join(options.dir, "deployment.json");
  await writeDeployment(deploymentFile, deployed.contracts.addresses);

  // Account indices as the chain lists them: the children pick their signer with --account <index>.
  const signers = await connection.ethers.getSigners();
  const indexOf = (address: string) => signers.findIndex((s) => s.address === address);
  const firstKeeper = 4 + options.workers + options.verifiers;
  if (signers.length < firstKeeper + options.keepers) {
    throw new Error(`need ${firstKeeper + options.keepers} accounts on the chain, have ${signers.length}`);
  }
  const common = (account: number, cacheDir = path.join(options.dir, "cache")) => [
    "--network",
    "localhost",
    "--deployment",
    deploymentFile,
    "--account",
    String(account),
    "--state-dir",
    path.join(options.dir, "state"),
    "--cache-dir",
    cacheDir,
    "--poll-ms",
    String(options.pollMs ?? 500),
    ...(options.concurrency !== undefined ? ["--concurrency", String(options.concurrency)] : []),
    "--pretty",
  ];
  const devnetNode = ["run", "--network", "localhost", "--no-compile", path.join("scripts", "devnet", "node.ts")];
  const devnetEnv = (role: string, account: number, strategy: string, failureRate = 0): Record<string, string> => ({
    ...(failureRate > 0
      ? { OPG_DEVNET_RPC_FAILURE_RATE: String(failureRate), OPG_DEVNET_RPC_SEED: String(account) }
      : {}),
    OPG_DEVNET_ROLE: role,
    OPG_DEVNET_ACCOUNT: String(account),
    OPG_DEVNET_STRATEGY: strategy,
    OPG_DEVNET_DEPLOYMENT: deploymentFile,
    OPG_DEVNET_STATE_DIR: path.join(options.dir, "state"),
    OPG_DEVNET_CACHE_DIR: path.join(options.dir, "cache"),
    OPG_DEVNET_POLL_MS: String(options.pollMs ?? 500),
  });
  const keepAll = options.keepAll === true ? ["--keep-all"] : [];
  const flakyRate = options.flaky?.failureRate ?? 0;
  const isFlaky = (role: "workers" | "verifiers", i: number) => flakyRate > 0 && options.flaky?.[role]?.includes(i);
  const specs: NodeProcessSpec[] = [];
  deployed.actors.workers.forEach((w, i) => {
    const account = indexOf(w.address);
    specs.push(
      i === options.cheater
        ? {
            name: `worker-${i + 1}-cheater`,
            args: devnetNode,
            env: devnetEnv("worker", account, "cheat"),
          }
        : isFlaky("workers", i)
          ? { name: `worker-${i + 1}-flaky`, args: devnetNode, env: devnetEnv("worker", account, "honest", flakyRate) }
          : { name: `worker-${i + 1}`, args: ["worker", ...common(account), ...keepAll] },
    );
  });
  deployed.actors.verifiers.forEach((v, i) => {
    const account = indexOf(v.address);
    specs.push(
      i === options.lazyVerifier
        ? {
            name: `verifier-${i + 1}-lazy`,
            args: devnetNode,
            env: devnetEnv("verifier", account, "lazy"),
          }
        : isFlaky("verifiers", i)
          ? {
              name: `verifier-${i + 1}-flaky`,
              args: devnetNode,
              env: devnetEnv("verifier", account, "honest", flakyRate),
            }
          : { name: `verifier-${i + 1}`, args: ["verifier", ...common(account), "--sample-rate", "1", ...keepAll] },
    );
  });
  for (let k = 0; k < options.keepers; k++) {
    specs.push({ name: `keeper-${k + 1}`, args: ["keeper", ...common(firstKeeper + k)] });
  }

  if (options.inputStorePort !== undefined) {
    specs.unshift({
      name: "input-store",
      args: [
        "store",
        "--host",
        "127.0.0.1",
        "--port",
        String(options.inputStorePort),
        "--dir",
        path.join(options.dir, "store"),
      ],
    });
  }

  const started = new Set<string>();
  const print = options.print ?? ((line: string) => process.stdout.write(line + "\n"));
  const supervisor = {
    root: options.root,
    logDir: path.join(options.dir, "logs"),
    print: (line: string) => {
      if (line.includes("node.started")) started.add(line.slice(1, line.indexOf("]")));
      print(line);
    },
    restartDelayMs: options.restartDelayMs,
    env: { OPG_RPC_URL: url },
  };
  const group = new ProcessGroup(specs, supervisor);
  await group.start();
  return {
    url,
    port: listening.port,
    server,
    connection,
    deployed,
    deploymentFile,
    chainLag,
    group,
    started,
    async untilStarted(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const waiting = () => group.nodes.filter((n) => n.spec.name !== "input-store" && !started.has(n.spec.name));
      while (waiting().length > 0) {
        if (Date.now() > deadline) {
          const names = waiting().map((n) => n.spec.name);
          throw new Error(
            `node processes not started within ${timeoutMs} ms: ${names.join(", ")} (see ${supervisor.logDir})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async addNode(name, role, account, extra = {}) {
      const roleArgs = role === "verifier" ? ["--sample-rate", "1"] : [];
      const node = new NodeProcess(
        { name, args: [role, ...common(account, extra.cacheDir), ...roleArgs, ...keepAll] },
        supervisor,
      );
      group.nodes.push(node);
      await node.start();
    },
    async stop() {
      await group.stop();
      await deployed.runtime.close();
      await connection.close();
      await server.close();
    },
  };
}

/** Removes the Ignition journal of a throwaway local deployment. */
export async function removeIgnitionJournal(root: string, deploymentId: string): Promise<void> {
  await rm(path.join(root, "ignition", "deployments", deploymentId), { recursive: true, force: true });
}
