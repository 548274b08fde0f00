/**
 * A small multi-process network for tests that talk to it over HTTP (tasks, the app server, a browser): the chain
 * in this process, the demo models, and the given worker and verifier node processes, with its own directory and
 * Ignition journal, both removed by `stop`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { network } from "hardhat";

import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  type MultiProcessNetwork,
} from "../../../offchain/devnet/multiprocess.js";
import { loadIgnitionParameters } from "../../../offchain/devnet/protocol.js";
import { launchApp } from "../../../offchain/app/launch.js";
import type { AppServer } from "../../../offchain/app/server.js";
import { memoryLogger } from "../../../offchain/node/logger.js";

export const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "..", "..", "..");

export interface SmallNetwork {
  net: MultiProcessNetwork;
  /** Its own temporary directory (node state, models, caches). */
  dir: string;
  stop(): Promise<void>;
}

export async function startSmallNetwork(
  name: string,
  nodes: { workers: number; verifiers: number },
): Promise<SmallNetwork> {
  const deploymentId = `opg-local-${name}-${process.pid}-${Date.now()}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), `opg-${name}-`));
  const net = await launchMultiProcessNetwork({
    networkManager: network,
    root: REPOSITORY_ROOT,
    dir,
    port: 0,
    workers: nodes.workers,
    verifiers: nodes.verifiers,
    keepers: 0,
    models: "demo",
    parameters: await loadIgnitionParameters("localhost"),
    deploymentId,
  });
  return {
    net,
    dir,
    async stop() {
      await net.stop();
      await removeIgnitionJournal(REPOSITORY_ROOT, deploymentId);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The app server on `small`'s chain and deployment, on a free port, serving the web app from `staticDir`. */
export function launchAppOn(small: SmallNetwork, staticDir: string): Promise<AppServer> {
  return launchApp({
    root: small.dir,
    rpcUrl: small.net.url,
    port: 0,
    deployment: small.net.deploymentFile,
    staticDir,
    logger: memoryLogger(),
  });
}
