/**
 * Where the protocol lives on a network: a JSON file per chain id (`.opg/deployments/<chainId>.json`), written by
 * the devnet runner and by deployers, read by every task, the client, the indexer and the nodes. The record's type,
 * its validation and the typed contracts are in `./contracts.ts`, which also runs in a browser.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import {
  DeploymentFormatError,
  DeploymentNotFoundError,
  parseDeployment,
  type DeploymentAddresses,
} from "./contracts.js";

export * from "./contracts.js";

export function deploymentFile(root: string, chainId: bigint | string): string {
  return path.join(root, ".opg", "deployments", `${chainId}.json`);
}

export async function readDeployment(file: string): Promise<DeploymentAddresses> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new DeploymentNotFoundError(file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DeploymentFormatError(file, `invalid JSON (${(error as Error).message})`);
  }
  return parseDeployment(parsed, file);
}

export async function writeDeployment(file: string, addresses: DeploymentAddresses): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(addresses, null, 2) + "\n");
  await rename(tmp, file);
}
