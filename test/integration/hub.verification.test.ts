/**
 * The deployed v2 system, verification side: the OPTIMISTIC window and its challenges, the COMMITTEE module's quorum
 * and its fallbacks, and the court's outcomes with their money flows checked across Staking and the settlement
 * contract. Each module's and the court's own Solidity suites test every rule in depth.
 */
import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import {
  drawCommittee,
  drawJury,
  mined,
  passTime,
  pickChallenger,
  requestInference,
  runCommittee,
  runJury,
  submitAsWorker,
  uniqueMembers,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, Outcome, ROLE_WORKER, Status, type Protocol } from "../../offchain/devnet/protocol.js";
import { INPUT, OTHER_OUTPUT, OUTPUT, hubFixture, settlementAccounts, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const fixture = () => hubFixture(connection);

async function expectSolvent(f: HubFixture): Promise<void> {
  const { held, accounted, surplus } = await settlementAccounts(f.protocol);
  expect(held - accounted).to.equal(surplus);
}

async function submitted(f: HubFixture, mode: Mode, output = OUTPUT) {
  const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[mode], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, output);
  return { requestId, worker };
}

/** What a court case moved: stake taken (`Penalised`) and credits paid (`Credited`) for the request. */
async function caseFlows(protocol: Protocol, requestId: bigint) {
  const penalised = await protocol.court.queryFilter(protocol.court.filters.Penalised(requestId));
  const credited = await protocol.settlement.queryFilter(protocol.settlement.filters.Credited(requestId));
  const bonded = await protocol.settlement.queryFilter(protocol.settlement.filters.BondLocked(requestId));
  const byReason = (events: typeof penalised | typeof credited) => {
    const out = new Map<string, bigint>();
    for (const e of events) {
      const reason = ethersLib.decodeBytes32String(e.args.reason);
      out.set(reason, (out.get(reason) ?? 0n) + e.args.amount);
    }
    return out;
  };
  const sum = (events: Array<{ args: { amount: bigint } }>) => events.reduce((a, e) => a + e.args.amount, 0n);
  return {
    slashed: sum(penalised),
    credited: sum(credited),
    bonds: sum(bonded),
    penalties: byReason(penalised),
    credits: byReason(credited),
  };
}

describe("Inference hub v2 on the deployed system — verification", function () {
  describe("OPTIMISTIC", function () {
    it("is final from one second after the window, not at its end", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await submitted(f, Mode.OPTIMISTIC);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline);
      await expect(f.protocol.hub.connect(f.outsider).finalize(requestId, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotFinal")
        .withArgs(requestId);
      await expect(f.protocol.hub.connect(f.outsider).finalize(requestId, { gasLimit: 1_000_000 })).to.emit(
        f.protocol.hub,
        "RequestFinalized",
      );
    });

    it("takes a challenge at the window's last second, not after, and bonds it in the settlement contract", async function () {
      const f = await loadFixture(fixture);
      const late = await submitted(f, Mode.OPTIMISTIC);
      const challenger = await pickChallenger(f.protocol, f.verifiers, late.requestId);
      const lateDeadline = (await f.protocol.hub.getRequest(late.requestId)).deadline;
      const onTime = await submitted(f, Mode.OPTIMISTIC);
      const { deadline } = await f.protocol.hub.getRequest(onTime.requestId);
      const bond = (await f.protocol.court.params()).challengeBond;
      await time.setNextBlockTimestamp(lateDeadline + 1n);
      await expect(f.protocol.optimistic.connect(challenger).challenge(late.requestId, { gasLimit: 2_000_000 }))
        .to.be.revertedWithCustomError(f.protocol.optimistic, "OptimisticWindowClosed")
        .withArgs(late.requestId, lateDeadline);
      const at = await pickChallenger(f.protocol, f.verifiers, onTime.requestId);
      await time.setNextBlockTimestamp(deadline);
      const tx = f.protocol.optimistic.connect(at).challenge(onTime.requestId, { gasLimit: 2_000_000 });
      await expect(tx)
        .to.emit(f.protocol.court, "CaseOpened")
        .withArgs(onTime.requestId, f.protocol.addresses.modules.optimistic, onTime.worker);
      await expect(tx).to.emit(f.protocol.settlement, "BondLocked").withArgs(onTime.requestId, at.address, bond);
      expect((await f.protocol.hub.getRequest(onTime.requestId)).status).to.equal(Status.Disputed);
      expect(await f.protocol.settlement.totalBonded()).to.equal(bond);
      await expectSolvent(f);
    });

    it("refuses challenges by parties and by accounts that are not eligible verifiers", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await submitted(f, Mode.OPTIMISTIC);
      const { optimistic } = f.protocol;
      await expect(optimistic.connect(f.book.get(worker)).challenge(requestId))
        .to.be.revertedWithCustomError(optimistic, "OptimisticPartyToRequest")
        .withArgs(requestId, worker);
      await expect(optimistic.connect(f.requester).challenge(requestId))
        .to.be.revertedWithCustomError(optimistic, "OptimisticPartyToRequest")
        .withArgs(requestId, f.requester.address);
      await expect(optimistic.connect(f.outsider).challenge(requestId))
        .to.be.revertedWithCustomError(optimistic, "OptimisticNotEligible")
        .withArgs(f.outsider.address);
      const none = await submitted(f, Mode.NONE);
      await expect(optimistic.connect(f.verifiers[0]!).challenge(none.requestId))
        .to.be.revertedWithCustomError(optimistic, "OptimisticUnknownRequest")
        .withArgs(none.requestId);
    });

    it("others join the case with their own bond (not while the jury's word is known and undrawn); a juror cannot join", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await submitted(f, Mode.OPTIMISTIC, OTHER_OUTPUT);
      const [first, second] = f.verifiers;
      await mined(f.protocol.optimistic.connect(first!).challenge(requestId));
      const bond = (await f.protocol.court.params()).challengeBond;
      await expect(f.protocol.optimistic.connect(second!).challenge(requestId))
        .to.emit(f.protocol.court, "ChallengerJoined")
        .withArgs(requestId, second!.address, bond, bond);
      // The jury's word is now known (local delay: one block): joins pause until the jury is drawn.
      const third = f.verifiers[2]!;
      await expect(f.protocol.optimistic.connect(third).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.court, "CourtDrawPending")
        .withArgs(requestId, (await f.protocol.court.getCase(requestId)).ticket);
      await drawJury(f.protocol, requestId);
      await expect(f.protocol.optimistic.connect(second!).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.court, "CourtAlreadyChallenger")
        .withArgs(requestId, second!.address);
      const jurors = uniqueMembers(await f.protocol.court.juryOf(requestId, 1));
      const juror = f.verifiers.find((v) => jurors.includes(v.address.toLowerCase()))!;
      await expect(f.protocol.optimistic.connect(juror).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.court, "CourtPartyConflict")
        .withArgs(requestId, juror.address);
    });
  });

  describe("COMMITTEE", function () {
    it("draws exactly committeeSize seats from a later block, none of them a party", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await submitted(f, Mode.COMMITTEE);
      const round = await f.protocol.committee.roundOf(requestId);
      await expect(f.protocol.committee.drawCommittee(requestId, { gasLimit: 2_000_000 }))
        .to.be.revertedWithCustomError(f.protocol.committee, "CommitteeRandomnessPending")
        .withArgs(requestId, round.ticket);
      await drawCommittee(f.protocol, requestId);
      const seats = await f.protocol.committee.committeeOf(requestId);
      expect(BigInt(seats.length)).to.equal((await f.protocol.committee.params()).committeeSize);
      for (const seat of seats) expect([worker, f.requester.address]).to.not.include(seat);
    });

    it("silence is not approval: without a quorum by the reveal deadline it escalates to the court", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await submitted(f, Mode.COMMITTEE);
      await runCommittee(f.protocol, f.book, requestId, () => undefined); // nobody attests
      await expect(f.protocol.hub.finalize(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotFinal")
        .withArgs(requestId);
      const tx = f.protocol.committee.connect(f.outsider).escalate(requestId);
      await expect(tx).to.emit(f.protocol.committee, "Escalated").withArgs(requestId, 0n, 0n);
      await expect(tx).to.emit(f.protocol.court, "CaseOpened");
      await expect(tx).to.emit(f.protocol.committee, "SilencePenalised");
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
    });

    it("with too few eligible verifiers no committee is drawn: the requester is refunded, the worker untouched", async function () {
      const f = await hubFixture(connection, { verifiers: 0 });
      // Submit at the start of a snapshot epoch, so that the draw below reads the newest snapshot (one that a new
      // word would read too): then the shortage is final for this epoch and the draw reverts.
      const period = await f.protocol.staking.snapshotPeriod();
      const now = BigInt((await f.protocol.provider.getBlock("latest"))!.timestamp);
      await passTime(f.protocol, (now / period + 1n) * period - 1n);
      const { requestId, worker } = await submitted(f, Mode.COMMITTEE);
      const stake = (await f.protocol.staking.getOperator(worker)).active;
      const before = await f.protocol.settlement.balanceOf(f.requester.address);
      await networkHelpers.mine(2);
      await expect(f.protocol.committee.drawCommittee(requestId))
        .to.be.revertedWithCustomError(f.protocol.committee, "CommitteeTooFewVerifiers")
        .withArgs(requestId, (await f.protocol.committee.params()).committeeSize);
      await passTime(f.protocol, (await f.protocol.committee.roundOf(requestId)).drawDeadline);
      const fee = await totalFee(f.protocol);
      await expect(f.protocol.hub.finalize(requestId))
        .to.emit(f.protocol.hub, "RequestRefunded")
        .withArgs(requestId, worker, fee);
      expect(await f.protocol.settlement.balanceOf(f.requester.address)).to.equal(before + fee);
      const op = await f.protocol.staking.getOperator(worker);
      expect([op.active, op.locked]).to.deep.equal([stake, 0n]);
      expect(await f.protocol.settlement.creditsOf(worker)).to.equal(0n);
      await expectSolvent(f);
    });
  });

  describe("court outcomes, with the money checked across the layers", function () {
    it("worker wrong: slashed at least its collateral and jailed; challenger rewarded, requester refunded", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await submitted(f, Mode.OPTIMISTIC, OTHER_OUTPUT);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
      const collateral = await f.protocol.hub.collateralOf(requestId);
      const stake = (await f.protocol.staking.getOperator(worker)).active;
      const refundBefore = await f.protocol.settlement.balanceOf(f.requester.address);
      await runJury(f.protocol, f.book, requestId, () => false);
      expect((await f.protocol.court.getCase(requestId)).outcome).to.equal(BigInt(Outcome.Rejected));
      const fee = await totalFee(f.protocol);
      await expect(f.protocol.hub.finalize(requestId))
        .to.emit(f.protocol.hub, "RequestRejected")
        .withArgs(requestId, worker, fee);
      expect((await f.protocol.settlement.balanceOf(f.requester.address)) - refundBefore).to.equal(fee);

      const flows = await caseFlows(f.protocol, requestId);
      const workerSlash = flows.penalties.get("worker")!;
      expect(workerSlash >= collateral).to.equal(true);
      const op = await f.protocol.staking.getOperator(worker);
      expect(op.active).to.equal(stake - workerSlash);
      expect(op.locked).to.equal(0n);
      expect(await f.protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(false);
      expect(flows.credits.get("bond-return")).to.equal(flows.bonds);
      expect((flows.credits.get("challenger-reward") ?? 0n) > 0n).to.equal(true);
      // Every wei slashed or bonded in the case was credited to someone, no more.
      expect(flows.credited).to.equal(flows.slashed + flows.bonds);
      expect(await f.protocol.settlement.totalBonded()).to.equal(0n);
      await expectSolvent(f);
    });

    it("worker upheld: the bond is forfeited to the majority jurors and the treasury; the worker is paid its fee", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await submitted(f, Mode.OPTIMISTIC);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
      await runJury(f.protocol, f.book, requestId, () => true);
      const receipt = await mined(f.protocol.hub.finalize(requestId));
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      const flows = await caseFlows(f.protocol, requestId);
      expect(flows.credits.get("bond-return") ?? 0n).to.equal(0n);
      expect((flows.credits.get("voter-reward") ?? 0n) > 0n).to.equal(true);
      // Beyond the voters' share the forfeit goes to the treasury, never to the worker (no gain from colluding jurors).
      expect(flows.credits.get("worker-reward") ?? 0n).to.equal(0n);
      expect((flows.credits.get("forfeit") ?? 0n) > 0n).to.equal(true);
      expect(flows.credited).to.equal(flows.slashed + flows.bonds);
      // The majority jurors did the verification: they share the verifier fee.
      const split = receipt.logs
        .map((l) => f.protocol.settlement.interface.parseLog(l))
        .find((e) => e?.name === "FeeSplitPaid")!;
      expect(split.args.worker).to.equal(worker);
      expect(split.args.verifierPay > 0n).to.equal(true);
      await expectSolvent(f);
    });

    it("undecided after the appeal: the requester is refunded, the worker neither paid nor slashed", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await submitted(f, Mode.OPTIMISTIC);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
      const stake = (await f.protocol.staking.getOperator(worker)).active;
      await runJury(f.protocol, f.book, requestId, () => undefined); // silent: round 1 undecided
      const appeal = await f.protocol.court.getCase(requestId);
      expect([appeal.round, appeal.seats]).to.deep.equal([2n, (await f.protocol.court.params()).appealJurySize]);
      await runJury(f.protocol, f.book, requestId, () => undefined);
      expect((await f.protocol.court.getCase(requestId)).outcome).to.equal(BigInt(Outcome.Undecided));
      const fee = await totalFee(f.protocol);
      await expect(f.protocol.hub.finalize(requestId))
        .to.emit(f.protocol.hub, "RequestRefunded")
        .withArgs(requestId, worker, fee);
      const op = await f.protocol.staking.getOperator(worker);
      expect([op.active, op.locked]).to.deep.equal([stake, 0n]);
      expect(await f.protocol.settlement.creditsOf(worker)).to.equal(0n);
      const flows = await caseFlows(f.protocol, requestId);
      expect(flows.credits.get("bond-return")).to.equal(flows.bonds);
      expect((flows.penalties.get("nonReveal") ?? 0n) > 0n).to.equal(true); // the silent jurors
      expect(flows.credited).to.equal(flows.slashed + flows.bonds);
      await expectSolvent(f);
    });

    it("a committee's dissent goes to a jury without any committee member; agreeing members lose when wrong", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await submitted(f, Mode.COMMITTEE, OTHER_OUTPUT);
      let first = true;
      await runCommittee(f.protocol, f.book, requestId, () => {
        const vote = !first; // the first member disagrees, the others agree
        first = false;
        return vote;
      });
      const members = uniqueMembers(await f.protocol.committee.committeeOf(requestId));
      await mined(f.protocol.committee.escalate(requestId));
      await runJury(f.protocol, f.book, requestId, () => false);
      for (const seat of await f.protocol.court.juryOf(requestId, 1))
        expect(members).to.not.include(seat.toLowerCase());
      await mined(f.protocol.hub.finalize(requestId));
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Rejected);
      const flows = await caseFlows(f.protocol, requestId);
      if (members.length > 1) expect((flows.penalties.get("defender") ?? 0n) > 0n).to.equal(true);
      expect(flows.credited).to.equal(flows.slashed + flows.bonds);
      await expectSolvent(f);
    });
  });
});
