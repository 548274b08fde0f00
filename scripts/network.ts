/**
 * Keeps a local OPG network running: Hardhat's chain served on http://127.0.0.1:8545 (chain id 31337), the v2
 * protocol deployed with Ignition (ignition/parameters/localhost.json: short windows), the model zoo registered in
 * every mode, and worker and verifier nodes attached and serving.
 * From another terminal:
 *
 *   npx hardhat model:list --network localhost
 *   npx hardhat infer --network localhost --model 2 --input "[5.1, 3.5, 1.4, 0.2]" --wait   (iris-mlp)
 *   npx hardhat network:stats --network localhost
 *
 * Stop with Ctrl-C: the nodes finish their jobs and persist their state.
 */
import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { network } from "hardhat";

import { startLocalNetwork } from "../offchain/devnet/network.js";
import { Mode, loadIgnitionParameters } from "../offchain/devnet/protocol.js";
import { createLogger } from "../offchain/node/logger.js";

const PORT = Number(process.env.OPG_PORT ?? 8545);
const root = process.cwd();
const dir = path.join(root, ".opg", "network");
await rm(dir, { recursive: true, force: true }); // a new chain: old node state would not match it
// Ignition journals of earlier local chains describe contracts that no longer exist.
for (const entry of await readdir(path.join(root, "ignition", "deployments")).catch(() => [] as string[])) {
  if (entry.startsWith("opg-local-")) await rm(path.join(root, "ignition", "deployments", entry), { recursive: true });
}

const server = await network.createServer("default", "127.0.0.1", PORT);
try {
  await server.listen();
} catch (error) {
  throw new Error(
    `cannot listen on 127.0.0.1:${PORT} (${(error as Error).message}): stop what uses it or set OPG_PORT`,
  );
}
const connection = await network.create("localhost");
// Mine a block every second even when idle, so chain time moves and windows close on their own.
await connection.provider.request({ method: "evm_setIntervalMining", params: [1_000] });

const logger = createLogger("network", { pretty: true });
const net = await startLocalNetwork(connection, {
  dir,
  logger,
  workers: 3,
  verifiers: 4,
  models: "zoo",
  cheater: process.env.OPG_CHEATER === undefined ? undefined : Number(process.env.OPG_CHEATER),
  deploymentRoot: root,
  parameters: await loadIgnitionParameters("localhost"),
  deploymentId: `opg-local-${Date.now()}`,
  pollIntervalMs: 500,
});
await net.start();

console.log(`\nOPG local network on http://127.0.0.1:${PORT} (chain id 31337)`);
const a = net.contracts.addresses;
console.log(`  hub ${a.hub}, settlement ${a.settlement}, court ${a.court}`);
console.log(`  staking ${a.staking}, registry ${a.registry}; all recorded in .opg/deployments/31337.json`);
for (const m of net.models) console.log(`  model #${m.id} ${m.name} (${Mode[m.mode]})`);
console.log(`  ${net.workers.length} workers and ${net.verifiers.length} verifiers attached (logs below)\n`);
console.log("Try, from another terminal:");
console.log('  npx hardhat infer --network localhost --model 1 --input "[5.1, 3.5, 1.4, 0.2]" --wait');
console.log("  npx hardhat request:status --network localhost --id 1");
console.log("  npx hardhat network:stats --network localhost\n");

await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
console.log("\nstopping nodes…");
await net.stop();
await server.close();
