/**
 * The v2 protocol end to end, deployed by its Ignition modules: every mode's lifecycle across the inference,
 * verification and settlement contracts, declines, timeouts, jail by time, prepaid callbacks and donations.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { encodeBytes32String } from "ethers";
import { network } from "hardhat";

import {
  SignerBook,
  inlineRequest,
  mined,
  passTime,
  requestInference,
  runCommittee,
  runJury,
  submitAsWorker,
  uniqueMembers,
} from "../../../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  ROLE_VERIFIER,
  ROLE_WORKER,
  Status,
  demoModel,
  deployProtocol,
  depositAs,
  fund,
  registerModel,
  advanceSnapshot,
  stakeAs,
  type Protocol,
} from "../../../offchain/devnet/protocol.js";
import { Settlement__factory } from "../../../typechain-types/index.js";

const OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800602" + "0000000100000003" + "00".repeat(24), "hex"));
const WRONG = Uint8Array.from(Buffer.from("4f50470101" + "800602" + "0000000100000003" + "11".repeat(24), "hex"));
const INPUT = Uint8Array.from(Buffer.from("4f50470101" + "010002" + "0000000100000004" + "3f800000".repeat(4), "hex"));
const MAX_FEE = 10n * OPG;

interface World {
  protocol: Protocol;
  book: SignerBook;
  requester: HardhatEthersSigner;
  owner: HardhatEthersSigner;
  workers: HardhatEthersSigner[];
  verifiers: HardhatEthersSigner[];
  models: Record<Mode, bigint>;
}

async function world(workerCount = 3): Promise<World> {
  const connection = await network.create();
  const signers = await connection.ethers.getSigners();
  const [, requester, owner, ...rest] = signers;
  const workers = rest.slice(0, workerCount);
  const verifiers = rest.slice(workerCount, workerCount + 12);
  const protocol = await deployProtocol(connection, { governed: true });
  await fund(protocol, [requester!, ...workers, ...verifiers], 50_000n * OPG);
  for (const worker of workers) await stakeAs(protocol, worker, 10_000n * OPG, ROLE_WORKER);
  for (const verifier of verifiers) {
    await stakeAs(protocol, verifier, 5_000n * OPG, ROLE_VERIFIER);
    await depositAs(protocol, verifier, 1_000n * OPG);
  }
  await depositAs(protocol, requester!, 1_000n * OPG);
  await advanceSnapshot(protocol); // panels see the stakes above from now on
  const models = {
    [Mode.NONE]: await registerModel(protocol, owner!, demoModel("none", Mode.NONE)),
    [Mode.OPTIMISTIC]: await registerModel(protocol, owner!, demoModel("optimistic", Mode.OPTIMISTIC)),
    [Mode.COMMITTEE]: await registerModel(protocol, owner!, demoModel("committee", Mode.COMMITTEE)),
  };
  return { protocol, book: new SignerBook(signers), requester: requester!, owner: owner!, workers, verifiers, models };
}

/** Sum of all value the settlement contract is accountable for, against its token balance. */
async function expectSolvent(protocol: Protocol): Promise<void> {
  const s = protocol.settlement;
  const accounted =
    (await s.totalBalances()) + (await s.totalLocked()) + (await s.totalBonded()) + (await s.totalCredits());
  const held = await protocol.token.balanceOf(protocol.addresses.settlement);
  expect(held - accounted).to.equal(await s.surplus());
  expect(await protocol.token.balanceOf(protocol.addresses.staking)).to.be.gte(await protocol.staking.totalStaked());
}

describe("v2 lifecycle (Ignition deployment, every layer real)", function () {
  it("NONE: final at submission; the fee splits exactly into royalty, worker and treasury credits", async function () {
    const w = await world();
    const { protocol } = w;
    const before = await protocol.settlement.balanceOf(w.requester.address);
    const { requestId, worker } = await requestInference(protocol, w.requester, w.models[Mode.NONE], INPUT, {
      maxFee: MAX_FEE,
    });
    const [modelFee, protocolFee] = await protocol.hub.quote(w.models[Mode.NONE]);
    expect(before - (await protocol.settlement.balanceOf(w.requester.address))).to.equal(modelFee + protocolFee);
    expect((await protocol.staking.getOperator(worker)).locked).to.equal((modelFee + protocolFee) * 10n);

    const receipt = await submitAsWorker(protocol, w.book, requestId, OUTPUT);
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
    const split = receipt.logs
      .map((l) => protocol.settlement.interface.parseLog(l))
      .find((p) => p?.name === "FeeSplitPaid");
    expect(split, "FeeSplitPaid").to.not.equal(undefined);
    const royalty = (modelFee * 1_000n) / 10_000n;
    expect(split!.args.royalty).to.equal(royalty);
    expect(split!.args.workerPay).to.equal(modelFee - royalty);
    expect(split!.args.verifierPay).to.equal(0n);
    expect(split!.args.treasuryPay).to.equal(protocolFee);
    expect((await protocol.staking.getOperator(worker)).locked).to.equal(0n);
    await expectSolvent(protocol);
    await expect(protocol.hub.finalize(requestId))
      .to.be.revertedWithCustomError(protocol.hub, "HubInvalidStatus")
      .withArgs(requestId, Status.Finalized);
  });

  it("OPTIMISTIC: not final inside the window, final after it without a challenge", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId } = await requestInference(protocol, w.requester, w.models[Mode.OPTIMISTIC], INPUT, {
      maxFee: MAX_FEE,
    });
    await submitAsWorker(protocol, w.book, requestId, OUTPUT);
    await expect(protocol.hub.finalize(requestId))
      .to.be.revertedWithCustomError(protocol.hub, "HubNotFinal")
      .withArgs(requestId);
    await passTime(protocol, (await protocol.hub.getRequest(requestId)).deadline);
    await mined(protocol.hub.finalize(requestId));
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
    await expectSolvent(protocol);
  });

  it("OPTIMISTIC: a wrong result is challenged, the jury rejects it, the worker is slashed and jailed", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId, worker } = await requestInference(protocol, w.requester, w.models[Mode.OPTIMISTIC], INPUT, {
      maxFee: MAX_FEE,
    });
    await submitAsWorker(protocol, w.book, requestId, WRONG);
    const [challenger, joiner] = w.verifiers;
    await mined(protocol.optimistic.connect(challenger!).challenge(requestId));
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
    // A second verifier joins the same case with its own bond: the first challenger cannot lock it out.
    await mined(protocol.optimistic.connect(joiner!).challenge(requestId));
    expect((await protocol.court.challengersOf(requestId)).length).to.equal(2);

    const stakeBefore = (await protocol.staking.getOperator(worker)).active;
    const refundBefore = await protocol.settlement.balanceOf(w.requester.address);
    await runJury(protocol, w.book, requestId, () => false);
    const seats = await protocol.court.juryOf(requestId, 1);
    expect(BigInt(seats.length)).to.equal((await protocol.court.params()).jurySize);
    for (const seat of seats) {
      expect(
        [worker, w.requester.address, challenger!.address, joiner!.address].map((a) => a.toLowerCase()),
      ).to.not.include(seat.toLowerCase());
    }
    await mined(protocol.hub.finalize(requestId));
    const request = await protocol.hub.getRequest(requestId);
    expect(request.status).to.equal(Status.Rejected);
    const after = await protocol.staking.getOperator(worker);
    expect(after.active < stakeBefore).to.equal(true);
    expect(after.locked).to.equal(0n);
    expect(after.jailedUntil > 0n).to.equal(true);
    expect(await protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(false);
    expect((await protocol.settlement.balanceOf(w.requester.address)) - refundBefore).to.equal(
      request.modelFee + request.protocolFee,
    );
    await expectSolvent(protocol);
  });

  it("COMMITTEE: exactly committeeSize seats, no party, final on a revealed quorum; members paid per seat", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId, worker } = await requestInference(protocol, w.requester, w.models[Mode.COMMITTEE], INPUT, {
      maxFee: MAX_FEE,
    });
    await submitAsWorker(protocol, w.book, requestId, OUTPUT);
    await expect(protocol.hub.finalize(requestId)).to.be.revertedWithCustomError(protocol.hub, "HubNotFinal");
    await runCommittee(protocol, w.book, requestId, () => true);
    const seats = await protocol.committee.committeeOf(requestId);
    expect(BigInt(seats.length)).to.equal((await protocol.committee.params()).committeeSize);
    expect(seats.map((s) => s.toLowerCase())).to.not.include(worker.toLowerCase());
    const receipt = await mined(protocol.hub.finalize(requestId));
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
    const split = receipt.logs
      .map((l) => protocol.settlement.interface.parseLog(l))
      .find((p) => p?.name === "FeeSplitPaid");
    const [modelFee] = await protocol.hub.quote(w.models[Mode.COMMITTEE]);
    const perSeat = (modelFee * 1_000n) / 10_000n / 3n;
    expect(split!.args.verifierPay).to.equal(perSeat * 3n);
    await expectSolvent(protocol);
  });

  it("COMMITTEE: one revealed disagreement escalates to the court — silence or dissent is never approval", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId } = await requestInference(protocol, w.requester, w.models[Mode.COMMITTEE], INPUT, {
      maxFee: MAX_FEE,
    });
    await submitAsWorker(protocol, w.book, requestId, WRONG);
    let first = true;
    await runCommittee(protocol, w.book, requestId, () => {
      const vote = !first; // the first member disagrees, the others agree
      first = false;
      return vote;
    });
    await expect(protocol.hub.finalize(requestId)).to.be.revertedWithCustomError(protocol.hub, "HubNotFinal");
    await mined(protocol.committee.escalate(requestId));
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Disputed);
    const members = uniqueMembers(await protocol.committee.committeeOf(requestId));
    await runJury(protocol, w.book, requestId, () => false);
    for (const seat of await protocol.court.juryOf(requestId, 1)) {
      expect(members).to.not.include(seat.toLowerCase());
    }
    await mined(protocol.hub.finalize(requestId));
    expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Rejected);
    await expectSolvent(protocol);
  });

  it("a worker that cannot obtain the model declines without penalty; the request goes to another worker", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId, worker } = await requestInference(protocol, w.requester, w.models[Mode.NONE], INPUT, {
      maxFee: MAX_FEE,
    });
    const stake = (await protocol.staking.getOperator(worker)).active;
    await mined(protocol.hub.connect(w.book.get(worker)).decline(requestId, encodeBytes32String("uri-unreachable")));
    const request = await protocol.hub.getRequest(requestId);
    expect(request.status).to.equal(Status.Requested);
    expect(request.attempts).to.equal(2);
    expect(request.worker.toLowerCase()).to.not.equal(worker.toLowerCase());
    const after = await protocol.staking.getOperator(worker);
    expect(after.active).to.equal(stake);
    expect(after.locked).to.equal(0n);
    expect(await protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(true);
  });

  it("a model declined by declineThreshold distinct workers is suspended until its owner resumes it", async function () {
    const w = await world(4);
    const { protocol } = w;
    const modelId = w.models[Mode.NONE];
    const threshold = Number((await protocol.hub.params()).declineThreshold);
    // Every assigned worker declines; a worker counts once per epoch, whichever request it declines.
    const decliners = new Set<string>();
    let last = 0n;
    while (decliners.size < threshold) {
      expect((await protocol.registry.getModel(modelId)).suspended, `after ${decliners.size} decliners`).to.equal(
        false,
      );
      const request = last === 0n ? undefined : await protocol.hub.getRequest(last);
      if (request === undefined || request.status !== BigInt(Status.Requested)) {
        last = (await requestInference(protocol, w.requester, modelId, INPUT, { maxFee: MAX_FEE })).requestId;
        continue;
      }
      await mined(protocol.hub.connect(w.book.get(request.worker)).decline(last, encodeBytes32String("hash-mismatch")));
      decliners.add(request.worker.toLowerCase());
    }
    // The threshold-th distinct decline suspends the model and expires the request it was assigned.
    expect((await protocol.hub.getRequest(last)).status).to.equal(Status.Expired);
    expect((await protocol.registry.getModel(modelId)).suspended).to.equal(true);
    for (const worker of decliners) expect(await protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(true);
    await expect(protocol.hub.connect(w.requester).request(inlineRequest(modelId, INPUT, { maxFee: MAX_FEE })))
      .to.be.revertedWithCustomError(protocol.hub, "HubModelUnavailable")
      .withArgs(modelId);
    await mined(protocol.registry.connect(w.owner).resume(modelId));
    await requestInference(protocol, w.requester, modelId, INPUT, { maxFee: MAX_FEE });
    await expectSolvent(protocol);
  });

  it("a late worker is penalised and jailed; its jail ends by time and refresh brings it back", async function () {
    const w = await world();
    const { protocol } = w;
    const { requestId, worker } = await requestInference(protocol, w.requester, w.models[Mode.NONE], INPUT, {
      maxFee: MAX_FEE,
    });
    const request = await protocol.hub.getRequest(requestId);
    await expect(protocol.hub.reassign(requestId)).to.be.revertedWithCustomError(protocol.hub, "HubDeadlineNotReached");
    await passTime(protocol, request.deadline);
    await mined(protocol.hub.reassign(requestId));
    const op = await protocol.staking.getOperator(worker);
    expect(op.locked).to.equal(0n);
    expect(await protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(false);
    await passTime(protocol, op.jailedUntil);
    expect(await protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(true);
    await mined(protocol.staking.refresh(worker));
    expect(await protocol.staking.weightOf(worker, ROLE_WORKER)).to.equal(op.active / OPG);
  });

  it("tokens sent outside the accounted paths are surplus, recoverable by governance only", async function () {
    const w = await world();
    const { protocol } = w;
    await mined(protocol.token.connect(w.requester).transfer(await protocol.settlement.getAddress(), 5n * OPG));
    expect(await protocol.settlement.surplus()).to.equal(5n * OPG);
    // The implementation's ABI carries the `Ownable` errors; the interface does not.
    const settlement = Settlement__factory.connect(protocol.addresses.settlement, w.requester);
    await expect(settlement.recoverSurplus())
      .to.be.revertedWithCustomError(settlement, "OwnableUnauthorizedAccount")
      .withArgs(w.requester.address);
    await expectSolvent(protocol);
  });
});
