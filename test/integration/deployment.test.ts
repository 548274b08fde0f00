/**
 * The v2 deployment's parameters: every `m.getParameter` of the Ignition modules, its default in
 * `ignition/defaults.ts`, every network file of `ignition/parameters/`, and — deployed by the full `OPG` module —
 * every parameter read back from the chain, with the wiring and the hand-over to governance.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { expect } from "chai";
import { Contract } from "ethers";
import { network } from "hardhat";

import { PARAMETER_DEFAULTS } from "../../ignition/defaults.js";
import { deployProtocol, loadIgnitionParameters, type Protocol } from "../../offchain/devnet/protocol.js";

const OPG = 10n ** 18n;
const parametersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../ignition/parameters");
const modulesDir = path.resolve(parametersDir, "../modules");
const networks = (await readdir(parametersDir))
  .filter((name) => name.endsWith(".json"))
  .map((name) => name.slice(0, -".json".length))
  .sort();
/** Seconds per block assumed for the public networks (the randomness delay is in blocks, windows in seconds). */
const BLOCK_SECONDS = 12n;

/** A parameter whose default is the deployer (Ignition's `m.getAccount(0)`). */
const DEPLOYER = Symbol("deployer");
type Default = bigint | typeof DEPLOYER;

/** ignition/defaults.ts as bigints. */
const DEFAULTS: Record<string, Record<string, Default>> = Object.fromEntries(
  Object.entries(PARAMETER_DEFAULTS).map(([module, section]) => [
    module,
    Object.fromEntries(Object.entries(section).map(([key, value]) => [key, BigInt(value)])),
  ]),
);
/** The parameters the modules declare with a default that is not in defaults.ts (literals in the module). */
const MODULE_ONLY: Record<string, Record<string, Default>> = {
  OPGToken: { recipient: DEPLOYER },
  Governance: { proposalThreshold: 1_000_000n * OPG },
};
/** Every parameter of the v2 modules with its default, by module id. */
const MODULE_DEFAULTS: Record<string, Record<string, Default>> = Object.fromEntries(
  [...new Set([...Object.keys(DEFAULTS), ...Object.keys(MODULE_ONLY)])].map((module) => [
    module,
    { ...DEFAULTS[module], ...MODULE_ONLY[module] },
  ]),
);
const GLOBAL = "$global";

/** A named member of a struct returned by ethers (a `Result` with named keys). */
function field(struct: object, key: string): bigint | string {
  const value: unknown = Reflect.get(struct, key);
  if (typeof value !== "bigint" && typeof value !== "string") throw new Error(`no struct member ${key}`);
  return value;
}

const ownable = (p: Protocol, address: string) =>
  new Contract(address, ["function owner() view returns (address)"], p.provider);
const delayOf = (p: Protocol) =>
  new Contract(p.addresses.randomness, ["function delay() view returns (uint256)"], p.provider);

/** Reads one parameter back from the deployed contracts. */
type Reader = (p: Protocol) => Promise<bigint | string>;
const structReaders = (module: string, read: (p: Protocol) => Promise<object>): Record<string, Reader> =>
  Object.fromEntries(
    Object.keys(MODULE_DEFAULTS[module]!).map((key) => [key, async (p: Protocol) => field(await read(p), key)]),
  );
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
  Governance: {
    timelockDelay: (p) => p.timelock.getMinDelay(),
    votingDelay: (p) => p.governor.votingDelay(),
    votingPeriod: (p) => p.governor.votingPeriod(),
    proposalThreshold: (p) => p.governor.proposalThreshold(),
    quorumPercent: (p) => p.governor["quorumNumerator()"](),
  },
  Staking: {
    ...structReaders("Staking", (p) => p.staking.params()),
    snapshotPeriod: (p) => p.staking.snapshotPeriod(), // immutable, not in params()
  },
  ModelRegistry: { minFee: (p) => p.registry.minFee() },
  BlockhashRandomness: { delay: async (p) => (await delayOf(p).getFunction("delay")()) as bigint },
  InferenceHub: structReaders("InferenceHub", (p) => p.hub.params()),
  DisputeCourt: structReaders("DisputeCourt", (p) => p.court.params()),
  OptimisticModule: { challengeWindow: (p) => p.optimistic.challengeWindow() },
  CommitteeModule: structReaders("CommitteeModule", (p) => p.committee.params()),
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

/** Longest case in the court: two rounds of draw + commit + reveal windows. */
function courtCase(params: DeploymentParameters): bigint {
  const round = ["drawWindow", "commitWindow", "revealWindow"]
    .map((key) => numeric(params, "DisputeCourt", key))
    .reduce((a, b) => a + b, 0n);
  return 2n * round;
}

/** The hub's `maxLifecycleDuration`: every attempt's timeout plus the longest verification of any module. */
function lifecycle(params: DeploymentParameters): bigint {
  const attempts = numeric(params, "InferenceHub", "maxAttempts") * numeric(params, "InferenceHub", "responseTimeout");
  const optimistic = numeric(params, "OptimisticModule", "challengeWindow") + courtCase(params);
  const committee =
    ["drawWindow", "commitWindow", "revealWindow"]
      .map((key) => numeric(params, "CommitteeModule", key))
      .reduce((a, b) => a + b, 0n) + courtCase(params);
  return attempts + (optimistic > committee ? optimistic : committee);
}

describe("Deployment parameters (v2 Ignition modules, ignition/defaults.ts, ignition/parameters/*.json)", function () {
  it("has the files the docs and scripts expect", function () {
    expect(networks).to.include.members(["hardhat", "localhost", "mainnet", "sepolia"]);
  });

  // That each default is the one defaults.ts gives is checked by deploying without a parameter file (below).
  it("every getParameter of the v2 modules is a parameter of ignition/defaults.ts (or listed here)", async function () {
    const files = (await readdir(modulesDir)).filter((name) => name.endsWith(".ts"));
    const seen = new Set<string>();
    for (const file of files) {
      const source = await readFile(path.join(modulesDir, file), "utf8");
      const id = /buildModule\("([^"]+)"/.exec(source)?.[1];
      expect(id, `${file}: module id`).to.be.a("string");
      const declared = [...source.matchAll(/getParameter\("([^"]+)"/g)].map((m) => m[1]!);
      if (declared.length === 0) continue;
      seen.add(id!);
      expect(Object.keys(MODULE_DEFAULTS[id!] ?? {}), `${id} parameters`).to.have.members(declared);
    }
    expect([...seen]).to.have.members(Object.keys(MODULE_DEFAULTS));
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

      it("the longest request lifecycle plus two snapshot epochs is shorter than the unbonding delay (Staking enforces it)", async function () {
        const params = await loadIgnitionParameters(name);
        const unbonding = numeric(params, "Staking", "unbondingDelay");
        const floor = lifecycle(params) + 2n * numeric(params, "Staking", "snapshotPeriod");
        expect(floor < unbonding, `lifecycle + 2 epochs ${floor} vs unbonding ${unbonding}`).to.equal(true);
      });

      it("the snapshot period covers every panel draw window (a draw inside its window finds its snapshot)", async function () {
        const params = await loadIgnitionParameters(name);
        const period = numeric(params, "Staking", "snapshotPeriod");
        for (const module of ["DisputeCourt", "CommitteeModule"]) {
          const window = numeric(params, module, "drawWindow");
          expect(period >= window, `${module}.drawWindow ${window} vs snapshotPeriod ${period}`).to.equal(true);
        }
      });

      it("panel draw windows outlast the randomness delay", async function () {
        const params = await loadIgnitionParameters(name);
        const delay = numeric(params, "BlockhashRandomness", "delay") * BLOCK_SECONDS;
        for (const module of ["DisputeCourt", "CommitteeModule"]) {
          const window = numeric(params, module, "drawWindow");
          expect(window > delay, `${module}.drawWindow ${window} vs ${delay} s of delay`).to.equal(true);
        }
      });

      if (name === "mainnet" || name === "sepolia") {
        it("Governance timelockDelay >= Staking unbondingDelay", async function () {
          const params = await loadIgnitionParameters(name);
          const timelockDelay = numeric(params, "Governance", "timelockDelay");
          const unbonding = numeric(params, "Staking", "unbondingDelay");
          expect(timelockDelay >= unbonding, `timelockDelay ${timelockDelay} vs unbonding ${unbonding}`).to.equal(true);
        });

        it("keeps the randomness delay beyond the proposer lookahead (at least 64 blocks)", async function () {
          const params = await loadIgnitionParameters(name);
          expect(numeric(params, "BlockhashRandomness", "delay") >= 64n).to.equal(true);
        });
      }
    });
  }

  it("the defaults alone satisfy the same rules", function () {
    const none: DeploymentParameters = {};
    expect(
      lifecycle(none) + 2n * numeric(none, "Staking", "snapshotPeriod") < numeric(none, "Staking", "unbondingDelay"),
    ).to.equal(true);
    expect(numeric(none, "Governance", "timelockDelay") >= numeric(none, "Staking", "unbondingDelay")).to.equal(true);
  });

  for (const name of ["hardhat", "mainnet", null]) {
    const label = name === null ? "no parameter file (module defaults)" : `${name}.json`;
    it(`the full OPG module deploys with ${label}: every parameter reads back, wired and governed`, async function () {
      const params: DeploymentParameters = name === null ? {} : await loadIgnitionParameters(name);
      const connection = await network.create();
      const protocol = await deployProtocol(connection, { governed: true, parameters: params });

      let checked = 0;
      for (const [module, readers] of Object.entries(READERS)) {
        for (const [key, read] of Object.entries(readers)) {
          const expected = resolve(params, module, key);
          const actual = await read(protocol);
          if (expected === DEPLOYER) expect(actual, `${module}.${key}`).to.equal(protocol.deployer.address);
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

      // The lifecycle rule as the hub computes it.
      const a = protocol.addresses;
      expect(await protocol.hub.maxLifecycleDuration()).to.equal(lifecycle(params));

      // Wiring: modes, permissions, treasury, suspender.
      expect([...(await protocol.hub.moduleOf(0))]).to.deep.equal([a.modules.none, true]);
      expect([...(await protocol.hub.moduleOf(1))]).to.deep.equal([a.modules.optimistic, true]);
      expect([...(await protocol.hub.moduleOf(2))]).to.deep.equal([a.modules.committee, true]);
      expect(await protocol.staking.settlement()).to.equal(a.settlement);
      expect(await protocol.staking.permissionsOf(a.hub)).to.equal(3n); // LOCKER | SLASHER
      expect(await protocol.staking.permissionsOf(a.court)).to.equal(2n); // SLASHER
      expect(await protocol.staking.permissionsOf(a.modules.committee)).to.equal(2n);
      expect(await protocol.staking.permissionsOf(a.modules.optimistic)).to.equal(0n);
      expect(await protocol.settlement.permissionsOf(a.hub)).to.equal(3n); // FEES | BONDS
      for (const bonder of [a.court, a.modules.optimistic, a.modules.committee]) {
        expect(await protocol.settlement.permissionsOf(bonder)).to.equal(2n); // BONDS
      }
      expect(await protocol.settlement.permissionsOf(protocol.deployer.address)).to.equal(0n);
      expect(await protocol.settlement.treasury()).to.equal(a.timelock);
      expect(await protocol.registry.suspender()).to.equal(a.hub);
      expect(await protocol.hub.listensToRegistry()).to.equal(true); // keeps models' terms between requests
      expect(await protocol.court.hub()).to.equal(a.hub);
      expect(await protocol.court.isModule(a.modules.optimistic)).to.equal(true);
      expect(await protocol.court.isModule(a.modules.committee)).to.equal(true);
      expect(await protocol.court.isModule(a.modules.none)).to.equal(false);
      expect(await protocol.governor.timelock()).to.equal(a.timelock);
      expect(await protocol.governor.token()).to.equal(a.token);

      // Governance: every owned contract is the timelock's, and the deployer keeps no admin role.
      for (const owned of [
        a.hub,
        a.staking,
        a.settlement,
        a.registry,
        a.court,
        a.modules.optimistic,
        a.modules.committee,
      ]) {
        expect(await ownable(protocol, owned).getFunction("owner")(), owned).to.equal(a.timelock);
      }
      const admin = await protocol.timelock.DEFAULT_ADMIN_ROLE();
      expect(await protocol.timelock.hasRole(admin, protocol.deployer.address)).to.equal(false);
      await connection.close();
    });
  }
});
