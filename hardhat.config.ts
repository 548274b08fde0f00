import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join, sep } from "node:path";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import type { HardhatUserConfig } from "hardhat/config";

import { opgTasks } from "./tasks/index.js";

const require = createRequire(import.meta.url);

// Invariant/fuzz depth is raised on demand (`npm run test:deep`) through these variables; CI uses the fixed defaults.
const fuzzRuns = Number(process.env.OPG_FUZZ_RUNS ?? 256);
const invariantRuns = Number(process.env.OPG_INVARIANT_RUNS ?? 48);
const invariantDepth = Number(process.env.OPG_INVARIANT_DEPTH ?? 40);
const fuzzSeed = process.env.OPG_FUZZ_SEED ?? "0x4f5047";

// solc-js from the npm `solc` package: compiles offline, no compiler download.
const legacyPipeline = {
  version: "0.8.28",
  path: require.resolve("solc/soljson.js"),
  settings: { optimizer: { enabled: true, runs: 200 }, viaIR: false, evmVersion: "cancun" },
};
const irPipeline = { ...legacyPipeline, settings: { ...legacyPipeline.settings, viaIR: true } };
/** Every contract that is deployed (test doubles, interfaces and internal libraries are not). */
const deployables = readdirSync(join(import.meta.dirname, "contracts"), { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".sol") && !/^(mocks|interfaces|libraries)[\\/]/.test(file))
  .map((file) => `contracts/${file.split(sep).join("/")}`)
  .sort();

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxMochaEthers],
  tasks: opgTasks,
  solidity: {
    compilers: [legacyPipeline],
    // The deployables are compiled through the IR pipeline (about 5 % less gas per inference; see README "Gas"); the
    // Solidity test files keep the legacy one, which compiles them in minutes instead of the IR pipeline's 20.
    overrides: Object.fromEntries(deployables.map((file) => [file, irPipeline])),
  },
  paths: {
    tests: {
      solidity: "./test/solidity",
      mocha: "./test/integration",
    },
  },
  test: {
    solidity: {
      fuzz: { runs: fuzzRuns, seed: fuzzSeed },
      invariant: { runs: invariantRuns, depth: invariantDepth, failOnRevert: false },
    },
  },
  coverage: {
    // Test doubles are not protocol code.
    skipFiles: ["contracts/mocks/**"],
  },
  typechain: {
    outDir: "typechain-types",
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    // The chain `npm run network` serves: blocks carry wall-clock timestamps (automine may put several blocks in one
    // second instead of pushing chain time ahead), and a block is mined every second even when idle so windows
    // close on their own. See README "Local chain time" and docs/PARAMETERS.md.
    opgLocal: {
      type: "edr-simulated",
      chainType: "l1",
      chainId: 31337,
      allowBlocksWithSameTimestamp: true,
      mining: { auto: true, interval: 1_000 },
    },
    // OPG_RPC_URL lets a test (or a second local network) use another port.
    localhost: { type: "http", chainType: "l1", url: process.env.OPG_RPC_URL ?? "http://127.0.0.1:8545" },
  },
};

export default config;
