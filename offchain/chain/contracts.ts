/**
 * The protocol's addresses and its typed contracts: what the client, the indexer, the nodes and the web app connect
 * to. No file or Node API here, so the module also runs in a browser; the per-chain deployment file is read and
 * written by `./deployment.ts`.
 *
 * The contracts are typed by their v2 interfaces (`IInferenceHub`, `ISettlement`, ...): that is the surface the
 * off-chain software relies on, and it stays the same when governance enables another module implementation.
 */
import { ethers, type ContractRunner } from "ethers";

import {
  ICommitteeModule__factory,
  IDisputeCourt__factory,
  IInferenceHub__factory,
  IModelRegistry__factory,
  IOptimisticModule__factory,
  IRandomnessSource__factory,
  ISettlement__factory,
  IStaking__factory,
  IVerificationModule__factory,
  OPGToken__factory,
  type ICommitteeModule,
  type IDisputeCourt,
  type IInferenceHub,
  type IModelRegistry,
  type IOptimisticModule,
  type IRandomnessSource,
  type ISettlement,
  type IStaking,
  type IVerificationModule,
  type OPGToken,
} from "../../typechain-types/index.js";

/** The verification modules of the shipped modes, by mode name (ids: NONE 0, OPTIMISTIC 1, COMMITTEE 2). */
export interface ModuleAddresses {
  none: string;
  optimistic: string;
  committee: string;
}

export interface DeploymentAddresses {
  chainId: string;
  /** Inference layer: requests, assignment, results, timeouts. */
  hub: string;
  staking: string;
  /** Holds requesters' balances, locked fees, bonds and credits. */
  settlement: string;
  registry: string;
  token: string;
  /** Dispute court shared by the OPTIMISTIC and COMMITTEE modules. */
  court: string;
  /** Delayed randomness source of panel draws. */
  randomness: string;
  modules: ModuleAddresses;
  timelock?: string;
  governor?: string;
  /** Block of the deployment: event scans start here. */
  fromBlock: number;
}

export interface ProtocolContracts {
  hub: IInferenceHub;
  staking: IStaking;
  settlement: ISettlement;
  registry: IModelRegistry;
  token: OPGToken;
  court: IDisputeCourt;
  randomness: IRandomnessSource;
  modules: { none: IVerificationModule; optimistic: IOptimisticModule; committee: ICommitteeModule };
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

/** The file exists but is not a v2 deployment record (e.g. written for the v1 contracts). */
export class DeploymentFormatError extends Error {
  constructor(file: string, problem: string) {
    super(
      `${file} is not an OPG v2 deployment record: ${problem}. Write it again from the deployment ` +
        "(`npm run network` does it for a local chain), with hub, staking, settlement, registry, token, court, " +
        "randomness, modules {none, optimistic, committee} and fromBlock.",
    );
    this.name = "DeploymentFormatError";
  }
}

const ADDRESS_KEYS = ["hub", "staking", "settlement", "registry", "token", "court", "randomness"] as const;
const MODULE_KEYS = ["none", "optimistic", "committee"] as const;

/** Checks a parsed record: every contract address present and well formed, `fromBlock` a block number. */
export function parseDeployment(value: unknown, file = "deployment record"): DeploymentAddresses {
  if (typeof value !== "object" || value === null) throw new DeploymentFormatError(file, "not a JSON object");
  const record = value as Record<string, unknown>;
  for (const key of ADDRESS_KEYS) {
    if (typeof record[key] !== "string" || !ethers.isAddress(record[key])) {
      throw new DeploymentFormatError(file, `"${key}" is missing or not an address`);
    }
  }
  const modules = record["modules"];
  if (typeof modules !== "object" || modules === null) throw new DeploymentFormatError(file, '"modules" is missing');
  for (const key of MODULE_KEYS) {
    const address = (modules as Record<string, unknown>)[key];
    if (typeof address !== "string" || !ethers.isAddress(address)) {
      throw new DeploymentFormatError(file, `"modules.${key}" is missing or not an address`);
    }
  }
  if (typeof record["chainId"] !== "string") throw new DeploymentFormatError(file, '"chainId" is not a string');
  if (!Number.isSafeInteger(record["fromBlock"]) || (record["fromBlock"] as number) < 0) {
    throw new DeploymentFormatError(file, '"fromBlock" is not a block number');
  }
  return record as unknown as DeploymentAddresses;
}

/** Binds every contract of the record to `runner` (a signer to send, a provider to read). */
export function connectContracts(addresses: DeploymentAddresses, runner: ContractRunner): ProtocolContracts {
  return {
    hub: IInferenceHub__factory.connect(addresses.hub, runner),
    staking: IStaking__factory.connect(addresses.staking, runner),
    settlement: ISettlement__factory.connect(addresses.settlement, runner),
    registry: IModelRegistry__factory.connect(addresses.registry, runner),
    token: OPGToken__factory.connect(addresses.token, runner),
    court: IDisputeCourt__factory.connect(addresses.court, runner),
    randomness: IRandomnessSource__factory.connect(addresses.randomness, runner),
    modules: {
      none: IVerificationModule__factory.connect(addresses.modules.none, runner),
      optimistic: IOptimisticModule__factory.connect(addresses.modules.optimistic, runner),
      committee: ICommitteeModule__factory.connect(addresses.modules.committee, runner),
    },
    addresses,
  };
}
