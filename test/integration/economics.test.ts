import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";

import {
  binomialPmf,
  breakEvenGain,
  DEFAULT_ASSUMPTIONS,
  defaultProposerShare,
  defaultProtocolParams,
  EconomicsParameterError,
  evaluateMode,
  hypergeometricPmf,
  majorityProbability,
  mergeParameters,
  protocolParams,
  seatDistribution,
  type Assumptions,
  type Mode,
  type ProtocolParams,
} from "../../offchain/economics/model.js";

/** |actual − expected| ≤ tolerance. (The ethers chai matchers that other suites load turn `closeTo` into a bigint
 *  matcher, so floating-point figures are compared explicitly.) */
function expectNear(actual: number | undefined, expected: number, tolerance: number, label = ""): void {
  expect(actual, label).to.be.a("number");
  expect(
    Math.abs((actual as number) - expected) <= tolerance,
    `${label} ${actual} ≈ ${expected} ± ${tolerance}`,
  ).to.equal(true);
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PARAMETER_DIR = path.join(ROOT, "ignition/parameters");
const execFileAsync = promisify(execFile);

const SHIPPED = readdirSync(PARAMETER_DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => {
    const network = file.replace(/\.json$/, "");
    const { merged } = mergeParameters(JSON.parse(readFileSync(path.join(PARAMETER_DIR, file), "utf8")));
    return { network, params: protocolParams(merged) };
  });

const VERIFIED: Mode[] = ["OPTIMISTIC", "COMMITTEE"];

// ------------------------------------------------------------------------------------------- Monte Carlo helpers

/** mulberry32: a small seeded PRNG, so the simulation is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The panel draw of IStaking.drawPanel: `seats` distinct whole-OPG tickets by stake without replacement, with the
 * exclusion-interval technique (r uniform in [0, remaining), skip the excluded tickets in ascending order), then the
 * owner of each ticket. Returns the owner index per seat.
 */
function drawPanel(tickets: readonly number[], seats: number, random: () => number): number[] {
  const cumulative: number[] = [];
  let total = 0;
  for (const t of tickets) cumulative.push((total += Math.floor(t)));
  const excluded: number[] = [];
  const owners: number[] = [];
  for (let s = 0; s < seats; s++) {
    let r = Math.floor(random() * (total - excluded.length));
    for (const e of excluded) {
      if (e <= r) r++;
      else break;
    }
    const at = excluded.findIndex((e) => e > r);
    excluded.splice(at === -1 ? excluded.length : at, 0, r);
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) > r) hi = mid;
      else lo = mid + 1;
    }
    owners.push(lo);
  }
  return owners;
}

/** Empirical distribution of the attacker's seats (its addresses are the first `attackerAddresses` entries). */
function simulateSeats(
  tickets: readonly number[],
  attackerAddresses: number,
  seats: number,
  panels: number,
  seed: number,
): number[] {
  const random = prng(seed);
  const counts = new Array<number>(seats + 1).fill(0);
  for (let i = 0; i < panels; i++) {
    const mine = drawPanel(tickets, seats, random).filter((owner) => owner < attackerAddresses).length;
    counts[mine] = (counts[mine] ?? 0) + 1;
  }
  return counts.map((c) => c / panels);
}

/** Attacker stake `attacker` split over `parts` addresses (whole tickets), then honest addresses of uneven sizes. */
function population(attacker: number, parts: number, honest: readonly number[]): number[] {
  const split = Array.from({ length: parts }, (_, i) => Math.floor(attacker / parts) + (i < attacker % parts ? 1 : 0));
  return [...split, ...honest];
}

function expectClose(empirical: number, exact: number, panels: number, what: string): void {
  const sigma = Math.sqrt(Math.max(exact * (1 - exact), 1e-6) / panels);
  expect(Math.abs(empirical - exact), `${what}: simulated ${empirical}, model ${exact}`).to.be.at.most(4 * sigma);
}

// ------------------------------------------------------------------------------------------------------ tests

describe("economics of a wrong result", function () {
  describe("shipped parameter files", function () {
    it("finds every network file and reads it over the v2 defaults", function () {
      expect(SHIPPED.map((s) => s.network)).to.include.members(["hardhat", "localhost", "mainnet", "sepolia"]);
    });

    for (const { network, params } of SHIPPED) {
      for (const mode of VERIFIED) {
        it(`${network} ${mode}: EV < 0 at a = 1/3 for the min fee, 1 OPG and 100 OPG, exact and binomial`, function () {
          for (const fee of [params.minFee, 1, 100]) {
            for (const sampling of ["hypergeometric", "binomial"] as const) {
              const r = evaluateMode(mode, params, {
                attackerShare: 1 / 3,
                proposerShare: defaultProposerShare(network),
                fee,
                sampling,
              });
              expect(r.best.ev, `${network} ${mode} fee ${fee} ${sampling}: ${r.best.strategy}`).to.be.below(0);
            }
          }
        });
      }

      it(`${network} NONE: unverified — a wrong result is final with certainty and any gain pays`, function () {
        const r = evaluateMode("NONE", params, { proposerShare: defaultProposerShare(network) });
        expect(r.best.pFinal).to.equal(1);
        expect(r.best.ev).to.equal(r.gain);
        expect(r.breakEvenGain).to.equal(0);
      });
    }
  });

  describe("panels: the model against a simulation of the ticket draw", function () {
    const PANELS = 4000;
    // Small pool on purpose: 30 tickets, so the exact (hypergeometric) law is far from the binomial one.
    const HONEST = [7, 1, 5, 3, 4];

    it("the attacker's seat distribution in a committee of 3 is the hypergeometric one", function () {
      // 15 tickets: P(all 3 seats) is 2.2 % exactly, 3.7 % under the binomial law — far enough apart to tell.
      const exact = hypergeometricPmf(15, 5, 3);
      const simulated = simulateSeats(population(5, 1, [4, 1, 3, 2]), 1, 3, PANELS, 1);
      for (let j = 0; j <= 3; j++) expectClose(simulated[j] ?? 0, exact[j] ?? 0, PANELS, `P(J = ${j})`);
      // and the binomial law is not what the draw produces: the test can tell them apart
      expect(Math.abs((binomialPmf(3, 1 / 3)[3] ?? 0) - (exact[3] ?? 0))).to.be.above(
        4 * Math.sqrt(((exact[3] ?? 0) * (1 - (exact[3] ?? 0))) / PANELS),
      );
    });

    it("a jury majority of 5 and of 9 seats has the model's probability", function () {
      for (const seats of [5, 9]) {
        const exact = majorityProbability(hypergeometricPmf(30, 10, seats));
        const simulated = majorityProbability(simulateSeats(population(10, 1, HONEST), 1, seats, PANELS, seats));
        expectClose(simulated, exact, PANELS, `majority of ${seats}`);
      }
    });

    it("splitting the attacker's stake over many addresses does not change its seats", function () {
      const whole = simulateSeats(population(10, 1, HONEST), 1, 5, PANELS, 7);
      const split = simulateSeats(population(10, 10, HONEST), 10, 5, PANELS, 7);
      const exact = hypergeometricPmf(30, 10, 5);
      for (let j = 0; j <= 5; j++) {
        expectClose(whole[j] ?? 0, exact[j] ?? 0, PANELS, `one address, P(J = ${j})`);
        expectClose(split[j] ?? 0, exact[j] ?? 0, PANELS, `ten addresses, P(J = ${j})`);
      }
    });

    it("the binomial law bounds the exact capture probability from above and is its large-N limit", function () {
      for (const seats of [3, 5, 9, 11, 15]) {
        const bound = majorityProbability(binomialPmf(seats, 1 / 3));
        let previous = 0;
        for (const tickets of [300, 3_000, 30_000, 3_000_000]) {
          const exact = majorityProbability(hypergeometricPmf(tickets, tickets / 3, seats));
          expect(exact, `${seats} seats, N = ${tickets}`).to.be.at.most(bound);
          expect(exact).to.be.at.least(previous);
          previous = exact;
        }
        expect(bound - previous).to.be.below(1e-5);
      }
    });

    it("grinding gives the attacker every seat with probability π on top of a fair draw", function () {
      const fair = hypergeometricPmf(1_000_000, 333_333, 3);
      const ground = seatDistribution(1_000_000, 333_333, 3, 0.01, "hypergeometric");
      expectNear(ground[3], 0.99 * (fair[3] ?? 0) + 0.01, 1e-12);
      expectNear(
        ground.reduce((a, b) => a + b),
        1,
        1e-12,
      );
    });
  });

  describe("the game", function () {
    const shipped = defaultProtocolParams();

    it("splitting does not change the probability that a wrong result is finalized", function () {
      for (const mode of VERIFIED) {
        const p = [500, 5_000, 333_333].map(
          (attackerAddressStake) => evaluateMode(mode, shipped, { attackerAddressStake }).best.pFinal,
        );
        expectNear(p[1], p[0] ?? NaN, 1e-12, mode);
        expectNear(p[2], p[0] ?? NaN, 1e-12, mode);
      }
    });

    it("a weak court makes cheating pay: slash 1 %, juries of 3 and 5, a = 0.45", function () {
      const weak: ProtocolParams = { ...shipped, slashBps: 100, jurySize: 3, appealJurySize: 5, challengeBond: 1 };
      for (const mode of VERIFIED) {
        const r = evaluateMode(mode, weak, { attackerShare: 0.45, workerFreeStake: weak.minWorkerStake });
        expect(r.best.ev, mode).to.be.above(0);
      }
    });

    it("with every honest seat revealing, the attacker never forces a tie and nothing is refunded", function () {
      for (const mode of VERIFIED) {
        const r = evaluateMode(mode, shipped, {});
        for (const s of r.strategies) {
          expect(s.pForcedTie, `${mode} ${s.strategy}`).to.equal(0);
          expect(s.pRefunded, `${mode} ${s.strategy}`).to.equal(0);
        }
      }
    });

    it("with silent honest seats, forcing a tie into the appeal is part of the best strategy", function () {
      const r = evaluateMode("OPTIMISTIC", shipped, { honestRevealRate: 0.7 });
      expect(r.best.pForcedTie).to.be.above(0);
      expect(r.best.pRefunded).to.be.above(0);
      expect(r.best.strategy).to.match(/forces ties/);
    });

    it("the outcome probabilities of every strategy sum to 1", function () {
      for (const mode of VERIFIED) {
        for (const honestRevealRate of [1, 0.8]) {
          for (const s of evaluateMode(mode, shipped, { honestRevealRate }).strategies) {
            expectNear(s.pFinal + s.pRejected + s.pRefunded, 1, 1e-9, `${mode} ${s.strategy}`);
          }
        }
      }
    });

    it("the attacker's EV grows with its share and with the proposer share", function () {
      for (const mode of VERIFIED) {
        const byShare = [0.05, 0.1, 0.2, 1 / 3, 0.45].map((a) => evaluateMode(mode, shipped, { attackerShare: a }));
        for (let i = 1; i < byShare.length; i++) {
          expect(byShare[i]?.best.ev).to.be.above(byShare[i - 1]?.best.ev ?? Infinity);
          expect(byShare[i]?.best.pFinal).to.be.above(byShare[i - 1]?.best.pFinal ?? Infinity);
        }
        const byPi = [0, 0.01, 0.1].map((proposerShare) => evaluateMode(mode, shipped, { proposerShare }).best.pFinal);
        expect(byPi[1]).to.be.above(byPi[0] ?? Infinity);
        expect(byPi[2]).to.be.above(byPi[1] ?? Infinity);
      }
    });

    it("a controlled draw (π = 1) finalizes every wrong result", function () {
      for (const mode of VERIFIED) expect(evaluateMode(mode, shipped, { proposerShare: 1 }).best.pFinal).to.equal(1);
    });

    it("OPTIMISTIC without detection finalizes every wrong result and the EV is the gain", function () {
      const r = evaluateMode("OPTIMISTIC", shipped, { detection: 0 });
      const wait = r.strategies.find((s) => s.strategy.startsWith("wait"));
      expect(wait?.pFinal).to.equal(1);
      expectNear(wait?.ev, r.gain, 1e-9);
    });

    it("COMMITTEE: one honest member disagreeing sends the result to court, whatever the quorum", function () {
      const online = [2, 3].map((quorum) => evaluateMode("COMMITTEE", { ...shipped, quorum }).best.pFinal);
      expectNear(online[0], online[1] ?? NaN, 1e-12);
      // with silent honest members, a quorum of the attacker's seats alone finalizes (silence is not disagreement)
      const silent: Partial<Assumptions> = { honestRevealRate: 0.5 };
      const offline = [2, 3].map((quorum) => evaluateMode("COMMITTEE", { ...shipped, quorum }, silent).best.pFinal);
      expect(offline[0]).to.be.above(offline[1] ?? Infinity);
    });

    it("the worker slash is the collateral when other jobs lock the rest of its stake", function () {
      const busy = evaluateMode("OPTIMISTIC", shipped, { fee: 1, workerFreeStake: 0 });
      expectNear(busy.workerSlash, busy.collateral, 1e-12);
      const idle = evaluateMode("OPTIMISTIC", shipped, { fee: 1, workerFreeStake: shipped.minWorkerStake });
      expectNear(idle.workerSlash, ((shipped.minWorkerStake + idle.collateral) * shipped.slashBps) / 10_000, 1e-9);
    });

    it("the break-even gain separates negative from non-negative EV", function () {
      const proposal: ProtocolParams = { ...shipped, challengeBond: 1, jurySize: 9, appealJurySize: 15 };
      for (const mode of VERIFIED) {
        const g = breakEvenGain(mode, proposal, { ...DEFAULT_ASSUMPTIONS });
        expect(g, mode).to.be.above(0);
        expect(evaluateMode(mode, proposal).breakEvenGain).to.equal(g);
        expect(evaluateMode(mode, proposal, { gain: g * 0.999 }).best.ev, mode).to.be.below(0);
        expect(evaluateMode(mode, proposal, { gain: g * 1.001 }).best.ev, mode).to.be.at.least(0);
      }
    });
  });

  describe("parameter files", function () {
    it("ignore sections that are not v2 modules and read amounts given as decimal strings", function () {
      const { merged, ignored } = mergeParameters({
        StakingV1: { unbondingDelay: 1 },
        DisputeCourt: { jurySize: 9, challengeBond: "2000000000000000000n" },
        ModelRegistry: { minFee: "100000000000000000" },
      });
      expect(ignored).to.deep.equal(["StakingV1"]);
      const p = protocolParams(merged);
      expect(p.jurySize).to.equal(9);
      expect(p.challengeBond).to.equal(2);
      expect(p.minFee).to.equal(0.1);
      expect(p.appealJurySize).to.equal(defaultProtocolParams().appealJurySize);
    });

    it("reject an unknown name in a v2 section and a non-integer amount", function () {
      expect(() => mergeParameters({ DisputeCourt: { jurySze: 9 } })).to.throw(EconomicsParameterError, /jurySze/);
      expect(() => protocolParams(mergeParameters({ DisputeCourt: { challengeBond: "1.5" } }).merged)).to.throw(
        EconomicsParameterError,
        /challengeBond/,
      );
    });
  });

  describe("npm run econ", function () {
    this.timeout(120_000);

    it("--json prints one line per network and mode with P and EV", async function () {
      const tsx = path.join(ROOT, "node_modules/.bin/tsx");
      const { stdout } = await execFileAsync(tsx, [path.join(ROOT, "scripts/economics.ts"), "--json"], { cwd: ROOT });
      const out = JSON.parse(stdout) as {
        networks: { network: string; modes: { mode: string; pFinal: number; ev: number }[] }[];
      };
      expect(out.networks.map((n) => n.network)).to.deep.equal(SHIPPED.map((s) => s.network));
      for (const n of out.networks) {
        expect(n.modes.map((m) => m.mode)).to.deep.equal(["NONE", "OPTIMISTIC", "COMMITTEE"]);
        for (const m of n.modes) {
          expect(m.pFinal).to.be.within(0, 1);
          expect(m.ev).to.be.a("number");
        }
      }
    });
  });
});
