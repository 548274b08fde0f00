import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import hre, { network } from "hardhat";

import { mined, requestInference, submitAsWorker } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { MockConsumerV1__factory } from "../../typechain-types/index.js";
import { INPUT, OUTPUT, hubFixture, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const fixture = () => hubFixture(connection);
const MAX_CODE_SIZE = 24_576;

/** The hub parameters as a plain object, to spread into `setParams` with one field changed. */
async function paramsObject(hub: HubFixture["protocol"]["hub"]): Promise<Record<string, bigint | string>> {
  const result = (await hub.params()) as unknown as ethersLib.Result;
  return result.toObject() as Record<string, bigint | string>;
}

enum Behaviour {
  Record,
  Revert,
  BurnGas,
  Reenter,
}

async function consumerFixture() {
  const f = await hubFixture(connection);
  const consumer = await new MockConsumerV1__factory(f.protocol.deployer).deploy(await f.protocol.hub.getAddress());
  await f.protocol.token.connect(f.protocol.deployer).transfer(await consumer.getAddress(), 100n * OPG);
  return { ...f, consumer };
}

async function consumerRequest(f: Awaited<ReturnType<typeof consumerFixture>>, mode: Mode, gas = 100_000) {
  const fee = await totalFee(f.protocol);
  const receipt = await mined(
    f.consumer.request(await f.protocol.token.getAddress(), {
      modelId: f.models[mode],
      input: INPUT,
      inputUri: "",
      inputHash: ethersLib.ZeroHash,
      callbackGasLimit: gas,
      maxFee: fee,
    }),
  );
  for (const log of receipt.logs) {
    const parsed = f.protocol.hub.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") return parsed.args.requestId as bigint;
  }
  throw new Error("no request");
}

async function submittedOptimistic(f: HubFixture) {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

describe("InferenceHubV1 — settlement, callbacks and governance", function () {
  describe("finalizeBatch", function () {
    it("finalizes the ready ones and skips the rest", async function () {
      const f = await loadFixture(fixture);
      const ready = [await submittedOptimistic(f), await submittedOptimistic(f)];
      await time.increase(Number((await f.protocol.hub.params()).challengeWindow) + 1);
      const pending = await submittedOptimistic(f);
      const ids = [...ready, pending, 999n, ready[0]!];
      expect(await f.protocol.hub.finalizeBatch.staticCall(ids)).to.equal(2n);
      await f.protocol.hub.connect(f.outsider).finalizeBatch(ids);
      for (const id of ready) expect((await f.protocol.hub.getRequest(id)).status).to.equal(Status.Finalized);
      expect((await f.protocol.hub.getRequest(pending)).status).to.equal(Status.Submitted);
    });

    it("rejects more than MAX_BATCH ids", async function () {
      const f = await loadFixture(fixture);
      const max = await f.protocol.hub.MAX_BATCH();
      const ids = Array.from({ length: Number(max) + 1 }, (_, i) => BigInt(i + 1));
      await expect(f.protocol.hub.finalizeBatch(ids))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubBatchTooLarge")
        .withArgs(max + 1n, max);
    });

    it("handles MAX_BATCH finalizable ids within the block gas limit", async function () {
      const f = await loadFixture(fixture);
      const max = Number(await f.protocol.hub.MAX_BATCH());
      const ids: bigint[] = [];
      await f.protocol.hub
        .connect(f.requester)
        .deposit(0n)
        .catch(() => undefined);
      await f.protocol.token.connect(f.protocol.deployer).approve(await f.protocol.hub.getAddress(), 1_000n * OPG);
      await f.protocol.hub.connect(f.protocol.deployer).depositFor(f.requester.address, 1_000n * OPG);
      for (let i = 0; i < max; i++) ids.push(await submittedOptimistic(f));
      await time.increase(Number((await f.protocol.hub.params()).challengeWindow) + 1);
      const receipt = await mined(f.protocol.hub.finalizeBatch(ids));
      expect(receipt.gasUsed).to.be.lessThan(30_000_000n);
      console.log(
        `      finalizeBatch(${max}) used ${receipt.gasUsed} gas (${receipt.gasUsed / BigInt(max)} per item)`,
      );
    });
  });

  describe("consumer callbacks", function () {
    it("delivers the settlement to a consumer contract", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await consumerRequest(f, Mode.NONE);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect(await f.consumer.calls()).to.equal(1n);
      expect(await f.consumer.lastRequestId()).to.equal(requestId);
      expect(await f.consumer.lastFinalized()).to.equal(true);
      expect(await f.consumer.lastResultHash()).to.equal(ethersLib.keccak256(OUTPUT));
    });

    for (const [name, behaviour] of [
      ["reverting", Behaviour.Revert],
      ["gas-hungry", Behaviour.BurnGas],
    ] as const) {
      it(`a ${name} consumer cannot block settlement`, async function () {
        const f = await loadFixture(consumerFixture);
        await f.consumer.setBehaviour(behaviour);
        const requestId = await consumerRequest(f, Mode.OPTIMISTIC, 200_000);
        await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
        await time.increase(Number((await f.protocol.hub.params()).challengeWindow) + 1);
        await expect(f.protocol.hub.finalize(requestId))
          .to.emit(f.protocol.hub, "CallbackResult")
          .withArgs(requestId, await f.consumer.getAddress(), false);
        expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      });
    }

    it("a consumer cannot re-enter the hub from its callback", async function () {
      const f = await loadFixture(consumerFixture);
      await f.consumer.setBehaviour(Behaviour.Reenter);
      const requestId = await consumerRequest(f, Mode.NONE, 200_000);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect(await f.consumer.reentryBlocked()).to.equal(true);
    });

    it("reverts when the caller forwards too little gas for the callback, so it can be retried", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await consumerRequest(f, Mode.OPTIMISTIC, 400_000);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      await time.increase(Number((await f.protocol.hub.params()).challengeWindow) + 1);
      await expect(f.protocol.hub.finalize(requestId, { gasLimit: 300_000 })).to.be.revertedWithCustomError(
        f.protocol.hub,
        "HubInsufficientCallbackGas",
      );
      await expect(f.protocol.hub.finalize(requestId, { gasLimit: 1_000_000 })).to.emit(
        f.protocol.hub,
        "CallbackResult",
      );
    });

    it("tells the consumer about an expiry and refunds it", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await consumerRequest(f, Mode.NONE);
      const attempts = Number((await f.protocol.hub.params()).maxAttempts);
      for (let i = 0; i < attempts; i++) {
        await time.increaseTo((await f.protocol.hub.getRequest(requestId)).deadline + 1n);
        await f.protocol.hub.reassign(requestId);
      }
      expect(await f.consumer.lastFinalized()).to.equal(false);
      expect(await f.protocol.hub.balanceOf(await f.consumer.getAddress())).to.equal(await totalFee(f.protocol));
      await f.consumer.withdrawAll();
    });

    it("skips the callback for an account without code", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT, {
        callbackGasLimit: 50_000,
      });
      const receipt = await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      const names = receipt.logs.map((l) => f.protocol.hub.interface.parseLog(l)?.name);
      expect(names).to.not.include("CallbackResult");
    });
  });

  describe("parameters and governance", function () {
    it("deploys with every default parameter and reads it back", async function () {
      const f = await loadFixture(fixture);
      const p = await f.protocol.hub.params();
      const expected: Record<string, bigint | string> = {
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
        responseTimeout: 60n,
        challengeWindow: 120n,
        commitWindow: 60n,
        revealWindow: 60n,
        maxCallbackGas: 500_000n,
        maxInputBytes: 16_384n,
        maxOutputBytes: 16_384n,
        challengeBond: 100n * OPG,
        minRequestFee: OPG / 100n,
        treasury: await f.protocol.timelock.getAddress(),
        randomness: await f.protocol.randomness.getAddress(),
      };
      for (const [key, value] of Object.entries(expected)) {
        expect(p[key as keyof typeof p], key).to.equal(value);
      }
      const s = await f.protocol.staking.params();
      expect(s.minWorkerStake).to.equal(1_000n * OPG);
      expect(s.minVerifierStake).to.equal(500n * OPG);
      expect(s.unbondingDelay).to.equal(3_600n);
      expect(s.jailDuration).to.equal(600n);
      expect(await f.protocol.hub.maxLifecycleDuration()).to.equal(60n + 120n + 60n + 60n);
      expect(await f.protocol.hub.token()).to.equal(await f.protocol.token.getAddress());
      expect(await f.protocol.hub.staking()).to.equal(await f.protocol.staking.getAddress());
      expect(await f.protocol.hub.registry()).to.equal(await f.protocol.registry.getAddress());
      expect(await f.protocol.staking.hub()).to.equal(await f.protocol.hub.getAddress());
    });

    it("setParams: only the owner, every bound enforced at min-1 / max+1, lifecycle below unbonding", async function () {
      const f = await loadFixture(fixture);
      const base = await paramsObject(f.protocol.hub);
      await expect(f.protocol.hub.connect(f.outsider).setParams(base as never))
        .to.be.revertedWithCustomError(f.protocol.hub, "OwnableUnauthorizedAccount")
        .withArgs(f.outsider.address);
      const cases: Array<[string, bigint, bigint, bigint]> = [
        // name, bad value, min, max (as reported)
        ["protocolFeeBps", 2_001n, 0n, 2_000n],
        ["verifierShareBps", 3_001n, 0n, 3_000n],
        ["stakeToFeeRatio", 0n, 1n, 1_000n],
        ["stakeToFeeRatio", 1_001n, 1n, 1_000n],
        ["slashBps", 99n, 100n, 10_000n],
        ["slashBps", 10_001n, 100n, 10_000n],
        ["challengerRewardBps", 10_001n, 0n, 10_000n],
        ["voterRewardBps", 5_001n, 0n, 5_000n],
        ["livenessPenaltyBps", 10_001n, 0n, 10_000n],
        ["nonRevealPenaltyBps", 1_001n, 0n, 1_000n],
        ["maxAttempts", 0n, 1n, 10n],
        ["maxAttempts", 11n, 1n, 10n],
        ["committeeSize", 0n, 1n, 15n],
        ["committeeSize", 17n, 1n, 15n],
        ["responseTimeout", 9n, 10n, 86_400n],
        ["challengeWindow", 9n, 10n, 604_800n],
        ["commitWindow", 9n, 10n, 259_200n],
        ["revealWindow", 9n, 10n, 259_200n],
        ["maxCallbackGas", 9_999n, 10_000n, 2_000_000n],
        ["maxCallbackGas", 2_000_001n, 10_000n, 2_000_000n],
        ["maxInputBytes", 63n, 64n, 131_072n],
        ["maxInputBytes", 131_073n, 64n, 131_072n],
        ["maxOutputBytes", 63n, 64n, 131_072n],
        ["challengeBond", 10n ** 15n - 1n, 10n ** 15n, 10n ** 24n],
        ["minRequestFee", 1_000n * OPG + 1n, 0n, 1_000n * OPG],
      ];
      for (const [name, value, min, max] of cases) {
        await expect(f.protocol.hub.setParams({ ...base, [name]: value } as never), name)
          .to.be.revertedWithCustomError(f.protocol.hub, "ParamOutOfBounds")
          .withArgs(name, value, min, max);
      }
      await expect(f.protocol.hub.setParams({ ...base, committeeSize: 4n } as never))
        .to.be.revertedWithCustomError(f.protocol.hub, "ParamOutOfBounds")
        .withArgs("committeeSize (odd)", 4n, 1n, 15n);
      await expect(
        f.protocol.hub.setParams({ ...base, treasury: ethersLib.ZeroAddress } as never),
      ).to.be.revertedWithCustomError(f.protocol.hub, "HubZeroAddress");
      await expect(f.protocol.hub.setParams({ ...base, challengeWindow: 3_600n } as never))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubLifecycleTooLong")
        .withArgs(60n + 3_600n + 60n + 60n, 3_600n);
      // Accepted at the extremes that fit the lifecycle rule.
      await expect(
        f.protocol.hub.setParams({ ...base, protocolFeeBps: 2_000n, committeeSize: 15n, maxAttempts: 10n } as never),
      ).to.emit(f.protocol.hub, "ParamsUpdated");
      expect((await f.protocol.hub.params()).committeeSize).to.equal(15n);
    });

    it("the full deployment hands every setter to the timelock and keeps no admin", async function () {
      const f = await hubFixture(connection, { governed: true });
      const timelock = await f.protocol.timelock.getAddress();
      expect(await f.protocol.hub.owner()).to.equal(timelock);
      expect(await f.protocol.staking.owner()).to.equal(timelock);
      const admin = await f.protocol.timelock.DEFAULT_ADMIN_ROLE();
      expect(await f.protocol.timelock.hasRole(admin, f.protocol.deployer.address)).to.equal(false);
      const proposer = await f.protocol.timelock.PROPOSER_ROLE();
      expect(await f.protocol.timelock.hasRole(proposer, await f.protocol.governor.getAddress())).to.equal(true);
      const base = await paramsObject(f.protocol.hub);
      await expect(f.protocol.hub.connect(f.protocol.deployer).setParams(base as never)).to.be.revertedWithCustomError(
        f.protocol.hub,
        "OwnableUnauthorizedAccount",
      );
    });

    it("a governance proposal changes a parameter through the timelock", async function () {
      const f = await hubFixture(connection, { governed: true });
      const { governor, hub, token, deployer } = f.protocol;
      await token.connect(deployer).delegate(deployer.address);
      await networkHelpers.mine(1);
      const next = { ...(await paramsObject(hub)), protocolFeeBps: 700n };
      const calldata = hub.interface.encodeFunctionData("setParams", [next as never]);
      const description = "Raise the protocol fee to 7 %";
      const targets = [await hub.getAddress()];
      await governor.propose(targets, [0n], [calldata], description);
      const descriptionHash = ethersLib.id(description);
      const proposalId = await governor.hashProposal(targets, [0n], [calldata], descriptionHash);
      await networkHelpers.mine(Number(await governor.votingDelay()) + 1);
      await governor.castVote(proposalId, 1);
      await networkHelpers.mine(Number(await governor.votingPeriod()) + 1);
      await governor.queue(targets, [0n], [calldata], descriptionHash);
      await time.increase(Number(await f.protocol.timelock.getMinDelay()) + 1);
      await expect(governor.execute(targets, [0n], [calldata], descriptionHash)).to.emit(hub, "ParamsUpdated");
      expect((await hub.params()).protocolFeeBps).to.equal(700n);
    });
  });

  describe("batches", function () {
    const params = (modelId: bigint, maxFee: bigint) => ({
      modelId,
      input: INPUT,
      inputUri: "",
      inputHash: ethersLib.ZeroHash,
      callbackGasLimit: 0,
      maxFee,
    });

    it("requestBatch makes consecutive requests and submitResultBatch settles them", async function () {
      const f = await loadFixture(fixture);
      const fee = await totalFee(f.protocol);
      const batch = Array.from({ length: 5 }, () => params(f.models[Mode.NONE], fee));
      const first = await f.protocol.hub.connect(f.requester).requestBatch.staticCall(batch);
      await f.protocol.hub.connect(f.requester).requestBatch(batch);
      expect(first).to.equal(1n);
      expect(await f.protocol.hub.requestCount()).to.equal(5n);
      const byWorker = new Map<string, bigint[]>();
      for (let id = 1n; id <= 5n; id++) {
        const { worker } = await f.protocol.hub.getRequest(id);
        byWorker.set(worker, [...(byWorker.get(worker) ?? []), id]);
      }
      for (const [worker, ids] of byWorker) {
        await f.protocol.hub.connect(f.book.get(worker)).submitResultBatch(
          ids,
          ids.map(() => OUTPUT),
          ids.map(() => false),
        );
      }
      for (let id = 1n; id <= 5n; id++) {
        expect((await f.protocol.hub.getRequest(id)).status).to.equal(Status.Finalized);
      }
    });

    it("rejects empty or oversized batches, mismatched arrays, and reverts the whole batch on one bad item", async function () {
      const f = await loadFixture(fixture);
      const max = await f.protocol.hub.MAX_BATCH();
      const fee = await totalFee(f.protocol);
      await expect(f.protocol.hub.connect(f.requester).requestBatch([]))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubBatchTooLarge")
        .withArgs(0n, max);
      const tooMany = Array.from({ length: Number(max) + 1 }, () => params(f.models[Mode.NONE], fee));
      await expect(f.protocol.hub.connect(f.requester).requestBatch(tooMany))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubBatchTooLarge")
        .withArgs(max + 1n, max);
      await expect(
        f.protocol.hub
          .connect(f.requester)
          .requestBatch([params(f.models[Mode.NONE], fee), params(f.models[Mode.NONE], fee - 1n)]),
      )
        .to.be.revertedWithCustomError(f.protocol.hub, "HubFeeAboveMax")
        .withArgs(fee, fee - 1n);
      expect(await f.protocol.hub.requestCount()).to.equal(0n);
      await expect(f.protocol.hub.submitResultBatch([1n], [], [false])).to.be.revertedWithCustomError(
        f.protocol.hub,
        "HubBatchLengthMismatch",
      );
      await expect(f.protocol.hub.submitResultBatch([1n], [OUTPUT], [])).to.be.revertedWithCustomError(
        f.protocol.hub,
        "HubBatchLengthMismatch",
      );
      const ids = Array.from({ length: Number(max) + 1 }, (_, i) => BigInt(i + 1));
      await expect(
        f.protocol.hub.submitResultBatch(
          ids,
          ids.map(() => OUTPUT),
          ids.map(() => false),
        ),
      )
        .to.be.revertedWithCustomError(f.protocol.hub, "HubBatchTooLarge")
        .withArgs(max + 1n, max);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const { worker } = await f.protocol.hub.getRequest(requestId);
      await expect(
        f.protocol.hub
          .connect(f.book.get(worker))
          .submitResultBatch([requestId, 999n], [OUTPUT, OUTPUT], [false, false]),
      )
        .to.be.revertedWithCustomError(f.protocol.hub, "HubUnknownRequest")
        .withArgs(999n);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Requested);
    });
  });

  describe("edge cases", function () {
    it("a COMMITTEE request with no eligible verifier finalizes after the window without verifier pay", async function () {
      const f = await loadFixture(fixture);
      for (const v of f.verifiers) await mined(f.protocol.staking.connect(v).setRoles(0));
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect(await f.protocol.hub.committeeOf(requestId)).to.deep.equal([]);
      await time.increaseTo((await f.protocol.hub.getRequest(requestId)).deadline + 1n);
      await expect(f.protocol.hub.finalize(requestId)).to.emit(f.protocol.hub, "RequestFinalized");
    });

    it("a zero liveness penalty credits nothing but still jails the late worker", async function () {
      const f = await loadFixture(fixture);
      await f.protocol.hub.setParams({ ...(await paramsObject(f.protocol.hub)), livenessPenaltyBps: 0n } as never);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const { worker, deadline } = await f.protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline + 1n);
      const receipt = await mined(f.protocol.hub.reassign(requestId));
      const names = receipt.logs.map((l) => f.protocol.hub.interface.parseLog(l)?.name);
      expect(names).to.not.include("Credited");
      expect((await f.protocol.staking.getOperator(worker)).jailed).to.equal(true);
    });

    it("the constructor rejects zero addresses", async function () {
      const f = await loadFixture(fixture);
      const factory = await ethers.getContractFactory("InferenceHubV1");
      const args = [
        await f.protocol.token.getAddress(),
        await f.protocol.staking.getAddress(),
        await f.protocol.registry.getAddress(),
        await f.protocol.hub.bounds(),
      ];
      const p = await paramsObject(f.protocol.hub);
      for (let i = 0; i < args.length; i++) {
        const bad = args.map((a, j) => (j === i ? ethersLib.ZeroAddress : a));
        await expect(
          factory.deploy(bad[0]!, bad[1]!, bad[2]!, bad[3]!, p as never, f.protocol.deployer.address),
        ).to.be.revertedWithCustomError(f.protocol.hub, "HubZeroAddress");
      }
    });
  });

  describe("views and deployment limits", function () {
    it("quote and collateralOf report the locked amounts", async function () {
      const f = await loadFixture(fixture);
      const [modelFee, protocolFee] = await f.protocol.hub.quote(f.models[Mode.NONE]);
      expect(modelFee + protocolFee).to.equal(await totalFee(f.protocol));
      expect(await f.protocol.hub.collateralOf(1n)).to.equal(0n);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      expect(await f.protocol.hub.collateralOf(requestId)).to.equal((modelFee + protocolFee) * 10n);
      expect((await f.protocol.hub.getDispute(requestId)).challenger).to.equal(ethersLib.ZeroAddress);
      expect((await f.protocol.hub.ballotOf(requestId, f.outsider.address)).drawn).to.equal(false);
    });

    it("every deployable contract fits the 24 KiB code size limit", async function () {
      // Coverage instruments the bytecode (the hub grows to ~40 KB): the limit is enforced by `npm test` and CI.
      if (hre.globalOptions.coverage) this.skip();
      const f = await loadFixture(fixture);
      for (const contract of [
        f.protocol.hub,
        f.protocol.staking,
        f.protocol.registry,
        f.protocol.token,
        f.protocol.governor,
      ]) {
        const code = await ethers.provider.getCode(await contract.getAddress());
        expect((code.length - 2) / 2).to.be.at.most(MAX_CODE_SIZE);
      }
    });
  });
});
