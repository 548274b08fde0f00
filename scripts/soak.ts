/**
 * `npm run soak [-- --minutes N]`: the multi-process local network under load for N minutes (default 2; hours on
 * demand), with a cheating worker, a lazy verifier, a node process killed with SIGKILL and restarted every minute,
 * a model whose URI dies, a model whose bytes do not match its hash, malformed inputs, an operator that leaves, one
 * that joins, a governance parameter change and a flaky RPC for two nodes (offchain/devnet/soak.ts). It prints one
 * line per figure and exits non-zero on any violation.
 *
 * Started with tsx (not `hardhat run`, which takes no script arguments); it uses Hardhat programmatically. Other
 * options: --interval-ms (3000: each of the 3 requesters sends a request this often), --drain-seconds (45),
 * --rpc-failure-rate (0.03), --logs (print the nodes' output; always in .opg/soak/logs/<node>.log).
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";

import { network } from "hardhat";

import { runSoak } from "../offchain/devnet/soak.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "2" },
    "interval-ms": { type: "string", default: "3000" },
    "drain-seconds": { type: "string", default: "45" },
    "rpc-failure-rate": { type: "string", default: "0.03" },
    logs: { type: "boolean", default: false },
  },
});
const number = (name: keyof typeof values, min: number): number => {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value < min) {
    console.error(`--${name} must be a number ≥ ${min} (got "${String(values[name])}")`);
    process.exit(2);
  }
  return value;
};
const minutes = number("minutes", 0.5);

const root = process.cwd();
const dir = path.join(root, ".opg", "soak");
await rm(dir, { recursive: true, force: true });
const started = Date.now();
const report = await runSoak({
  networkManager: network,
  root,
  dir,
  minutes,
  intervalMs: number("interval-ms", 100),
  drainMs: number("drain-seconds", 0) * 1_000,
  rpcFailureRate: number("rpc-failure-rate", 0),
  printNode: values.logs === true ? (line) => console.log(line) : undefined,
});
console.log(`\nsoak summary (${((Date.now() - started) / 60_000).toFixed(1)} min wall time, logs in .opg/soak/logs/):`);
for (const line of report.lines) console.log(`  ${line}`);
if (report.violations.length > 0) {
  console.log(`\n${report.violations.length} violation(s):`);
  for (const v of report.violations) console.log(`  ✗ ${v}`);
  process.exit(1);
}
console.log("\nno violations");
process.exit(0);
