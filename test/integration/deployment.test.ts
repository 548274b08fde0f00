import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { expect } from "chai";
import { network } from "hardhat";

import { deployProtocol, loadIgnitionParameters, type Protocol } from "../../offchain/devnet/protocol.js";

const OPG = 10n ** 18n;
const parametersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ignition/parameters");
const networks = (await readdir(parametersDir))
  .filter((name) => name.endsWith(".json"))
  .map((name) => name.slice(0, -".json".length))
  .sort();

/** A parameter whose default is the deployer (Ignition's `m.getAccount(0)`). */
const DEPLOYER = Symbol("deployer");
type Default = bigint | typeof DEPLOYER;

/**
 * Every `m.getParameter` of ignition/modules/*.ts with its default, by module id. Keep in sync with the modules: a
 * key missing here makes the "known keys" test fail for a file that sets it, and the read-back test has no getter.
 */
const MODULE_DEFAULTS: Record<string, Record<string, Default>> = {
  OPGToken: { recipient: DEPLOYER, supply: 1_000_000_000n * OPG },
  StakingV1: {
    minWorkerStake: 1_000n * OPG,
    minVerifierStake: 500n * OPG,
    unbondingDelay: 604_800n,
    jailDuration: 86_400n,
  },
  InferenceHubV1: {
    protocolFeeBps: 500n,
    verifierShareBps: 1_000n,
    stakeToFeeRatio: 10n,
    slashBps: 1_000n,
    challengerRewardBps: 5_000n,
    voterRewardBps: 3_000n,
    livenessPenaltyBps: 1_000n,
    nonRevealPenaltyBps: 100n,
    maxAttempts: 3n,
    committeeSize: 3n,
    responseTimeout: 300n,
    challengeWindow: 600n,
    commitWindow: 300n,
    revealWindow: 300n,
    maxCallbackGas: 500_000n,
    maxInputBytes: 16_384n,
    maxOutputBytes: 16_384n,
    challengeBond: 100n * OPG,
    minRequestFee: OPG / 100n,
  },
  Governance: {
    timelockDelay: 604_800n,
    votingDelay: 7_200n,
    votingPeriod: 50_400n,
    proposalThreshold: 1_000_000n * OPG,
    quorumPercent: 4n,
  },
  // Modules without parameters: a section for them would be ignored by Ignition.
  ModelRegistryV1: {},
  Randomness: {},
  OPGV1: {},
};
const GLOBAL = "$global";

/** A named member of a struct returned by ethers (a `Result` with named keys). */
function field(struct: object, key: string): bigint | string {
  const value: unknown = Reflect.get(struct, key);
  if (typeof value !== "bigint" && typeof value !== "string") throw new Error(`no struct member ${key}`);
  return value;
}

/** Reads one parameter back from the deployed contracts. */
type Reader = (p: Protocol) => Promise<bigint | string>;
const READERS: Record<string, Record<string, Reader>> = {
  OPGToken: {
    // The whole supply is minted to the recipient, and the deployment moves none of it.
    recipient: async (p) => {
      const supply = await p.token.totalSupply();
      const { deployer } = p;
      return (await p.token.balanceOf(deployer.address)) === supply ? deployer.address : "not the deployer";
    },
    supply: (p) => p.token.totalSupply(),
  },
  StakingV1: Object.fromEntries(
    Object.keys(MODULE_DEFAULTS.StakingV1!).map((key) => [
      key,
      async (p: Protocol) => field(await p.staking.params(), key),
    ]),
  ),
  InferenceHubV1: Object.fromEntries(
    Object.keys(MODULE_DEFAULTS.InferenceHubV1!).map((key) => [
      key,
      async (p: Protocol) => field(await p.hub.params(), key),
    ]),
  ),
  Governance: {
    timelockDelay: (p) => p.timelock.getMinDelay(),
    votingDelay: (p) => p.governor.votingDelay(),
    votingPeriod: (p) => p.governor.votingPeriod(),
    proposalThreshold: (p) => p.governor.proposalThreshold(),
    quorumPercent: (p) => p.governor["quorumNumerator()"](),
  },
};

function asBigInt(value: unknown, where: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new Error(`${where}: expected an integer, got ${JSON.stringify(value)}`);
}

/** The value Ignition uses for `module.key`: the module's section, then `$global`, then the module default. */
function resolve(params: DeploymentParameters, module: string, key: string): bigint | string | typeof DEPLOYER {
  const own = params[module]?.[key];
  if (own !== undefined) return typeof own === "string" ? own : asBigInt(own, `${module}.${key}`);
  const global = params[GLOBAL]?.[key];
  if (global !== undefined) return typeof global === "string" ? global : asBigInt(global, `${GLOBAL}.${key}`);
  const fallback = MODULE_DEFAULTS[module]?.[key];
  if (fallback === undefined) throw new Error(`${module}.${key} is not a parameter of the Ignition modules`);
  return fallback;
}

function numeric(params: DeploymentParameters, module: string, key: string): bigint {
  const value = resolve(params, module, key);
  if (typeof value !== "bigint") throw new Error(`${module}.${key} is not numeric`);
  return value;
}

function lifecycle(params: DeploymentParameters): bigint {
  return (["responseTimeout", "challengeWindow", "commitWindow", "revealWindow"] as const)
    .map((key) => numeric(params, "InferenceHubV1", key))
    .reduce((a, b) => a + b, 0n);
}

describe("Deployment parameters (ignition/parameters/*.json)", function () {
  it("has the files the docs and scripts expect", function () {
    expect(networks).to.include.members(["hardhat", "localhost", "mainnet", "sepolia"]);
  });

  describe("the module defaults used below match the Ignition modules' source", function () {
    it("every getParameter default in ignition/modules is listed", async function () {
      // The v1 modules and the two they share with v2 (v2's own modules are checked in deployment.v2.test.ts).
      const modulesDir = path.resolve(parametersDir, "../modules");
      const v1Files = (await readdir(path.join(modulesDir, "v1"))).map((name) => path.join("v1", name));
      for (const file of [...v1Files, "OPGToken.ts", "Governance.ts"].filter((name) => name.endsWith(".ts"))) {
        const source = await readFile(path.join(modulesDir, file), "utf8");
        const id = /buildModule\("([^"]+)"/.exec(source)?.[1];
        expect(id, `${file}: module id`).to.be.a("string");
        const declared = [...source.matchAll(/getParameter\("([^"]+)"/g)].map((m) => m[1]!);
        expect(Object.keys(MODULE_DEFAULTS[id!] ?? {}), `${id} parameters`).to.have.members(declared);
      }
    });
  });

  for (const name of networks) {
    describe(`${name}.json`, function () {
      it("parses, and names only modules and parameters that exist", async function () {
        const params = await loadIgnitionParameters(name);
        expect(params).to.be.an("object");
        for (const [module, section] of Object.entries(params)) {
          expect(section, `${module} section`).to.be.an("object");
          if (module === GLOBAL) continue;
          expect(MODULE_DEFAULTS, `unknown module id "${module}"`).to.have.property(module);
          for (const [key, value] of Object.entries(section)) {
            expect(MODULE_DEFAULTS[module], `unknown parameter ${module}.${key}`).to.have.property(key);
            if (MODULE_DEFAULTS[module]![key] === DEPLOYER) {
              expect(value, `${module}.${key}`).to.match(/^0x[0-9a-fA-F]{40}$/);
            } else {
              expect(asBigInt(value, `${module}.${key}`) >= 0n, `${module}.${key} is non-negative`).to.equal(true);
            }
          }
        }
      });

      it("responseTimeout + challengeWindow + commitWindow + revealWindow < unbondingDelay", async function () {
        const params = await loadIgnitionParameters(name);
        const unbonding = numeric(params, "StakingV1", "unbondingDelay");
        expect(lifecycle(params) < unbonding, `lifecycle ${lifecycle(params)} vs unbonding ${unbonding}`).to.equal(
          true,
        );
      });

      if (name === "mainnet" || name === "sepolia") {
        it("Governance timelockDelay >= StakingV1 unbondingDelay", async function () {
          const params = await loadIgnitionParameters(name);
          const timelockDelay = numeric(params, "Governance", "timelockDelay");
          const unbonding = numeric(params, "StakingV1", "unbondingDelay");
          expect(timelockDelay >= unbonding, `timelockDelay ${timelockDelay} vs unbonding ${unbonding}`).to.equal(true);
        });
      }
    });
  }

  it("the defaults alone satisfy the same rules", function () {
    const none: DeploymentParameters = {};
    expect(lifecycle(none)).to.equal(1_500n);
    expect(lifecycle(none) < numeric(none, "StakingV1", "unbondingDelay")).to.equal(true);
    expect(numeric(none, "Governance", "timelockDelay") >= numeric(none, "StakingV1", "unbondingDelay")).to.equal(true);
  });

  for (const name of ["hardhat", "mainnet", null]) {
    const label = name === null ? "no parameter file (module defaults)" : `${name}.json`;
    it(`the full OPG module deploys with ${label} and every parameter reads back from the chain`, async function () {
      const params: DeploymentParameters = name === null ? {} : await loadIgnitionParameters(name);
      const connection = await network.create();
      const protocol = await deployProtocol(connection, { governed: true, parameters: params });

      let checked = 0;
      for (const [module, readers] of Object.entries(READERS)) {
        for (const [key, read] of Object.entries(readers)) {
          const expected = resolve(params, module, key);
          const actual = await read(protocol);
          if (expected === DEPLOYER) expect(actual, `${module}.${key}`).to.equal(protocol.deployer.address);
          else if (typeof expected === "string") expect(actual, `${module}.${key}`).to.equal(expected);
          else expect(actual, `${module}.${key}`).to.equal(expected);
          checked++;
        }
      }
      // Every key the file sets has a reader, so nothing in it goes unchecked.
      for (const [module, section] of Object.entries(params)) {
        if (module === GLOBAL) continue;
        for (const key of Object.keys(section))
          expect(READERS[module], `reader for ${module}.${key}`).to.have.property(key);
      }
      const declared = Object.values(MODULE_DEFAULTS).reduce((n, section) => n + Object.keys(section).length, 0);
      expect(checked).to.equal(declared);

      // Wiring the parameters do not name, and the lifecycle rule as the hub computes it.
      const hubParams = await protocol.hub.params();
      expect(hubParams.treasury).to.equal(await protocol.timelock.getAddress());
      expect(hubParams.randomness).to.equal(await protocol.randomness.getAddress());
      expect(await protocol.hub.maxLifecycleDuration()).to.equal(lifecycle(params));
      expect(await protocol.staking.hub()).to.equal(await protocol.hub.getAddress());
      expect(await protocol.governor.timelock()).to.equal(await protocol.timelock.getAddress());
      expect(await protocol.governor.token()).to.equal(await protocol.token.getAddress());
      expect(await protocol.hub.owner()).to.equal(await protocol.timelock.getAddress());
      expect(await protocol.staking.owner()).to.equal(await protocol.timelock.getAddress());
      await connection.close();
    });
  }
});
