/**
 * Keeps a local OPG network running, one OS process per node: this process serves Hardhat's chain on
 * http://127.0.0.1:8545 (chain id 31337; blocks carry wall-clock timestamps, one block a second when idle), deploys
 * the v2 protocol with Ignition (ignition/parameters/localhost.json), registers the model zoo in every mode and
 * stakes the operators; then the input store and every worker, verifier and keeper run as their own processes, each
 * with the task an operator runs (`hardhat store`, `hardhat worker|verifier|keeper --network localhost --account <i>
 * ...`). Each logs to .opg/network/logs/<name>.log and, prefixed with its name, to this console.
 *
 * A node that dies (try `kill -9 <pid>`: the pids are printed) is restarted after OPG_RESTART_MS (default 5000;
 * "off" to leave it down) and catches up from its persisted cursor and job file; the others never notice.
 * Ctrl-C sends SIGINT to every node, waits for them to finish their jobs, then stops the chain.
 *
 * Environment: OPG_PORT (8545), OPG_WORKERS (3), OPG_VERIFIERS (10: a jury is drawn only from as many distinct
 * non-party verifiers as seats, and the 7-seat jury of an escalated COMMITTEE result excludes its 3-seat committee;
 * with fewer, such cases end Undecided and are refunded), OPG_KEEPERS (1), OPG_CHEATER / OPG_LAZY_VERIFIER
 * (index of a worker / verifier started with a dishonest strategy through scripts/devnet/node.ts), OPG_MODELS
 * (zoo | demo), OPG_STORE_PORT (8790, or "off": the input store, its own process too), OPG_KEEP_ALL=1 (every
 * worker and verifier also keeps every request: `--keep-all`), OPG_APP_PORT (8080, or "off": the web app and the
 * OpenAI-style API, served from this process; offchain/app/).
 *
 * From another terminal:
 *
 *   npx hardhat model:list --network localhost
 *   npx hardhat infer --network localhost --model 1 --input "[5.1, 3.5, 1.4, 0.2]" --wait   (iris-mlp)
 *   npx hardhat network:stats --network localhost
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { network } from "hardhat";

import { launchApp } from "../offchain/app/launch.js";
import type { AppServer } from "../offchain/app/server.js";
import { launchMultiProcessNetwork } from "../offchain/devnet/multiprocess.js";
import { Mode, loadIgnitionParameters } from "../offchain/devnet/protocol.js";
import { createLogger } from "../offchain/node/logger.js";

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return value;
};
const optionalInt = (name: string): number | undefined =>
  process.env[name] === undefined || process.env[name] === "" ? undefined : int(name, 0);

const root = process.cwd();
const dir = path.join(root, ".opg", "network");
await rm(dir, { recursive: true, force: true }); // a new chain: old node state would not match it
// Ignition journals of earlier local chains describe contracts that no longer exist.
for (const entry of await readdir(path.join(root, "ignition", "deployments")).catch(() => [] as string[])) {
  if (entry.startsWith("opg-local-")) await rm(path.join(root, "ignition", "deployments", entry), { recursive: true });
}

const restart = process.env.OPG_RESTART_MS === "off" ? undefined : int("OPG_RESTART_MS", 5_000);
console.log("starting the chain, deploying and training the model zoo (about a minute)…");
// A port already taken (usually a network started earlier) gets one line that says what to do, not a stack trace.
process.on("uncaughtException", (error: NodeJS.ErrnoException) => {
  if (error.code === "EADDRINUSE") {
    const port = (error as { port?: number }).port;
    console.error(
      `error: port ${port} is already in use — is another \`npm run network\` running? Stop it, or choose other ` +
        "ports with OPG_PORT, OPG_APP_PORT and OPG_STORE_PORT",
    );
  } else {
    console.error(error);
  }
  process.exit(1);
});
const net = await launchMultiProcessNetwork({
  networkManager: network,
  root,
  dir,
  port: int("OPG_PORT", 8545),
  workers: int("OPG_WORKERS", 3),
  verifiers: int("OPG_VERIFIERS", 10),
  keepers: int("OPG_KEEPERS", 1),
  models: process.env.OPG_MODELS === "demo" ? "demo" : "zoo",
  parameters: await loadIgnitionParameters("localhost"),
  deploymentId: `opg-local-${Date.now()}`,
  deploymentRoot: root,
  cheater: optionalInt("OPG_CHEATER"),
  lazyVerifier: optionalInt("OPG_LAZY_VERIFIER"),
  restartDelayMs: restart,
  keepAll: process.env.OPG_KEEP_ALL === "1",
  inputStorePort: process.env.OPG_STORE_PORT === "off" ? undefined : int("OPG_STORE_PORT", 8790),
});

const a = net.deployed.contracts.addresses;
console.log(`\nOPG local network on ${net.url} (chain id 31337)`);
const head = await net.connection.ethers.provider.getBlock("latest");
console.log(
  `  chain time ${head?.timestamp}, wall time ${Math.floor(Date.now() / 1000)} (blocks carry wall-clock timestamps)`,
);
console.log(`  hub ${a.hub}, settlement ${a.settlement}, court ${a.court}`);
console.log(`  staking ${a.staking}, registry ${a.registry}; all recorded in .opg/deployments/31337.json`);
for (const m of net.deployed.models) console.log(`  model #${m.id} ${m.name} (${Mode[m.mode]})`);
for (const m of net.deployed.languageModels) {
  console.log(`  model #${m.id} ${m.name} (${Mode[m.mode]}, language model, context ${m.contextLength} tokens)`);
}
console.log(`  node processes (logs in .opg/network/logs/):`);
for (const node of net.group.nodes) console.log(`    ${node.spec.name.padEnd(20)} pid ${node.pid}`);
console.log(
  restart === undefined ? "  a node that dies stays down" : `  a node that dies is restarted after ${restart} ms`,
);
if (process.env.OPG_STORE_PORT !== "off") {
  const storeUrl = `http://127.0.0.1:${int("OPG_STORE_PORT", 8790)}`;
  console.log(`  input store on ${storeUrl} (data in .opg/network/store): export OPG_STORE_URL=${storeUrl}`);
}
// The web app and the OpenAI-style API, in this process (they only talk to the chain over its RPC).
let app: AppServer | undefined;
if (process.env.OPG_APP_PORT !== "off") {
  app = await launchApp({
    root,
    rpcUrl: net.url,
    port: int("OPG_APP_PORT", 8080),
    logger: createLogger("app", { pretty: true, level: "warn" }),
  });
  console.log(
    `  web app on ${app.url} — chat, explorer and observatory; OpenAI-style API at ${app.url}/v1/chat/completions`,
  );
}
console.log("\nTry, from another terminal:");
console.log('  npx hardhat infer --network localhost --model 1 --input "[5.1, 3.5, 1.4, 0.2]" --wait');
const lm = net.deployed.languageModels.find((m) => m.mode === Mode.OPTIMISTIC) ?? net.deployed.languageModels[0];
if (lm !== undefined) {
  console.log(`  npx hardhat generate --model ${lm.id} --prompt "The jury said that" --max-tokens 32 --wait`);
}
console.log("  npx hardhat request:status --network localhost --id 1");
console.log("  npx hardhat network:stats --network localhost\n");

await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
console.log("\nstopping the nodes (SIGINT to each; they finish their jobs and persist), then the chain…");
await app?.close();
await net.stop();
console.log("stopped");
process.exit(0);
