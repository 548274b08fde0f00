/**
 * Where the protocol lives on a network: a JSON file per chain id (`.opg/deployments/<chainId>.json`), written by
 * the devnet runner and by deployers, read by every task and by the client.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import type { Signer } from "ethers";

import {
  InferenceHubV1__factory,
  ModelRegistryV1__factory,
  OPGToken__factory,
  StakingV1__factory,
  type InferenceHubV1,
  type ModelRegistryV1,
  type OPGToken,
  type StakingV1,
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
  hub: InferenceHubV1;
  staking: StakingV1;
  registry: ModelRegistryV1;
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
    hub: InferenceHubV1__factory.connect(addresses.hub, runner),
    staking: StakingV1__factory.connect(addresses.staking, runner),
    registry: ModelRegistryV1__factory.connect(addresses.registry, runner),
    token: OPGToken__factory.connect(addresses.token, runner),
    addresses,
  };
}
