/**
 * Where the protocol lives on a network: a JSON file per chain id (`.opg/deployments/<chainId>.json`), written by
 * the devnet runner and by deployers, read by every task and by the client.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Signer } from "ethers";

import {
  InferenceHub__factory,
  ModelRegistry__factory,
  OPGToken__factory,
  Staking__factory,
  type InferenceHub,
  type ModelRegistry,
  type OPGToken,
  type Staking,
} from "../../typechain-types/index.js";

export interface DeploymentAddresses {
  chainId: string;
  hub: string;
  staking: string;
  registry: string;
  token: string;
  timelock?: string;
  governor?: string;
  /** Block of the deployment: event scans start here. */
  fromBlock: number;
}

export interface ProtocolContracts {
  hub: InferenceHub;
  staking: Staking;
  registry: ModelRegistry;
  token: OPGToken;
  addresses: DeploymentAddresses;
}

export class DeploymentNotFoundError extends Error {
  constructor(file: string) {
    super(
      `no OPG deployment recorded at ${file}. Start a local network with \`npm run network\`, or deploy with ` +
        "`npx hardhat ignition deploy ignition/modules/OPG.ts --network <name>` and write the addresses there " +
        "(or pass --deployment <file>).",
    );
    this.name = "DeploymentNotFoundError";
  }
}

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
  return JSON.parse(text) as DeploymentAddresses;
}

export async function writeDeployment(file: string, addresses: DeploymentAddresses): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(addresses, null, 2) + "\n");
  await rename(tmp, file);
}

export function connectContracts(addresses: DeploymentAddresses, runner: Signer): ProtocolContracts {
  return {
    hub: InferenceHub__factory.connect(addresses.hub, runner),
    staking: Staking__factory.connect(addresses.staking, runner),
    registry: ModelRegistry__factory.connect(addresses.registry, runner),
    token: OPGToken__factory.connect(addresses.token, runner),
    addresses,
  };
}
