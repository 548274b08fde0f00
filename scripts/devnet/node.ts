/**
 * Devnet only: runs a worker or verifier node built exactly as `npx hardhat worker|verifier` builds it, with a
 * dishonest strategy injected (offchain/node/cheats.ts) — the production tasks have no option for it. The
 * multi-process network (offchain/devnet/multiprocess.ts) starts its cheating worker and lazy verifier this way:
 *
 *   OPG_DEVNET_ROLE=worker OPG_DEVNET_ACCOUNT=6 OPG_DEVNET_STRATEGY=cheat \
 *     npx hardhat run --network localhost --no-compile scripts/devnet/node.ts
 *
 * Strategies: worker `cheat` (posts outputs outside the tolerance; OPG_DEVNET_CHEAT_RATE, default 1); verifier
 * `lazy` (attests and votes "agree" without computing, re-checks no OPTIMISTIC result); `honest` (worker or
 * verifier: the production node, for use with a flaky RPC).
 *
 * OPG_DEVNET_RPC_FAILURE_RATE (e.g. 0.03) puts offchain/chain/flakyProvider.ts between the node and the chain: that
 * share of its JSON-RPC calls fails with a transient error (rate limit, timeout, reset, 5xx) before reaching the
 * chain, at most 2 in a row (OPG_DEVNET_RPC_SEED seeds the choice).
 */
import { BrowserProvider } from "ethers";
import hre from "hardhat";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import type { NodeConfig } from "../../offchain/node/factory.js";
import type { TaskContext } from "../../tasks/actions/context.js";

import { cheatingTamperer, lazyVerifier } from "../../offchain/node/cheats.js";
import { createVerifier, createWorker } from "../../offchain/node/factory.js";
import { prepareNode, runUntilSignal, type NodeArgs } from "../../tasks/actions/node.js";

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`set ${name}`);
  return value;
};

const role = env("OPG_DEVNET_ROLE");
const strategy = env("OPG_DEVNET_STRATEGY");
const args: NodeArgs = {
  deployment: env("OPG_DEVNET_DEPLOYMENT", ""),
  account: env("OPG_DEVNET_ACCOUNT"),
  stateDir: env("OPG_DEVNET_STATE_DIR", ".opg/nodes"),
  cacheDir: env("OPG_DEVNET_CACHE_DIR", ".opg/models"),
  ipfsGateway: "",
  concurrency: 4,
  pollMs: Number(env("OPG_DEVNET_POLL_MS", "1000")),
  confirmations: 0,
  stake: "0",
  pretty: true,
};

const failureRate = Number(env("OPG_DEVNET_RPC_FAILURE_RATE", "0"));

/** The node as `prepareNode` builds it, talking to the chain through a flaky RPC when asked. */
async function prepare(nodeRole: "worker" | "verifier"): Promise<{ config: NodeConfig }> {
  const { ctx, config } = await prepareNode(hre, args, nodeRole);
  if (failureRate > 0) await makeFlaky(ctx, config);
  return { config };
}

async function makeFlaky(ctx: TaskContext, config: NodeConfig): Promise<void> {
  const seed = Number(env("OPG_DEVNET_RPC_SEED", "1"));
  const flaky = new FlakyEip1193Provider(ctx.connection.provider, { failureRate, seed, maxConsecutive: 2 });
  const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
  const signer = await provider.getSigner(ctx.signer.address);
  config.signer = signer;
  config.contracts = connectContracts(ctx.addresses, signer);
  config.logger.warn("devnet.flaky_rpc", { failureRate, seed, note: "this share of RPC calls fails (transient)" });
  const report = setInterval(() => {
    const { calls, failures } = flaky.stats;
    config.logger.info("devnet.flaky_rpc.stats", { calls, failures });
  }, 60_000);
  report.unref();
}

if (role === "worker" && strategy === "cheat") {
  const rate = Number(env("OPG_DEVNET_CHEAT_RATE", "1"));
  const { config } = await prepare("worker");
  config.logger.warn("devnet.strategy", { strategy: "cheat", rate, note: "posts wrong outputs: expect to be slashed" });
  await runUntilSignal(await createWorker({ ...config, tamper: cheatingTamperer(rate) }));
} else if (role === "verifier" && strategy === "lazy") {
  const { config } = await prepare("verifier");
  config.logger.warn("devnet.strategy", { strategy: "lazy", note: "attests without computing" });
  await runUntilSignal(await createVerifier({ ...config, sampleRate: 0, ballot: lazyVerifier }));
} else if (strategy === "honest" && (role === "worker" || role === "verifier")) {
  const { config } = await prepare(role);
  await runUntilSignal(await (role === "worker" ? createWorker(config) : createVerifier({ ...config, sampleRate: 1 })));
} else {
  throw new Error(`unknown devnet node ${role}/${strategy}: use worker/cheat, verifier/lazy or worker|verifier/honest`);
}
