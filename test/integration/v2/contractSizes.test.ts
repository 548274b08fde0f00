/** Every v2 deployable stays at most 20 KB of runtime bytecode (the EIP-170 limit is 24 KB): room for fixes. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import hre from "hardhat";

const LIMIT = 20 * 1024;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const DEPLOYABLES = [
  "inference/InferenceHub.sol/InferenceHub",
  "verification/NoneModule.sol/NoneModule",
  "verification/OptimisticModule.sol/OptimisticModule",
  "verification/CommitteeModule.sol/CommitteeModule",
  "verification/DisputeCourt.sol/DisputeCourt",
  "settlement/Settlement.sol/Settlement",
  "staking/Staking.sol/Staking",
  "registry/ModelRegistry.sol/ModelRegistry",
  "randomness/BlockhashRandomness.sol/BlockhashRandomness",
  "token/OPGToken.sol/OPGToken",
  "governance/OPGGovernor.sol/OPGGovernor",
  "governance/OPGTimelock.sol/OPGTimelock",
];

describe("v2 contract sizes", function () {
  it(`every deployable is at most ${LIMIT} bytes`, async function () {
    // Coverage instruments the bytecode: the limit is enforced by `npm test` and CI.
    if (hre.globalOptions.coverage) this.skip();
    const rows: string[] = [];
    for (const name of DEPLOYABLES) {
      const artifact = JSON.parse(await readFile(path.join(root, "artifacts/contracts", `${name}.json`), "utf8")) as {
        deployedBytecode: string;
      };
      const size = (artifact.deployedBytecode.length - 2) / 2;
      rows.push(`${path.basename(name).padEnd(22)} ${String(size).padStart(6)} B`);
      expect(size, name).to.be.at.most(LIMIT);
    }
    console.log(`      ${rows.join("\n      ")}`);
  });
});
