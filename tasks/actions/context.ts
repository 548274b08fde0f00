/** What every OPG task needs: a network connection, a signer, and the protocol's contracts on that network. */
import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";

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

/** A user-input or state error: Hardhat prints its message without a stack trace. */
export class TaskInputError extends HardhatPluginError {
  constructor(message: string) {
    super("opg", message);
  }
}

export async function openProtocol(
  hre: HardhatRuntimeEnvironment,
  args: { deployment: string; account?: string },
): Promise<TaskContext> {
  const connection = await hre.network.create();
  const chainId = (await connection.ethers.provider.getNetwork()).chainId;
  const root = hre.config.paths.root;
  const addresses = await readDeployment(args.deployment !== "" ? args.deployment : deploymentFile(root, chainId));
  const signer = await pickSigner(connection, args.account ?? "0");
  return { connection, signer, addresses, contracts: connectContracts(addresses, signer), chainId, root };
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
    const data = (error as { data?: string }).data;
    const parsed = typeof data === "string" ? contract.interface.parseError(data) : null;
    if (parsed !== null) {
      throw new TaskInputError(`${label} reverted with ${parsed.name}(${parsed.args.map(String).join(", ")})`);
    }
    throw error;
  }
}
