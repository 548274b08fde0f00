/** What every OPG task needs: a network connection, a signer, and the protocol's contracts on that network. */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

import { TaskInputError, describeError } from "./errors.js";
import {
  connectContracts,
  deploymentFile,
  readDeployment,
  type DeploymentAddresses,
  type ProtocolContracts,
} from "../../offchain/chain/deployment.js";

export interface TaskContext {
  connection: NetworkConnection;
  signer: HardhatEthersSigner;
  addresses: DeploymentAddresses;
  contracts: ProtocolContracts;
  chainId: bigint;
  root: string;
}

export { TaskInputError };

/**
 * The network a task talks to: `--network` when given, else `localhost` — the chain `npm run network` serves — so
 * commands work as printed next to a running local network (Hardhat's own default is an empty in-process chain).
 */
export function taskNetwork(hre: HardhatRuntimeEnvironment): string {
  return hre.globalOptions.network ?? "localhost";
}

/**
 * A command to print as a hint (`npx hardhat request:status --id 3`), with the `--network` and `--deployment` this
 * task was given, so it works when pasted.
 */
export function commandHint(hre: HardhatRuntimeEnvironment, command: string, args?: { deployment?: string }): string {
  const network = hre.globalOptions.network !== undefined ? ` --network ${hre.globalOptions.network}` : "";
  const deployment = args?.deployment !== undefined && args.deployment !== "" ? ` --deployment ${args.deployment}` : "";
  return `npx hardhat ${command}${network}${deployment}`;
}

export async function openProtocol(
  hre: HardhatRuntimeEnvironment,
  args: { deployment: string; account?: string },
): Promise<TaskContext> {
  const name = taskNetwork(hre);
  const connection = await hre.network.create(name);
  const root = hre.config.paths.root;
  let chainId: bigint;
  try {
    chainId = (await connection.ethers.provider.getNetwork()).chainId;
  } catch (error) {
    throw new TaskInputError(`${await unreachable(hre, name)} (${firstLine(error)})`);
  }
  const file = args.deployment !== "" ? args.deployment : deploymentFile(root, chainId);
  const addresses = await readDeployment(file);
  if ((await connection.ethers.provider.getCode(addresses.hub)) === "0x") {
    throw new TaskInputError(
      `the deployment in ${file} has no contracts on network ${name} (chain ${chainId}): the local network was ` +
        "restarted or this is another chain — restart `npm run network`, or pass the --network and --deployment " +
        "that belong together",
    );
  }
  const signer = await pickSigner(connection, args.account ?? "0");
  return { connection, signer, addresses, contracts: connectContracts(addresses, signer), chainId, root };
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split("\n")[0];

async function unreachable(hre: HardhatRuntimeEnvironment, name: string): Promise<string> {
  const config = hre.config.networks[name];
  const url = config?.type === "http" ? await config.url.get().catch(() => undefined) : undefined;
  const where = url !== undefined ? ` at ${url}` : "";
  return name === "localhost" && hre.globalOptions.network === undefined
    ? `no local network answers${where}: start it with \`npm run network\` in another terminal, or pass --network <name>`
    : `network ${name} does not answer${where}: check that its node is running and the URL is right`;
}

/** A positive integer id given as `--<what>` (model, request). */
export function parseId(value: string, what: string, listHint: string): bigint {
  if (!/^\d+$/.test(value.trim()) || BigInt(value.trim()) === 0n) {
    throw new TaskInputError(`${what} must be a positive whole number such as 1 (got "${value}"): ${listHint}`);
  }
  return BigInt(value.trim());
}

/** `--account` is an index into the network's accounts or one of their addresses. */
export async function pickSigner(connection: NetworkConnection, account: string): Promise<HardhatEthersSigner> {
  const signers = await connection.ethers.getSigners();
  const byIndex = /^\d+$/.test(account) ? signers[Number(account)] : undefined;
  const signer = byIndex ?? signers.find((s) => s.address.toLowerCase() === account.toLowerCase());
  if (signer === undefined) {
    throw new TaskInputError(
      `--account ${account} is not one of this network's ${signers.length} accounts: give an index (0..${signers.length - 1}) or an address`,
    );
  }
  return signer;
}

/** Parses an OPG amount given in whole or decimal tokens ("12.5"). */
export function parseOpg(value: string, what: string): bigint {
  try {
    const amount = ethers.parseEther(value);
    if (amount <= 0n) throw new Error("not positive");
    return amount;
  } catch {
    throw new TaskInputError(`${what} must be a positive amount of OPG such as 100 or 0.5 (got "${value}")`);
  }
}

/** `--temperature`: a number such as 0 (greedy) or 0.8 (the generation request checks its bounds). */
export function parseTemperature(value: string): number {
  const temperature = Number(value);
  if (value.trim() === "" || !Number.isFinite(temperature)) {
    throw new TaskInputError(`--temperature must be a number such as 0 (greedy) or 0.8, got "${value}"`);
  }
  return temperature;
}

export const formatOpg = (wei: bigint): string => `${ethers.formatEther(wei)} OPG`;

/** Runs `send`, waits for the receipt and prints one line; reverts are reported with their custom error. */
export async function sendAndReport(
  label: string,
  contract: { interface: ethers.Interface },
  send: () => Promise<ethers.ContractTransactionResponse>,
): Promise<ethers.ContractTransactionReceipt> {
  try {
    const receipt = await (await send()).wait();
    if (receipt === null) throw new Error(`${label}: transaction dropped`);
    console.log(`${label}: ok (tx ${receipt.hash}, gas ${receipt.gasUsed})`);
    return receipt;
  } catch (error) {
    throw new TaskInputError(`${label} failed: ${describeError(error)}`);
  }
}
