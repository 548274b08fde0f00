/**
 * The soak (offchain/devnet/soak.ts, `npm run soak`) in its short version: the multi-process network for 1.5 minutes
 * of load with every fault injected (cheating worker, lazy verifier, a SIGKILL-and-restart, a dying model URI, a
 * model whose bytes miss their hash, malformed inputs, an operator leaving, one joining, a governance change, a
 * flaky RPC on two nodes), then a 30-second drain. About 2.5 minutes.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { runSoak, type SoakReport } from "../../offchain/devnet/soak.js";

describe("Soak: the multi-process network under load and faults (1.5 min)", function () {
  this.timeout(300_000);
  let report: SoakReport;
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-soak-"));
    const lines: string[] = [];
    report = await runSoak({
      networkManager: network,
      root: process.cwd(),
      dir,
      minutes: 1.5,
      drainMs: 30_000,
      print: (line) => lines.push(line),
    });
    // The figures, always; the event log of the run only when something failed.
    const shown = report.violations.length > 0 ? [...lines, ...report.lines] : report.lines;
    console.log(shown.map((line) => `      ${line}`).join("\n"));
  });

  after(async function () {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("reports no violation", function () {
    expect(report.violations).to.deep.equal([]);
  });

  it("leaves no request open past its maximum lifecycle", function () {
    expect(report.figures.stuck).to.equal(0);
  });

  it("slashes and jails no honest operator (the killed, the flaky, the leaving and the joining ones included)", function () {
    expect(report.figures.honestPenalised).to.equal(0);
  });

  it("keeps Settlement and Staking solvent to the wei", function () {
    expect([report.figures.settlementDiff, report.figures.stakingDiff]).to.deep.equal([0n, 0n]);
  });

  it("slashes the cheating worker", function () {
    expect(report.figures.cheaterSlashes).to.be.greaterThan(0);
  });

  it("settles requests under load and kills a node process on schedule", function () {
    expect(report.figures.byState["Finalized"] ?? 0).to.be.greaterThan(10);
    expect(report.figures.kills).to.equal(1);
  });

  it("executes the governance parameter change mid-run", function () {
    expect(report.figures.governanceExecuted).to.equal(true);
  });
});
