/**
 * Devnet only: runs a worker or verifier node built exactly as `npx hardhat worker|verifier` builds it, with a
 * dishonest strategy injected (offchain/node/cheats.ts) — the production tasks have no option for it. The
 * multi-process network (offchain/devnet/multiprocess.ts) starts its cheating worker and lazy verifier this way:
 *
 *   OPG_DEVNET_ROLE=worker OPG_DEVNET_ACCOUNT=6 OPG_DEVNET_STRATEGY=cheat \
 *     npx hardhat run --network localhost --no-compile scripts/devnet/node.ts
 *
 * Strategies: worker `cheat` (posts outputs outside the tolerance; OPG_DEVNET_CHEAT_RATE, default 1); verifier
 * `lazy` (attests and votes "agree" without computing, re-checks no OPTIMISTIC result).
 */
import hre from "hardhat";

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

if (role === "worker" && strategy === "cheat") {
  const rate = Number(env("OPG_DEVNET_CHEAT_RATE", "1"));
  const { config } = await prepareNode(hre, args, "worker");
  config.logger.warn("devnet.strategy", { strategy: "cheat", rate, note: "posts wrong outputs: expect to be slashed" });
  await runUntilSignal(await createWorker({ ...config, tamper: cheatingTamperer(rate) }));
} else if (role === "verifier" && strategy === "lazy") {
  const { config } = await prepareNode(hre, args, "verifier");
  config.logger.warn("devnet.strategy", { strategy: "lazy", note: "attests without computing" });
  await runUntilSignal(await createVerifier({ ...config, sampleRate: 0, ballot: lazyVerifier }));
} else {
  throw new Error(`unknown devnet node ${role}/${strategy}: use worker/cheat or verifier/lazy`);
}
