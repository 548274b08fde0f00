import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import {
  attestAll,
  mined,
  pickChallenger,
  requestInference,
  scriptedSalt,
  submitAsWorker,
  voteAll,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { INPUT, MODEL_FEE, OUTPUT, hubFixture, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const fixture = () => hubFixture(connection);
const BPS = 10_000n;

async function submitted(f: HubFixture, mode: Mode) {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[mode], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

async function disputed(f: HubFixture) {
  const requestId = await submitted(f, Mode.OPTIMISTIC);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.hub.connect(challenger).challenge(requestId));
  return { requestId, challenger };
}

describe("InferenceHubV1 — verification", function () {
  describe("OPTIMISTIC", function () {
    it("finalizes from one second after the window, not at its end", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.OPTIMISTIC);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline);
      await expect(f.protocol.hub.finalize(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlineNotReached")
        .withArgs(requestId, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.protocol.hub.connect(f.outsider).finalize(requestId)).to.emit(f.protocol.hub, "RequestFinalized");
      await expect(f.protocol.hub.finalize(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubInvalidStatus")
        .withArgs(requestId, Status.Finalized);
    });

    it("accepts a challenge at the window's last second, not after", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.OPTIMISTIC);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      const snapshot = await networkHelpers.takeSnapshot();
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.protocol.hub.connect(challenger).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, deadline);
      await snapshot.restore();
      await time.setNextBlockTimestamp(deadline);
      const bond = (await f.protocol.hub.params()).challengeBond;
      await expect(f.protocol.hub.connect(challenger).challenge(requestId))
        .to.emit(f.protocol.hub, "Challenged")
        .withArgs(requestId, challenger.address, bond)
        .and.to.emit(f.protocol.hub, "DisputeOpened");
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
    });

    it("rejects challenges by parties, non-verifiers, without bond, and in the wrong mode", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.OPTIMISTIC);
      const { worker } = await f.protocol.hub.getRequest(requestId);
      await expect(f.protocol.hub.connect(f.book.get(worker)).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubPartyToRequest")
        .withArgs(requestId, worker);
      await expect(f.protocol.hub.connect(f.requester).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubPartyToRequest")
        .withArgs(requestId, f.requester.address);
      await expect(f.protocol.hub.connect(f.outsider).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotEligibleVerifier")
        .withArgs(f.outsider.address);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      const balance = await f.protocol.hub.balanceOf(challenger.address);
      await f.protocol.hub.connect(challenger).withdraw(balance);
      const bond = (await f.protocol.hub.params()).challengeBond;
      await expect(f.protocol.hub.connect(challenger).challenge(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubInsufficientBalance")
        .withArgs(challenger.address, 0n, bond);
      const committeeRequest = await submitted(f, Mode.COMMITTEE);
      await expect(f.protocol.hub.connect(challenger).challenge(committeeRequest))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubWrongMode")
        .withArgs(committeeRequest, Mode.COMMITTEE);
    });
  });

  describe("COMMITTEE", function () {
    it("draws distinct eligible verifiers that are not parties to the request", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.COMMITTEE);
      const members = await f.protocol.hub.committeeOf(requestId);
      const { worker, requester, committeeSize } = await f.protocol.hub.getRequest(requestId);
      expect(members.length).to.equal(Number(committeeSize));
      expect(members.length).to.equal(Number((await f.protocol.hub.params()).committeeSize));
      expect(new Set(members).size).to.equal(members.length);
      expect(members).to.not.include(worker);
      expect(members).to.not.include(requester);
    });

    it("finalizes on a quorum of agreeing attestations and pays the attesters", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.COMMITTEE);
      const members = await f.protocol.hub.committeeOf(requestId);
      const receipts = await attestAll(f.protocol, f.book, requestId, true, 2);
      expect(receipts).to.have.length(2);
      const req = await f.protocol.hub.getRequest(requestId);
      expect(req.status).to.equal(Status.Finalized);
      expect(req.attestations).to.equal(2n);
      const verifierPay = (MODEL_FEE * 1_000n) / BPS;
      expect(await f.protocol.hub.creditsOf(members[0]!)).to.equal(verifierPay / 2n);
      expect(await f.protocol.hub.creditsOf(members[1]!)).to.equal(verifierPay / 2n);
      expect(await f.protocol.hub.creditsOf(members[2]!)).to.equal(0n);
      const late = f.book.get(members[2]!);
      await expect(f.protocol.hub.connect(late).attest(requestId, true))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubInvalidStatus")
        .withArgs(requestId, Status.Finalized);
    });

    it("rejects attestations by non-members, twice, after the window, or in another mode", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.COMMITTEE);
      const [first] = await f.protocol.hub.committeeOf(requestId);
      await expect(f.protocol.hub.connect(f.outsider).attest(requestId, true))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotCommitteeMember")
        .withArgs(requestId, f.outsider.address);
      await f.protocol.hub.connect(f.book.get(first!)).attest(requestId, true);
      expect((await f.protocol.hub.attestationOf(requestId, first!)).acted).to.equal(true);
      await expect(f.protocol.hub.connect(f.book.get(first!)).attest(requestId, true))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubAlreadyActed")
        .withArgs(requestId, first);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      const [, second] = await f.protocol.hub.committeeOf(requestId);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.protocol.hub.connect(f.book.get(second!)).attest(requestId, true))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, deadline);
      const optimistic = await submitted(f, Mode.OPTIMISTIC);
      await expect(f.protocol.hub.connect(f.book.get(second!)).attest(optimistic, true))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubWrongMode")
        .withArgs(optimistic, Mode.OPTIMISTIC);
    });

    it("without a quorum, finalizes after the window and pays only the attester that agreed", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.COMMITTEE);
      const [first] = await f.protocol.hub.committeeOf(requestId);
      await attestAll(f.protocol, f.book, requestId, true, 1);
      await time.increaseTo((await f.protocol.hub.getRequest(requestId)).deadline + 1n);
      await f.protocol.hub.finalize(requestId);
      expect(await f.protocol.hub.creditsOf(first!)).to.equal((MODEL_FEE * 1_000n) / BPS);
    });

    it("a disagreeing attester posts the bond and opens a dispute without itself on the jury", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.COMMITTEE);
      const [dissenter] = await f.protocol.hub.committeeOf(requestId);
      await expect(f.protocol.hub.connect(f.book.get(dissenter!)).attest(requestId, false))
        .to.emit(f.protocol.hub, "Challenged")
        .withArgs(requestId, dissenter, (await f.protocol.hub.params()).challengeBond);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
      expect(await f.protocol.hub.jurorsOf(requestId)).to.not.include(dissenter);
      expect((await f.protocol.hub.getDispute(requestId)).challenger).to.equal(dissenter);
    });
  });

  describe("disputes: commit–reveal", function () {
    it("commits bind requestId, juror, vote and salt; reveals open once all committed", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await disputed(f);
      const jurors = await f.protocol.hub.jurorsOf(requestId);
      expect(jurors.length).to.be.greaterThan(0);
      const [first] = jurors;
      const salt = scriptedSalt(requestId, first!);
      const commitment = await f.protocol.hub.voteCommitment(requestId, first!, false, salt);
      expect(commitment).to.equal(
        ethersLib.keccak256(
          ethersLib.AbiCoder.defaultAbiCoder().encode(
            ["uint256", "address", "bool", "bytes32"],
            [requestId, first, false, salt],
          ),
        ),
      );
      await expect(f.protocol.hub.connect(f.book.get(first!)).commitVote(requestId, commitment))
        .to.emit(f.protocol.hub, "VoteCommitted")
        .withArgs(requestId, first);
      const dispute = await f.protocol.hub.getDispute(requestId);
      if (jurors.length > 1) {
        await expect(f.protocol.hub.connect(f.book.get(first!)).revealVote(requestId, false, salt))
          .to.be.revertedWithCustomError(f.protocol.hub, "HubCommitPhaseOpen")
          .withArgs(requestId, dispute.commitDeadline);
      }
      await expect(f.protocol.hub.connect(f.book.get(first!)).commitVote(requestId, commitment))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubAlreadyActed")
        .withArgs(requestId, first);
      // Copying another juror's commitment is useless: it binds that juror's address.
      if (jurors.length > 1) {
        const second = f.book.get(jurors[1]!);
        await f.protocol.hub.connect(second).commitVote(requestId, commitment);
        await time.increaseTo(dispute.commitDeadline + 1n);
        await expect(f.protocol.hub.connect(second).revealVote(requestId, false, salt))
          .to.be.revertedWithCustomError(f.protocol.hub, "HubRevealMismatch")
          .withArgs(requestId, second.address);
      }
    });

    it("rejects empty, foreign and late commits, and unknown or late reveals", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await disputed(f);
      const [first] = await f.protocol.hub.jurorsOf(requestId);
      const juror = f.book.get(first!);
      await expect(
        f.protocol.hub.connect(juror).commitVote(requestId, ethersLib.ZeroHash),
      ).to.be.revertedWithCustomError(f.protocol.hub, "HubEmptyCommitment");
      await expect(f.protocol.hub.connect(f.outsider).commitVote(requestId, ethersLib.id("x")))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotCommitteeMember")
        .withArgs(requestId, f.outsider.address);
      await expect(f.protocol.hub.connect(juror).revealVote(requestId, true, ethersLib.ZeroHash))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotCommitted")
        .withArgs(requestId, first);
      const dispute = await f.protocol.hub.getDispute(requestId);
      await time.setNextBlockTimestamp(dispute.commitDeadline + 1n);
      await expect(f.protocol.hub.connect(juror).commitVote(requestId, ethersLib.id("x")))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, dispute.commitDeadline);
      await expect(f.protocol.hub.commitVote(999n, ethersLib.id("x")))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubUnknownRequest")
        .withArgs(999n);
    });

    it("a reveal at the reveal deadline counts; one second later it does not", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await disputed(f);
      const [first] = await f.protocol.hub.jurorsOf(requestId);
      const juror = f.book.get(first!);
      const salt = scriptedSalt(requestId, first!);
      await f.protocol.hub
        .connect(juror)
        .commitVote(requestId, await f.protocol.hub.voteCommitment(requestId, first!, true, salt));
      const dispute = await f.protocol.hub.getDispute(requestId);
      const snapshot = await networkHelpers.takeSnapshot();
      await time.setNextBlockTimestamp(dispute.revealDeadline + 1n);
      await expect(f.protocol.hub.connect(juror).revealVote(requestId, true, salt))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, dispute.revealDeadline);
      await snapshot.restore();
      await time.setNextBlockTimestamp(dispute.revealDeadline);
      await expect(f.protocol.hub.connect(juror).revealVote(requestId, true, salt))
        .to.emit(f.protocol.hub, "VoteRevealed")
        .withArgs(requestId, first, true);
      await expect(f.protocol.hub.connect(juror).revealVote(requestId, true, salt))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubAlreadyActed")
        .withArgs(requestId, first);
    });

    it("resolves only after the reveal deadline unless every juror revealed", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await disputed(f);
      const dispute = await f.protocol.hub.getDispute(requestId);
      await time.setNextBlockTimestamp(dispute.revealDeadline);
      await expect(f.protocol.hub.resolveDispute(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlineNotReached")
        .withArgs(requestId, dispute.revealDeadline);
      await time.setNextBlockTimestamp(dispute.revealDeadline + 1n);
      await expect(f.protocol.hub.connect(f.outsider).resolveDispute(requestId)).to.emit(
        f.protocol.hub,
        "DisputeResolved",
      );
    });
  });

  describe("disputes: outcomes and exact splits", function () {
    it("worker wrong: slashed (≥ collateral), challenger and majority paid, requester refunded, to the wei", async function () {
      const f = await loadFixture(fixture);
      const before = await f.protocol.hub.balanceOf(f.requester.address);
      const { requestId, challenger } = await disputed(f);
      const { worker } = await f.protocol.hub.getRequest(requestId);
      const jurors = await f.protocol.hub.jurorsOf(requestId);
      const p = await f.protocol.hub.params();
      const slashable = await f.protocol.staking.slashableStake(worker);
      const collateral = await f.protocol.hub.collateralOf(requestId);
      await voteAll(f.protocol, f.book, requestId, () => false);

      const expectedSlash = (slashable * p.slashBps) / BPS > collateral ? (slashable * p.slashBps) / BPS : collateral;
      const challengerReward = (expectedSlash * p.challengerRewardBps) / BPS;
      const perVoter = (expectedSlash * p.voterRewardBps) / BPS / BigInt(jurors.length);
      const treasuryCut = expectedSlash - challengerReward - perVoter * BigInt(jurors.length);
      const treasuryBefore = await f.protocol.hub.creditsOf(p.treasury);

      await expect(f.protocol.hub.resolveDispute(requestId))
        .to.emit(f.protocol.hub, "WorkerSlashed")
        .withArgs(requestId, worker, expectedSlash)
        .and.to.emit(f.protocol.hub, "RequestRejected")
        .withArgs(requestId, worker, await totalFee(f.protocol));
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Rejected);
      expect(await f.protocol.hub.balanceOf(f.requester.address)).to.equal(before);
      expect(await f.protocol.hub.creditsOf(challenger.address)).to.equal(p.challengeBond + challengerReward);
      for (const juror of jurors) expect(await f.protocol.hub.creditsOf(juror)).to.equal(perVoter);
      expect((await f.protocol.hub.creditsOf(p.treasury)) - treasuryBefore).to.equal(treasuryCut);
      const op = await f.protocol.staking.getOperator(worker);
      expect(op.jailed).to.equal(true);
      expect(op.locked).to.equal(0n);
    });

    it("worker upheld by a majority: the bond goes to majority voters and the worker", async function () {
      const f = await loadFixture(fixture);
      const { requestId, challenger } = await disputed(f);
      const { worker } = await f.protocol.hub.getRequest(requestId);
      const jurors = await f.protocol.hub.jurorsOf(requestId);
      const p = await f.protocol.hub.params();
      await voteAll(f.protocol, f.book, requestId, () => true);
      const resolve = f.protocol.hub.resolveDispute(requestId);
      await expect(resolve)
        .to.emit(f.protocol.hub, "DisputeResolved")
        .withArgs(requestId, true, BigInt(jurors.length), 0n);
      // The split as reported sums to the fee to the wei, also when verifiers do not divide the share evenly.
      const receipt = await (await resolve).wait();
      const finalized = receipt!.logs
        .map((l) => f.protocol.hub.interface.parseLog(l))
        .find((e) => e?.name === "RequestFinalized");
      const split = finalized!.args;
      expect(split.royalty + split.workerPay + split.verifierPay + split.treasuryPay).to.equal(
        await totalFee(f.protocol),
      );
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      const perVoter = (p.challengeBond * p.voterRewardBps) / BPS / BigInt(jurors.length);
      const verifierPay = (MODEL_FEE * p.verifierShareBps) / BPS;
      const perVerifier = verifierPay / BigInt(jurors.length);
      for (const juror of jurors) expect(await f.protocol.hub.creditsOf(juror)).to.equal(perVoter + perVerifier);
      const royalty = MODEL_FEE / 10n;
      expect(await f.protocol.hub.creditsOf(worker)).to.equal(
        p.challengeBond - perVoter * BigInt(jurors.length) + (MODEL_FEE - royalty - verifierPay),
      );
      expect(await f.protocol.hub.creditsOf(challenger.address)).to.equal(0n);
    });

    it("a tie (no reveals) upholds the worker, returns the bond and penalises the silent jurors", async function () {
      const f = await loadFixture(fixture);
      const { requestId, challenger } = await disputed(f);
      const jurors = await f.protocol.hub.jurorsOf(requestId);
      const p = await f.protocol.hub.params();
      const stakes = await Promise.all(jurors.map((j) => f.protocol.staking.slashableStake(j)));
      await time.increaseTo((await f.protocol.hub.getDispute(requestId)).revealDeadline + 1n);
      const tx = f.protocol.hub.resolveDispute(requestId);
      for (const [i, juror] of jurors.entries()) {
        await expect(tx)
          .to.emit(f.protocol.hub, "JurorPenalised")
          .withArgs(requestId, juror, (stakes[i]! * p.nonRevealPenaltyBps) / BPS);
      }
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      expect(await f.protocol.hub.creditsOf(challenger.address)).to.equal(p.challengeBond);
    });

    it("a dispute with no eligible juror resolves at once, upholding the worker", async function () {
      const f = await loadFixture(fixture);
      const requestId = await submitted(f, Mode.OPTIMISTIC);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      for (const v of f.verifiers) if (v !== challenger) await mined(f.protocol.staking.connect(v).setRoles(0));
      await f.protocol.hub.connect(challenger).challenge(requestId);
      expect((await f.protocol.hub.getDispute(requestId)).jurorCount).to.equal(0n);
      await expect(f.protocol.hub.resolveDispute(requestId)).to.emit(f.protocol.hub, "RequestFinalized");
      expect(await f.protocol.hub.creditsOf(challenger.address)).to.equal(
        (await f.protocol.hub.params()).challengeBond,
      );
    });

    it("a slash never exceeds the worker's stake and unbonding stake is slashed too", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      const { worker } = await f.protocol.hub.getRequest(requestId);
      const w = f.book.get(worker);
      // The worker tries to escape: unbond everything not locked right after being assigned.
      await f.protocol.staking.connect(w).unstake(await f.protocol.staking.freeStake(worker));
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await f.protocol.hub.connect(challenger).challenge(requestId);
      await voteAll(f.protocol, f.book, requestId, () => false);
      const before = await f.protocol.staking.getOperator(worker);
      await f.protocol.hub.resolveDispute(requestId);
      const after = await f.protocol.staking.getOperator(worker);
      expect(after.unbonding).to.be.lessThan(before.unbonding);
      expect(before.active + before.unbonding - (after.active + after.unbonding)).to.equal(
        ((before.active + before.unbonding) * (await f.protocol.hub.params()).slashBps) / BPS,
      );
      void OPG;
    });
  });
});
