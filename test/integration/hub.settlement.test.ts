/**
 * The deployed v2 system, settlement side: exact fee splits across the hub, the modules and the settlement
 * contract; batches at their bound; prepaid callbacks; governance (parameters, modules enabled without redeploying).
 */
import { expect } from "chai";
import { ethers as ethersLib, type ContractTransactionReceipt } from "ethers";
import { network } from "hardhat";

import {
  inlineRequest,
  mined,
  passTime,
  requestInference,
  runCommittee,
  submitAsWorker,
  uniqueMembers,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status, demoModel, registerModel, type Protocol } from "../../offchain/devnet/protocol.js";
import { InferenceHub__factory, NoneModule__factory } from "../../typechain-types/index.js";
import { INPUT, OUTPUT, callbackFee, hubFixture, settlementAccounts, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const BPS = 10_000n;
/** A model fee that does not divide evenly: the split's remainders must land somewhere, exactly. */
const ODD_FEE = OPG + 7n;

const fixture = () => hubFixture(connection);

async function expectSolvent(f: HubFixture): Promise<void> {
  const { held, accounted, surplus } = await settlementAccounts(f.protocol);
  expect(held - accounted).to.equal(surplus);
}

/** The hub parameters as a plain object, to spread into `setParams` with one field changed. */
async function paramsObject(protocol: Protocol): Promise<Record<string, bigint>> {
  return ((await protocol.hub.params()) as unknown as ethersLib.Result).toObject() as Record<string, bigint>;
}

function feeSplit(protocol: Protocol, receipt: ContractTransactionReceipt) {
  for (const log of receipt.logs) {
    const parsed = protocol.settlement.interface.parseLog(log);
    if (parsed?.name === "FeeSplitPaid") return parsed.args;
  }
  throw new Error("no FeeSplitPaid");
}

async function credits(protocol: Protocol, accounts: string[]): Promise<bigint[]> {
  return Promise.all(accounts.map((a) => protocol.settlement.creditsOf(a)));
}

describe("Inference hub v2 on the deployed system — fee splits, batches, callbacks, governance", function () {
  describe("fee split, exact to the wei", function () {
    for (const mode of [Mode.NONE, Mode.OPTIMISTIC]) {
      it(`${Mode[mode]}: royalty to the owner, the verifier share to the worker, the protocol fee to the treasury`, async function () {
        const f = await loadFixture(fixture);
        const { protocol } = f;
        const modelId = await registerModel(protocol, f.modelOwner, {
          ...demoModel(`odd-${mode}`, mode),
          fee: ODD_FEE,
        });
        const { requestId, worker } = await requestInference(protocol, f.requester, modelId, INPUT);
        const treasury = await protocol.settlement.treasury();
        const parties = [f.modelOwner.address, worker, treasury];
        const before = await credits(protocol, parties);
        let receipt = await submitAsWorker(protocol, f.book, requestId, OUTPUT);
        if (mode === Mode.OPTIMISTIC) {
          await passTime(protocol, (await protocol.hub.getRequest(requestId)).deadline);
          receipt = await mined(protocol.hub.connect(f.outsider).finalize(requestId));
        }
        const request = await protocol.hub.getRequest(requestId);
        const royalty = (ODD_FEE * 1_000n) / BPS;
        const split = feeSplit(protocol, receipt);
        expect([split.royalty, split.workerPay, split.verifierPay, split.treasuryPay]).to.deep.equal([
          royalty,
          ODD_FEE - royalty,
          0n,
          request.protocolFee,
        ]);
        const after = await credits(protocol, parties);
        expect(after.map((a, i) => a - before[i]!)).to.deep.equal([royalty, ODD_FEE - royalty, request.protocolFee]);
        expect(split.royalty + split.workerPay + split.verifierPay + split.treasuryPay).to.equal(
          request.modelFee + request.protocolFee,
        );
        expect(await protocol.settlement.totalLocked()).to.equal(0n);
        await expectSolvent(f);
      });
    }

    it("COMMITTEE: each agreeing seat earns an equal share; the division remainder goes to the treasury", async function () {
      const f = await loadFixture(fixture);
      const { protocol } = f;
      const modelId = await registerModel(protocol, f.modelOwner, {
        ...demoModel("odd-committee", Mode.COMMITTEE),
        fee: ODD_FEE,
      });
      const { requestId, worker } = await requestInference(protocol, f.requester, modelId, INPUT);
      await submitAsWorker(protocol, f.book, requestId, OUTPUT);
      await runCommittee(protocol, f.book, requestId, () => true);
      const seats = await protocol.committee.committeeOf(requestId);
      const members = uniqueMembers(seats);
      const treasury = await protocol.settlement.treasury();
      const before = await credits(protocol, [...members, worker, treasury]);
      const receipt = await mined(protocol.hub.connect(f.outsider).finalize(requestId));
      const request = await protocol.hub.getRequest(requestId);
      const verifierShare = (ODD_FEE * request.verifierShareBps) / BPS;
      const perSeat = verifierShare / BigInt(seats.length);
      const royalty = (ODD_FEE * 1_000n) / BPS;
      const split = feeSplit(protocol, receipt);
      expect(split.verifierPay).to.equal(perSeat * BigInt(seats.length));
      expect(split.workerPay).to.equal(ODD_FEE - royalty - verifierShare);
      expect(split.treasuryPay).to.equal(request.protocolFee + verifierShare - perSeat * BigInt(seats.length));
      const after = await credits(protocol, [...members, worker, treasury]);
      members.forEach((member, i) => {
        const held = BigInt(seats.filter((s) => s.toLowerCase() === member).length);
        expect(after[i]! - before[i]!, member).to.equal(perSeat * held);
      });
      expect(after[members.length]! - before[members.length]!).to.equal(split.workerPay);
      expect(split.royalty + split.workerPay + split.verifierPay + split.treasuryPay).to.equal(
        request.modelFee + request.protocolFee,
      );
      await expectSolvent(f);
    });

    it("an open request keeps the terms it was made under when governance changes them", async function () {
      const f = await loadFixture(fixture); // the deployer still owns the setters
      const { protocol } = f;
      const { requestId } = await requestInference(protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      const collateral = await protocol.hub.collateralOf(requestId);
      const next = { ...(await paramsObject(protocol)), verifierShareBps: 2_000n, stakeToFeeRatio: 20n };
      await mined(protocol.hub.setParams(next as never));
      const request = await protocol.hub.getRequest(requestId);
      expect([request.verifierShareBps, request.stakeToFeeRatio]).to.deep.equal([1_000n, 10n]);
      expect(await protocol.hub.collateralOf(requestId)).to.equal(collateral);
      await submitAsWorker(protocol, f.book, requestId, OUTPUT);
      await passTime(protocol, (await protocol.hub.getRequest(requestId)).deadline);
      await mined(protocol.hub.finalize(requestId));
      // Exactly the snapshot's collateral was released.
      expect((await protocol.staking.getOperator(request.worker)).locked).to.equal(0n);
      await expectSolvent(f);
    });
  });

  describe("batches", function () {
    it("requestBatch makes consecutive requests and submitResultBatch settles them", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const batch = Array.from({ length: 5 }, () => inlineRequest(f.models[Mode.NONE], INPUT));
      expect(await hub.connect(f.requester).requestBatch.staticCall(batch)).to.equal(1n);
      await mined(hub.connect(f.requester).requestBatch(batch));
      expect(await hub.requestCount()).to.equal(5n);
      const byWorker = new Map<string, bigint[]>();
      for (let id = 1n; id <= 5n; id++) {
        const { worker } = await hub.getRequest(id);
        byWorker.set(worker, [...(byWorker.get(worker) ?? []), id]);
      }
      for (const [worker, ids] of byWorker) {
        await mined(
          hub.connect(f.book.get(worker)).submitResultBatch(
            ids,
            ids.map(() => OUTPUT),
            ids.map(() => false),
          ),
        );
      }
      for (let id = 1n; id <= 5n; id++) expect((await hub.getRequest(id)).status).to.equal(Status.Finalized);
      await expectSolvent(f);
    });

    it("rejects empty or oversized batches, mismatched arrays, and reverts the whole batch on one bad item", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const max = await InferenceHub__factory.connect(f.protocol.addresses.hub, f.requester).MAX_BATCH();
      const fee = await totalFee(f.protocol);
      const requester = hub.connect(f.requester);
      await expect(requester.requestBatch([])).to.be.revertedWithCustomError(hub, "HubBatchTooLarge").withArgs(0n, max);
      const tooMany = Array.from({ length: Number(max) + 1 }, () => inlineRequest(f.models[Mode.NONE], INPUT));
      await expect(requester.requestBatch(tooMany))
        .to.be.revertedWithCustomError(hub, "HubBatchTooLarge")
        .withArgs(max + 1n, max);
      await expect(
        requester.requestBatch([
          inlineRequest(f.models[Mode.NONE], INPUT, { maxFee: fee }),
          inlineRequest(f.models[Mode.NONE], INPUT, { maxFee: fee - 1n }),
        ]),
      )
        .to.be.revertedWithCustomError(hub, "HubFeeAboveMax")
        .withArgs(fee, fee - 1n);
      expect(await hub.requestCount()).to.equal(0n);
      await expect(hub.submitResultBatch([1n], [], [false])).to.be.revertedWithCustomError(
        hub,
        "HubBatchLengthMismatch",
      );
      await expect(hub.submitResultBatch([1n], [OUTPUT], [])).to.be.revertedWithCustomError(
        hub,
        "HubBatchLengthMismatch",
      );
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await expect(
        hub.connect(f.book.get(worker)).submitResultBatch([requestId, 999n], [OUTPUT, OUTPUT], [false, false]),
      )
        .to.be.revertedWithCustomError(hub, "HubUnknownRequest")
        .withArgs(999n);
      expect((await hub.getRequest(requestId)).status).to.equal(Status.Requested);
    });

    it("processBatch finalizes what has a verdict, reassigns what is overdue, and skips the rest", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const ready = (await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT)).requestId;
      await submitAsWorker(f.protocol, f.book, ready, OUTPUT);
      const late = (await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId;
      await passTime(f.protocol, (await hub.getRequest(ready)).deadline);
      const fresh = (await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT)).requestId;
      const done = (await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId;
      await submitAsWorker(f.protocol, f.book, done, OUTPUT); // already Finalized
      const ids = [ready, late, fresh, done, 999n];
      expect(await hub.processBatch.staticCall(ids)).to.equal(2n);
      const tx = hub.connect(f.outsider).processBatch(ids);
      await expect(tx)
        .to.emit(hub, "RequestFinalized")
        .withArgs(ready, (await hub.getRequest(ready)).worker, ethersLib.keccak256(OUTPUT), false);
      await expect(tx).to.emit(hub, "WorkerTimedOut");
      expect((await hub.getRequest(ready)).status).to.equal(Status.Finalized);
      expect((await hub.getRequest(late)).attempts).to.equal(2n);
      expect((await hub.getRequest(fresh)).status).to.equal(Status.Requested);
      const max = await InferenceHub__factory.connect(f.protocol.addresses.hub, f.outsider).MAX_BATCH();
      await expect(hub.processBatch([])).to.be.revertedWithCustomError(hub, "HubBatchTooLarge").withArgs(0n, max);
    });

    it("MAX_BATCH requests, results and finalizations each fit one transaction", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const max = Number(await InferenceHub__factory.connect(f.protocol.addresses.hub, f.outsider).MAX_BATCH());
      const batch = Array.from({ length: max }, () => inlineRequest(f.models[Mode.OPTIMISTIC], INPUT));
      const requested = await mined(hub.connect(f.requester).requestBatch(batch));
      const ids = Array.from({ length: max }, (_, i) => BigInt(i + 1));
      const byWorker = new Map<string, bigint[]>();
      for (const id of ids) {
        const { worker } = await hub.getRequest(id);
        byWorker.set(worker, [...(byWorker.get(worker) ?? []), id]);
      }
      let submitted = 0n;
      for (const [worker, own] of byWorker) {
        const receipt = await mined(
          hub.connect(f.book.get(worker)).submitResultBatch(
            own,
            own.map(() => OUTPUT),
            own.map(() => false),
          ),
        );
        submitted += receipt.gasUsed;
      }
      // Workers submit in turn, so the last challenge window to close is that of the last batch sent.
      let latest = 0n;
      for (const id of ids) {
        const { deadline } = await hub.getRequest(id);
        if (deadline > latest) latest = deadline;
      }
      await passTime(f.protocol, latest);
      const processed = await mined(hub.connect(f.outsider).processBatch(ids));
      const limit = BigInt((await connection.ethers.provider.getBlock("latest"))!.gasLimit);
      for (const gas of [requested.gasUsed, processed.gasUsed]) expect(gas < limit / 2n).to.equal(true);
      console.log(
        `      gas at MAX_BATCH=${max}: requestBatch ${requested.gasUsed}, submitResultBatch ${submitted} (all), processBatch ${processed.gasUsed}`,
      );
      for (const id of ids) expect((await hub.getRequest(id)).status).to.equal(Status.Finalized);
      await expectSolvent(f);
    });
  });

  describe("prepaid callbacks", function () {
    async function finalizedWithCallback(f: HubFixture, gas = 50_000) {
      const price = (await totalFee(f.protocol)) + (await callbackFee(f.protocol, gas));
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT, {
        callbackGasLimit: gas,
        maxFee: price,
      });
      await expect(f.protocol.hub.deliverCallback(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoCallback")
        .withArgs(requestId); // not terminal yet
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect((await f.protocol.hub.getRequest(requestId)).callbackPending).to.equal(true);
      return { requestId, fee: price - (await totalFee(f.protocol)) };
    }

    it("anyone delivers it once and is credited the prepaid fee; the worker's submission did not run it", async function () {
      const f = await loadFixture(fixture);
      const { requestId, fee } = await finalizedWithCallback(f);
      const tx = f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: 1_000_000 });
      await expect(tx)
        .to.emit(f.protocol.hub, "CallbackDelivered")
        .withArgs(requestId, f.requester.address, true, f.outsider.address);
      await expect(tx).to.emit(f.protocol.settlement, "FeeCredited").withArgs(requestId, f.outsider.address, fee);
      await expect(f.protocol.hub.deliverCallback(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoCallback")
        .withArgs(requestId);
      expect(await f.protocol.settlement.totalLocked()).to.equal(0n);
      await expectSolvent(f);
    });

    it("reverts when the deliverer forwards too little gas for the limit, so it can be retried", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await finalizedWithCallback(f, 200_000);
      await expect(
        f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: 150_000 }),
      ).to.be.revertedWithCustomError(f.protocol.hub, "HubInsufficientCallbackGas");
      expect((await f.protocol.hub.getRequest(requestId)).callbackPending).to.equal(true);
      await expect(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: 1_000_000 })).to.emit(
        f.protocol.hub,
        "CallbackDelivered",
      );
    });

    it("only the requester cancels an undelivered callback, and gets its prepaid fee back", async function () {
      const f = await loadFixture(fixture);
      const { requestId, fee } = await finalizedWithCallback(f);
      await expect(f.protocol.hub.connect(f.outsider).cancelCallback(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotRequester")
        .withArgs(requestId, f.outsider.address);
      const before = await f.protocol.settlement.balanceOf(f.requester.address);
      await expect(f.protocol.hub.connect(f.requester).cancelCallback(requestId))
        .to.emit(f.protocol.hub, "CallbackCancelled")
        .withArgs(requestId, fee);
      expect(await f.protocol.settlement.balanceOf(f.requester.address)).to.equal(before + fee);
      await expect(f.protocol.hub.deliverCallback(requestId))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoCallback")
        .withArgs(requestId);
      await expectSolvent(f);
    });
  });

  describe("governance", function () {
    it("the full deployment hands every setter to the timelock and keeps no admin", async function () {
      const f = await hubFixture(connection, { governed: true });
      const hub = InferenceHub__factory.connect(f.protocol.addresses.hub, f.protocol.deployer);
      expect(await hub.owner()).to.equal(f.protocol.addresses.timelock);
      const admin = await f.protocol.timelock.DEFAULT_ADMIN_ROLE();
      expect(await f.protocol.timelock.hasRole(admin, f.protocol.deployer.address)).to.equal(false);
      const proposer = await f.protocol.timelock.PROPOSER_ROLE();
      expect(await f.protocol.timelock.hasRole(proposer, f.protocol.addresses.governor!)).to.equal(true);
      await expect(hub.setParams((await paramsObject(f.protocol)) as never))
        .to.be.revertedWithCustomError(hub, "OwnableUnauthorizedAccount")
        .withArgs(f.protocol.deployer.address);
    });

    it("a governance proposal changes a hub parameter through the timelock", async function () {
      const f = await hubFixture(connection, { governed: true });
      const { governor, hub, token, deployer } = f.protocol;
      await mined(token.connect(deployer).delegate(deployer.address));
      await networkHelpers.mine(1);
      const next = { ...(await paramsObject(f.protocol)), protocolFeeBps: 700n };
      const calldata = hub.interface.encodeFunctionData("setParams", [next as never]);
      const description = "Raise the protocol fee to 7 %";
      const targets = [f.protocol.addresses.hub];
      await mined(governor.propose(targets, [0n], [calldata], description));
      const descriptionHash = ethersLib.id(description);
      const proposalId = await governor.hashProposal(targets, [0n], [calldata], descriptionHash);
      await networkHelpers.mine(Number(await governor.votingDelay()) + 1);
      await mined(governor.castVote(proposalId, 1));
      await networkHelpers.mine(Number(await governor.votingPeriod()) + 1);
      await mined(governor.queue(targets, [0n], [calldata], descriptionHash));
      await time.increase(Number(await f.protocol.timelock.getMinDelay()) + 1);
      await expect(governor.execute(targets, [0n], [calldata], descriptionHash)).to.emit(hub, "ParamsUpdated");
      expect((await hub.params()).protocolFeeBps).to.equal(700n);
    });

    it("setParams refuses a lifecycle that would outlast the unbonding delay", async function () {
      const f = await loadFixture(fixture);
      const unbonding = (await f.protocol.staking.params()).unbondingDelay;
      const current = await paramsObject(f.protocol);
      const verification =
        (await f.protocol.hub.maxLifecycleDuration()) - current.maxAttempts! * current.responseTimeout!;
      const responseTimeout = unbonding / current.maxAttempts! + 1n;
      await expect(f.protocol.hub.setParams({ ...current, responseTimeout } as never))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubLifecycleTooLong")
        .withArgs(current.maxAttempts! * responseTimeout + verification, unbonding);
    });

    it("a new module is enabled under a new mode id without redeploying anything else", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const extra = await new NoneModule__factory(f.protocol.deployer).deploy();
      const address = await extra.getAddress();
      await expect(hub.enableModule(3, address)).to.emit(hub, "ModuleEnabled").withArgs(3n, address);
      await expect(hub.enableModule(3, f.protocol.addresses.modules.none))
        .to.be.revertedWithCustomError(hub, "HubModeTaken")
        .withArgs(3n, address);
      const modelId = await registerModel(f.protocol, f.modelOwner, demoModel("mode-3", 3 as Mode));
      const { requestId } = await requestInference(f.protocol, f.requester, modelId, INPUT);
      expect((await hub.getRequest(requestId)).module).to.equal(address);
      // Disabling stops new requests; the open one keeps its module.
      await expect(hub.disableModule(3)).to.emit(hub, "ModuleDisabled").withArgs(3n, address);
      await expect(hub.connect(f.requester).request(inlineRequest(modelId, INPUT)))
        .to.be.revertedWithCustomError(hub, "HubModeDisabled")
        .withArgs(3n);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect((await hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      await expectSolvent(f);
    });
  });
});
