import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import type { HardhatUserConfig } from "hardhat/config";

import { opgTasks } from "./tasks/index.js";

const require = createRequire(import.meta.url);

// Invariant/fuzz depth is raised on demand (`npm run test:deep`) through these variables; CI uses the fixed defaults.
const fuzzRuns = Number(process.env.OPG_FUZZ_RUNS ?? 256);
const invariantRuns = Number(process.env.OPG_INVARIANT_RUNS ?? 48);
const invariantDepth = Number(process.env.OPG_INVARIANT_DEPTH ?? 40);
const fuzzSeed = process.env.OPG_FUZZ_SEED ?? "0x4f5047";

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxMochaEthers],
  tasks: opgTasks,
  solidity: {
    // solc-js from the npm `solc` package: compiles offline, no compiler download.
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      viaIR: false,
      evmVersion: "cancun",
    },
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
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
  },
};

export default config;
