/** The `worker`, `verifier` and `keeper` tasks: run a node until SIGINT or SIGTERM, then stop cleanly. */
import path from "node:path";

import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TxSender } from "../../offchain/chain/sender.js";
import {
  createKeeper,
  createVerifier,
  createWorker,
  protocolErrorInterfaces,
  type NodeConfig,
} from "../../offchain/node/factory.js";
import { createLogger } from "../../offchain/node/logger.js";
import type { NodeRunner } from "../../offchain/node/runner.js";
import { TaskInputError, formatOpg, openProtocol, parseOpg, sendAndReport, type TaskContext } from "./context.js";
import { untilSignal } from "./signals.js";

export interface NodeArgs {
  deployment: string;
  account: string;
  stateDir: string;
  cacheDir: string;
  ipfsGateway: string;
  concurrency: number;
  pollMs: number;
  confirmations: number;
  /** Workers and verifiers only. */
  stake?: string;
  pretty: boolean;
}

/**
 * Connects to the network, stakes if asked, checks eligibility (workers and verifiers) and builds the node config.
 * Exported for devnet entry points (scripts/devnet/) that build the same node with an injected test strategy.
 */
export async function prepareNode(
  hre: HardhatRuntimeEnvironment,
  args: NodeArgs,
  role: "worker" | "verifier" | "keeper",
): Promise<{ ctx: TaskContext; config: NodeConfig }> {
  if (args.concurrency < 1) throw new TaskInputError("--concurrency must be at least 1");
  const stakeAmount =
    role !== "keeper" && args.stake !== undefined && args.stake !== "0" ? parseOpg(args.stake, "--stake") : 0n;
  const ctx = await openProtocol(hre, args);
  const roleBit = role === "worker" ? 1 : 2;
  if (stakeAmount > 0n) await stake(ctx, stakeAmount, roleBit);
  const eligible = role === "keeper" || (await ctx.contracts.staking.isEligible(ctx.signer.address, roleBit));
  if (!eligible) {
    throw new TaskInputError(
      `${ctx.signer.address} is not an eligible ${role}: stake at least the minimum with --stake <OPG> ` +
        `(or \`npx hardhat operator:stake --roles ${role}\`); if it is jailed, wait for the jail to end, then ` +
        "`npx hardhat operator:refresh`",
    );
  }
  const logger = createLogger(role, { pretty: args.pretty });
  const config: NodeConfig = {
    contracts: ctx.contracts,
    signer: ctx.signer,
    logger,
    stateDir: path.resolve(ctx.root, args.stateDir),
    cacheDir: path.resolve(ctx.root, args.cacheDir),
    modelBaseDir: ctx.root,
    ipfsGateway: args.ipfsGateway !== "" ? args.ipfsGateway : undefined,
    concurrency: args.concurrency,
    pollIntervalMs: args.pollMs,
    confirmations: args.confirmations,
  };
  logger.info("node.config", {
    operator: ctx.signer.address,
    hub: ctx.addresses.hub,
    chainId: ctx.chainId,
    stateDir: config.stateDir,
    concurrency: args.concurrency,
  });
  return { ctx, config };
}

async function stake(ctx: TaskContext, amount: bigint, roles: number): Promise<void> {
  const { staking, token } = ctx.contracts;
  const held = await token.balanceOf(ctx.signer.address);
  if (held < amount) {
    throw new TaskInputError(
      `--stake ${formatOpg(amount)} is more than ${ctx.signer.address} holds (${formatOpg(held)}); nothing was sent. ` +
        `On the local network: \`npx hardhat faucet --to ${ctx.signer.address} --amount ${ethers.formatEther(amount)}\``,
    );
  }
  const current = await staking.getOperator(ctx.signer.address);
  await sendAndReport("approve", token, () => token.connect(ctx.signer).approve(staking.target, amount));
  await sendAndReport(`stake ${formatOpg(amount)}`, staking, () =>
    staking.connect(ctx.signer).stake(amount, Number(current.roles) | roles),
  );
}

/** Runs until SIGINT/SIGTERM, then stops every node. */
export async function runUntilSignal(...nodes: NodeRunner[]): Promise<void> {
  for (const node of nodes) await node.start();
  await untilSignal();
  await Promise.all(nodes.map((node) => node.stop()));
}

/**
 * With --keep-all, a keeper for every request runs next to the node, in the same process and on the same
 * transaction sender (one nonce sequence per account).
 */
async function withKeeper(config: NodeConfig, keepAll: boolean | undefined): Promise<NodeRunner[]> {
  if (keepAll !== true) return [];
  config.sender ??= new TxSender(config.signer, { errorInterfaces: protocolErrorInterfaces() });
  return [await createKeeper({ ...config, logger: config.logger.child("keeper") })];
}

export async function workerAction(
  args: NodeArgs & { keepAll?: boolean; topUp?: string },
  hre: HardhatRuntimeEnvironment,
) {
  const topUp = args.topUp !== undefined && args.topUp !== "" ? parseOpg(args.topUp, "--top-up") : undefined;
  const { config } = await prepareNode(hre, args, "worker");
  const keeper = await withKeeper(config, args.keepAll);
  await runUntilSignal(await createWorker({ ...config, topUp }), ...keeper);
}

export async function keeperAction(
  args: NodeArgs & { gasBudget: number; jitterMs: number },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.gasBudget < 100_000) throw new TaskInputError("--gas-budget must be at least 100000 gas per round");
  if (args.jitterMs < 0) throw new TaskInputError("--jitter-ms must not be negative");
  const { config } = await prepareNode(hre, args, "keeper");
  await runUntilSignal(
    await createKeeper({ ...config, gasBudgetPerRound: BigInt(args.gasBudget), jitterMs: args.jitterMs }),
  );
}

export async function verifierAction(
  args: NodeArgs & { sampleRate: number; bondReserve?: string; keepAll?: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.sampleRate < 0 || args.sampleRate > 1) throw new TaskInputError("--sample-rate must be between 0 and 1");
  const { config } = await prepareNode(hre, args, "verifier");
  // Challenge bonds come from the free balance in Settlement; the node tops it up to this amount at start-up (and
  // by the missing amount before a challenge).
  const bondReserve =
    args.bondReserve !== undefined && args.bondReserve !== ""
      ? parseOpg(args.bondReserve, "--bond-reserve")
      : undefined;
  const keeper = await withKeeper(config, args.keepAll);
  await runUntilSignal(await createVerifier({ ...config, sampleRate: args.sampleRate, bondReserve }), ...keeper);
}
