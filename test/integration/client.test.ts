/**
 * The requester's client on the deployed v2 protocol, with scripted workers, committees and juries: balances in the
 * settlement contract, the record it rebuilds from the three layers' events, and the time-based steps it performs.
 */
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { InsufficientFundsError, OpgClient, RequestNotFoundError, type Stage } from "../../offchain/client/client.js";
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
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { expectRejects } from "./helpers/assertions.js";
import { INPUT, OTHER_OUTPUT, OUTPUT, hubFixture, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture } = networkHelpers;

const fixture = () => hubFixture(connection);
const STAGES = ["requested", "assigned", "computed", "verified", "settled"];
const client = (f: HubFixture, signer = f.requester) => new OpgClient(f.protocol.addresses, signer);

async function challenged(f: HubFixture, output = OTHER_OUTPUT) {
  const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, output);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
  return { requestId, worker, challenger };
}

describe("OpgClient (v2)", function () {
  describe("balances in the settlement contract", function () {
    it("deposits, withdraws and claims, and reports wallet, free balance and credits", async function () {
      const f = await loadFixture(fixture);
      const owner = client(f, f.modelOwner);
      const start = await owner.balances();
      expect(start).to.deep.equal({ wallet: 0n, free: 0n, credits: 0n });
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      const royalty = OPG / 10n;
      expect((await owner.balances()).credits).to.equal(royalty);
      expect(await owner.claim()).to.include({ amount: royalty });
      expect(await owner.claim()).to.deep.equal({ amount: 0n, txHash: null });

      const requester = client(f);
      await requester.deposit(5n * OPG);
      const before = await requester.balances();
      await requester.withdraw(2n * OPG);
      const after = await requester.balances();
      expect([after.free, after.wallet]).to.deep.equal([before.free - 2n * OPG, before.wallet + 2n * OPG]);
      await expectRejects(requester.withdraw(after.free + 1n), InsufficientFundsError);
      await expectRejects(client(f, f.outsider).deposit(10n ** 9n * OPG), InsufficientFundsError);
    });

    it("a request needs a free balance, or deposits the missing part with autoDeposit", async function () {
      const f = await loadFixture(fixture);
      const outsider = client(f, f.outsider);
      await expectRejects(outsider.request(f.models[Mode.NONE], INPUT), InsufficientFundsError);
      const price = await outsider.quote(f.models[Mode.NONE], 50_000);
      expect(price).to.equal(
        (await totalFee(f.protocol)) + 50_000n * (await f.protocol.hub.params()).callbackFeePerGas,
      );
      const { requestId } = await outsider.request(f.models[Mode.NONE], INPUT, {
        autoDeposit: true,
        callbackGasLimit: 50_000,
      });
      expect((await f.protocol.hub.getRequest(requestId)).callbackFee > 0n).to.equal(true);
      expect((await outsider.balances()).free).to.equal(0n);
    });
  });

  describe("status: the record across the layers", function () {
    it("NONE: five stages with their transactions, the decoded output and the exact fee split", async function () {
      const f = await loadFixture(fixture);
      const c = client(f);
      const { requestId } = await c.request(f.models[Mode.NONE], INPUT);
      const receipt = await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      const record = await c.status(requestId);
      expect(record.status).to.equal("Finalized");
      expect(record.mode).to.equal("NONE");
      expect(record.stages.map((s) => s.name)).to.deep.equal(STAGES);
      expect(record.stages.at(-1)!.txHash).to.equal(receipt.hash);
      expect(record.output?.tensors?.[0]?.data).to.deep.equal([1_000_000n]);
      const split = receipt.logs
        .map((l) => f.protocol.settlement.interface.parseLog(l))
        .find((e) => e?.name === "FeeSplitPaid")!;
      expect(record.settlement).to.deep.equal({
        kind: "finalized",
        royaltyRecipient: f.modelOwner.address,
        royalty: split.args.royalty,
        workerPay: split.args.workerPay,
        verifierPay: 0n,
        treasuryPay: split.args.treasuryPay,
      });
      expect(record.dispute).to.equal(null);
      expect(record.fee.modelFee + record.fee.protocolFee).to.equal(await totalFee(f.protocol));
    });

    it("lists declined and timed-out assignments in chain order", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await mined(
        f.protocol.hub.connect(f.book.get(worker)).decline(requestId, encodeBytes32String("uri-unreachable")),
      );
      const second = (await f.protocol.hub.getRequest(requestId)).worker;
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      await mined(f.protocol.hub.reassign(requestId));
      const record = await client(f).status(requestId);
      expect(record.failedAssignments.map(({ worker: w, kind, detail }) => ({ w, kind, detail }))).to.deep.equal([
        { w: worker, kind: "declined", detail: "uri-unreachable" },
        { w: second, kind: "timedOut", detail: record.failedAssignments[1]!.detail },
      ]);
      expect(record.failedAssignments[1]!.detail).to.match(/^penalty [0-9.]+ OPG$/);
      expect(record.stages.find((s) => s.name === "assigned")?.detail).to.match(/attempt 3\)$/);
    });

    it("a rejected dispute: challengers, the jury's seats and votes, the outcome and the refund", async function () {
      const f = await loadFixture(fixture);
      const { requestId, challenger } = await challenged(f);
      const c = client(f);
      const pending = await c.status(requestId);
      expect(pending.status).to.equal("Disputed");
      expect(pending.dispute).to.include({ outcome: "Pending", upheld: null, challenger: challenger.address });
      await runJury(f.protocol, f.book, requestId, () => false);
      await mined(f.protocol.hub.finalize(requestId));
      const record = await c.status(requestId);
      expect(record.status).to.equal("Rejected");
      const seats = await f.protocol.court.juryOf(requestId, 1);
      // The event lists the seats in draw order; `juryOf` may group them: the same seats either way.
      expect(record.dispute?.rounds.map((r) => r.round)).to.deep.equal([1]);
      expect([...record.dispute!.rounds[0]!.seats].sort()).to.deep.equal([...seats].sort());
      expect(record.dispute?.jurors.map((j) => j.toLowerCase()).sort()).to.deep.equal(uniqueMembers(seats).sort());
      expect(record.dispute?.votes.every((v) => !v.upholdWorker)).to.equal(true);
      expect(record.dispute?.votes.length).to.equal(record.dispute?.jurors.length);
      expect(record.dispute).to.include({ outcome: "Rejected", upheld: false });
      expect(record.settlement).to.deep.equal({
        kind: "refunded",
        amount: await totalFee(f.protocol),
        reason: "rejected",
      });
      expect(record.stages.map((s) => s.name)).to.deep.equal(STAGES);
      expect(record.stages.find((s) => s.name === "verified")?.detail).to.equal("dispute: worker wrong");
    });

    it("an undecided case after its appeal: two rounds on record, the request Refunded", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await challenged(f, OUTPUT);
      await runJury(f.protocol, f.book, requestId, () => undefined);
      await runJury(f.protocol, f.book, requestId, () => undefined);
      await mined(f.protocol.hub.finalize(requestId));
      const record = await client(f).status(requestId);
      expect(record.status).to.equal("Refunded");
      expect(record.dispute?.rounds.map((r) => r.round)).to.deep.equal([1, 2]);
      expect(record.dispute).to.include({ outcome: "Undecided", upheld: null });
      expect(record.settlement).to.deep.equal({
        kind: "refunded",
        amount: await totalFee(f.protocol),
        reason: "refunded",
      });
    });

    it("COMMITTEE: the committee's seats and revealed attestations", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      await runCommittee(f.protocol, f.book, requestId, () => true);
      await mined(f.protocol.hub.finalize(requestId));
      const record = await client(f).status(requestId);
      const seats = await f.protocol.committee.committeeOf(requestId);
      expect(record.committee).to.deep.equal([...seats]);
      expect(record.attestations.reduce((n, a) => n + a.seats, 0)).to.equal(seats.length);
      expect(record.attestations.every((a) => a.agree)).to.equal(true);
      expect(record.stages.find((s) => s.name === "verified")?.detail).to.equal(
        `${seats.length} committee seats attested`,
      );
      expect(record.settlement?.kind === "finalized" && record.settlement.verifierPay > 0n).to.equal(true);
    });

    it("refuses an unknown request id with a typed error", async function () {
      const f = await loadFixture(fixture);
      await expectRejects(client(f).status(99n), RequestNotFoundError);
    });
  });

  describe("time-based steps", function () {
    it("shows the open windows: the worker's deadline, the challenge window, a committee's phases, none once final", async function () {
      const f = await loadFixture(fixture);
      const c = client(f);
      const { hub } = f.protocol;
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      let record = await c.status(requestId);
      expect(record.deadlines).to.deep.equal([
        { label: `worker ${worker} answers by`, at: (await hub.getRequest(requestId)).deadline },
      ]);
      expect(record.chainTime > 0n && record.chainTime <= record.deadlines[0]!.at).to.equal(true);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      record = await c.status(requestId);
      expect(record.deadlines).to.deep.equal([
        { label: "challenge window ends", at: (await hub.getRequest(requestId)).deadline },
      ]);
      await passTime(f.protocol, record.deadlines[0]!.at);
      await mined(hub.finalize(requestId));
      expect((await c.status(requestId)).deadlines).to.deep.equal([]);

      const committee = await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT);
      await submitAsWorker(f.protocol, f.book, committee.requestId, OUTPUT);
      const round = await f.protocol.committee.roundOf(committee.requestId);
      expect((await c.status(committee.requestId)).deadlines).to.deep.equal([
        { label: "committee drawn by", at: round.drawDeadline },
      ]);
    });

    it("nudge does nothing before a deadline, then reassigns an overdue request", async function () {
      const f = await loadFixture(fixture);
      const c = client(f, f.outsider);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      expect(await c.nudge(requestId)).to.equal(null);
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      expect(await c.nudge(requestId)).to.equal("reassign");
      expect((await f.protocol.hub.getRequest(requestId)).attempts).to.equal(2n);
    });

    it("nudge escalates a committee without quorum and resolves a court round after its deadline", async function () {
      const f = await loadFixture(fixture);
      const c = client(f, f.outsider);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      await drawCommittee(f.protocol, requestId);
      expect(await c.nudge(requestId)).to.equal(null); // reveals still open
      await passTime(f.protocol, (await f.protocol.committee.roundOf(requestId)).revealDeadline);
      expect(await c.nudge(requestId)).to.equal("escalate");
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
      await drawJury(f.protocol, requestId);
      expect(await c.nudge(requestId)).to.equal(null);
      await passTime(f.protocol, (await f.protocol.court.getCase(requestId)).revealDeadline);
      expect(await c.nudge(requestId)).to.equal("resolve");
      expect((await f.protocol.court.getCase(requestId)).round).to.equal(2n); // no votes: appealed
    });

    it("wait follows an OPTIMISTIC request to the end, finalizing it itself once the window closed", async function () {
      const f = await loadFixture(fixture);
      const c = client(f);
      const { requestId } = await c.request(f.models[Mode.OPTIMISTIC], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      const seen: Stage[] = [];
      const record = await c.wait(requestId, { pollMs: 10, timeoutSeconds: 30, onStage: (s) => seen.push(s) });
      expect(record.status).to.equal("Finalized");
      expect(seen.map((s) => s.name)).to.deep.equal(STAGES);
      expect(record.stages.find((s) => s.name === "verified")?.detail).to.equal("no challenge inside the window");
    });
  });
});
