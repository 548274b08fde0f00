import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import { DType, encodeTensors } from "../../offchain/codec/tensor.js";
import { mined, pickChallenger, requestInference, submitAsWorker, voteAll } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { ExampleClassifierConsumerV1__factory, type ExampleClassifierConsumerV1 } from "../../typechain-types/index.js";
import { INPUT, hubFixture, totalFee } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

/** Gas the normal consumers ask the hub to forward: the contract claims its callback is "well under 50k". */
const CALLBACK_GAS = 50_000;
/** Too little for the callback's first storage read: the call runs out of gas and the hub ignores it. */
const TINY_CALLBACK_GAS = 2_000;

/** A real classifier output: FIXED64 [1,3] scores with 6 decimals; class 1 wins with 0.87. */
const SCORES = encodeTensors([
  { dtype: DType.FIXED64, decimals: 6, shape: [1, 3], data: [120_000n, 870_000n, 10_000n] },
]);
const SCORES_ARGMAX = 1n;
const SCORES_MAX = 870_000n;
/** All-negative logits: decoding must sign-extend; class 2 wins with -0.1. */
const NEGATIVE_SCORES = encodeTensors([
  { dtype: DType.FIXED64, decimals: 6, shape: [1, 3], data: [-2_500_000n, -900_000n, -100_000n] },
]);
/** A canonical FLOAT [1,2] input. */
const IMAGE = encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 2], data: [0.5, -1.25] }]);

async function consumerFixture() {
  const f = await hubFixture(connection);
  const hubAddress = await f.protocol.hub.getAddress();
  const tokenAddress = await f.protocol.token.getAddress();
  const factory = new ExampleClassifierConsumerV1__factory(f.protocol.deployer);
  const deploy = async (mode: Mode, gas: number) => {
    const consumer = await factory.deploy(hubAddress, tokenAddress, f.models[mode], gas);
    await consumer.waitForDeployment();
    return consumer;
  };
  const none = await deploy(Mode.NONE, CALLBACK_GAS);
  const optimistic = await deploy(Mode.OPTIMISTIC, CALLBACK_GAS);
  /** Callback runs out of gas. */
  const tiny = await deploy(Mode.NONE, TINY_CALLBACK_GAS);
  const tinyOptimistic = await deploy(Mode.OPTIMISTIC, TINY_CALLBACK_GAS);
  /** No callback at all (gas limit 0). */
  const silent = await deploy(Mode.OPTIMISTIC, 0);
  const fee = await totalFee(f.protocol);
  for (const consumer of [none, optimistic, tiny, tinyOptimistic, silent]) {
    await (await f.protocol.token.connect(f.requester).approve(await consumer.getAddress(), 10n * fee)).wait();
  }
  return { ...f, none, optimistic, tiny, tinyOptimistic, silent, fee };
}
type Fixture = Awaited<ReturnType<typeof consumerFixture>>;

/** `payer` (the fixture's requester by default) requests a classification; returns the hub request id. */
async function classify(f: Fixture, consumer: ExampleClassifierConsumerV1, payer = f.requester): Promise<bigint> {
  const receipt = await mined(consumer.connect(payer).requestClassification(IMAGE, f.fee));
  for (const log of receipt.logs) {
    const parsed = consumer.interface.parseLog(log);
    if (parsed?.name === "ClassificationRequested") return parsed.args.requestId as bigint;
  }
  throw new Error("no ClassificationRequested event");
}

async function challengeWindow(f: Fixture): Promise<number> {
  return Number((await f.protocol.hub.params()).challengeWindow);
}

/** Optimistic request submitted with `output` and finalized after the challenge window. */
async function finalizedOptimistic(f: Fixture, consumer: ExampleClassifierConsumerV1, output: Uint8Array) {
  const requestId = await classify(f, consumer);
  await submitAsWorker(f.protocol, f.book, requestId, output);
  await time.increase((await challengeWindow(f)) + 1);
  await mined(f.protocol.hub.connect(f.outsider).finalize(requestId, { gasLimit: 1_000_000 }));
  return requestId;
}

/** Lets the assigned worker miss its deadline `maxAttempts` times: the request expires. */
async function expire(f: Fixture, requestId: bigint) {
  const attempts = Number((await f.protocol.hub.params()).maxAttempts);
  for (let i = 0; i < attempts; i++) {
    await time.increaseTo((await f.protocol.hub.getRequest(requestId)).deadline + 1n);
    await mined(f.protocol.hub.connect(f.outsider).reassign(requestId, { gasLimit: 2_000_000 }));
  }
  expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Expired));
}

/** Optimistic request challenged after submission and rejected by every juror. */
async function rejectedOptimistic(f: Fixture, consumer: ExampleClassifierConsumerV1) {
  const requestId = await classify(f, consumer);
  await submitAsWorker(f.protocol, f.book, requestId, SCORES);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.hub.connect(challenger).challenge(requestId));
  expect(await f.protocol.hub.jurorsOf(requestId)).to.not.be.empty;
  await voteAll(f.protocol, f.book, requestId, () => false);
  await mined(f.protocol.hub.connect(f.outsider).resolveDispute(requestId, { gasLimit: 2_000_000 }));
  expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Rejected));
  return requestId;
}

/** A signer acting as the hub contract (to reach the callback's guards behind `msg.sender == hub`). */
async function hubSigner(f: Fixture) {
  const address = await f.protocol.hub.getAddress();
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, OPG);
  return ethers.getSigner(address);
}

describe("ExampleClassifierConsumerV1 — against the deployed hub", function () {
  describe("constructor", function () {
    it("stores the hub, token, model and callback gas", async function () {
      const f = await loadFixture(consumerFixture);
      expect(await f.none.hub()).to.equal(await f.protocol.hub.getAddress());
      expect(await f.none.token()).to.equal(await f.protocol.token.getAddress());
      expect(await f.none.modelId()).to.equal(f.models[Mode.NONE]);
      expect(await f.optimistic.modelId()).to.equal(f.models[Mode.OPTIMISTIC]);
      expect(await f.none.callbackGasLimit()).to.equal(BigInt(CALLBACK_GAS));
    });

    it("rejects a zero hub or token", async function () {
      const f = await loadFixture(consumerFixture);
      const factory = new ExampleClassifierConsumerV1__factory(f.protocol.deployer);
      const hub = await f.protocol.hub.getAddress();
      const token = await f.protocol.token.getAddress();
      await expect(factory.deploy(ethersLib.ZeroAddress, token, 1n, CALLBACK_GAS)).to.be.revertedWithCustomError(
        factory,
        "ConsumerZeroAddress",
      );
      await expect(factory.deploy(hub, ethersLib.ZeroAddress, 1n, CALLBACK_GAS)).to.be.revertedWithCustomError(
        factory,
        "ConsumerZeroAddress",
      );
    });
  });

  describe("requestClassification", function () {
    it("pulls the quoted fee from the caller, deposits it and locks it in the hub", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      const [modelFee, protocolFee] = await f.protocol.hub.quote(f.models[Mode.NONE]);
      expect(modelFee + protocolFee).to.equal(f.fee);
      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      const hubBefore = await f.protocol.token.balanceOf(await f.protocol.hub.getAddress());
      const requestId = (await f.protocol.hub.requestCount()) + 1n;

      const tx = f.none.connect(f.requester).requestClassification(IMAGE, f.fee);
      await expect(tx).to.emit(f.none, "ClassificationRequested").withArgs(requestId, f.requester.address, f.fee);
      await expect(tx)
        .to.emit(f.protocol.hub, "InferenceRequested")
        .withArgs(
          requestId,
          f.models[Mode.NONE],
          consumerAddress,
          ethersLib.hexlify(IMAGE),
          "",
          ethersLib.keccak256(IMAGE),
          modelFee,
          protocolFee,
          BigInt(CALLBACK_GAS),
        );

      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore - f.fee);
      expect(await f.protocol.token.balanceOf(await f.protocol.hub.getAddress())).to.equal(hubBefore + f.fee);
      expect(await f.protocol.token.balanceOf(consumerAddress)).to.equal(0n);
      expect(await f.protocol.token.allowance(consumerAddress, await f.protocol.hub.getAddress())).to.equal(0n);
      expect(await f.protocol.hub.balanceOf(consumerAddress)).to.equal(0n, "the whole deposit is locked");

      const r = await f.protocol.hub.getRequest(requestId);
      expect(r.requester).to.equal(consumerAddress);
      expect(r.status).to.equal(BigInt(Status.Requested));
      expect(r.callbackGasLimit).to.equal(BigInt(CALLBACK_GAS));
      const job = await f.none.getJob(requestId);
      expect(job.payer).to.equal(f.requester.address);
      expect(job.fee).to.equal(f.fee);
      expect(job.settled).to.equal(false);
      expect(job.finalized).to.equal(false);
      expect(job.refunded).to.equal(false);
      expect(job.recorded).to.equal(false);
      expect(await f.none.hasPrediction(requestId)).to.equal(false);
    });

    it("accepts a maxFee above the quote but charges only the quote", async function () {
      const f = await loadFixture(consumerFixture);
      const before = await f.protocol.token.balanceOf(f.requester.address);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, f.fee * 5n)).to.emit(
        f.none,
        "ClassificationRequested",
      );
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(before - f.fee);
    });

    it("reverts when the quote exceeds maxFee", async function () {
      const f = await loadFixture(consumerFixture);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, f.fee - 1n))
        .to.be.revertedWithCustomError(f.none, "ConsumerFeeAboveMax")
        .withArgs(f.fee, f.fee - 1n);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, 0n))
        .to.be.revertedWithCustomError(f.none, "ConsumerFeeAboveMax")
        .withArgs(f.fee, 0n);
    });

    it("reverts without enough allowance from the caller", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      await f.protocol.token.connect(f.requester).approve(consumerAddress, f.fee - 1n);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, f.fee))
        .to.be.revertedWithCustomError(f.protocol.token, "ERC20InsufficientAllowance")
        .withArgs(consumerAddress, f.fee - 1n, f.fee);
      // An account that never approved.
      await expect(f.none.connect(f.outsider).requestClassification(IMAGE, f.fee))
        .to.be.revertedWithCustomError(f.protocol.token, "ERC20InsufficientAllowance")
        .withArgs(consumerAddress, 0n, f.fee);
    });

    it("surfaces the hub's own checks (callback gas above the hub's cap)", async function () {
      const f = await loadFixture(consumerFixture);
      const maxGas = (await f.protocol.hub.params()).maxCallbackGas;
      const greedy = await new ExampleClassifierConsumerV1__factory(f.protocol.deployer).deploy(
        await f.protocol.hub.getAddress(),
        await f.protocol.token.getAddress(),
        f.models[Mode.NONE],
        maxGas + 1n,
      );
      await f.protocol.token.connect(f.requester).approve(await greedy.getAddress(), f.fee);
      await expect(greedy.connect(f.requester).requestClassification(IMAGE, f.fee))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubCallbackGasTooHigh")
        .withArgs(maxGas + 1n, maxGas);
    });
  });

  describe("onInferenceSettled", function () {
    it("records the outcome when the hub calls it on settlement", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      const worker = f.book.get((await f.protocol.hub.getRequest(requestId)).worker);
      const tx = f.protocol.hub.connect(worker).submitResult(requestId, SCORES, false);
      await expect(tx)
        .to.emit(f.protocol.hub, "CallbackResult")
        .withArgs(requestId, await f.none.getAddress(), true);
      await expect(tx)
        .to.emit(f.none, "InferenceSettlementRecorded")
        .withArgs(requestId, true, ethersLib.keccak256(SCORES), false);
      const job = await f.none.getJob(requestId);
      expect(job.settled).to.equal(true);
      expect(job.finalized).to.equal(true);
      expect(job.isError).to.equal(false);
      expect(job.resultHash).to.equal(ethersLib.keccak256(SCORES));
      expect(job.recorded).to.equal(false, "the callback does not decode the output");
    });

    it("only the hub may call it", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      for (const caller of [f.outsider, f.requester, f.protocol.deployer]) {
        await expect(f.none.connect(caller).onInferenceSettled(requestId, true, ethersLib.ZeroHash, false))
          .to.be.revertedWithCustomError(f.none, "ConsumerNotHub")
          .withArgs(caller.address);
      }
      expect((await f.none.getJob(requestId)).settled).to.equal(false);
    });

    it("rejects, even from the hub, a request it did not make or one already settled", async function () {
      const f = await loadFixture(consumerFixture);
      const hub = await hubSigner(f);
      await expect(f.none.connect(hub).onInferenceSettled(42n, true, ethersLib.ZeroHash, false))
        .to.be.revertedWithCustomError(f.none, "ConsumerUnknownRequest")
        .withArgs(42n);

      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      expect((await f.none.getJob(requestId)).settled).to.equal(true);
      await expect(f.none.connect(hub).onInferenceSettled(requestId, false, ethersLib.ZeroHash, false))
        .to.be.revertedWithCustomError(f.none, "ConsumerAlreadySettled")
        .withArgs(requestId);
      await networkHelpers.stopImpersonatingAccount(await hub.getAddress());
    });
  });

  describe("recordOutput", function () {
    it("NONE mode: records the argmax of a verified FIXED64 [1,3] score tensor", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Finalized));

      await expect(f.none.connect(f.outsider).recordOutput(requestId, SCORES))
        .to.emit(f.none, "ClassificationRecorded")
        .withArgs(requestId, SCORES_ARGMAX, SCORES_MAX);
      expect(await f.none.predictedClass(requestId)).to.equal(SCORES_ARGMAX);
      expect(await f.none.hasPrediction(requestId)).to.equal(true);
      expect((await f.none.getJob(requestId)).recorded).to.equal(true);
    });

    it("OPTIMISTIC mode: records after the challenge window, sign-extending negative scores", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await finalizedOptimistic(f, f.optimistic, NEGATIVE_SCORES);
      expect((await f.optimistic.getJob(requestId)).settled).to.equal(true, "recorded by the callback");
      await expect(f.optimistic.recordOutput(requestId, NEGATIVE_SCORES))
        .to.emit(f.optimistic, "ClassificationRecorded")
        .withArgs(requestId, 2n, -100_000n);
      expect(await f.optimistic.predictedClass(requestId)).to.equal(2n);
    });

    it("reverts for bytes that do not hash to the final result", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      for (const wrong of [NEGATIVE_SCORES, SCORES.slice(0, -1), new Uint8Array()]) {
        await expect(f.none.recordOutput(requestId, wrong))
          .to.be.revertedWithCustomError(f.none, "ConsumerOutputMismatch")
          .withArgs(requestId, ethersLib.keccak256(SCORES), ethersLib.keccak256(wrong));
      }
      expect(await f.none.hasPrediction(requestId)).to.equal(false);
    });

    it("reverts while the request is not terminal: requested, submitted, disputed", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.optimistic);
      await expect(f.optimistic.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Requested));

      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await expect(f.optimistic.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Submitted));

      // Past the window but nobody finalized yet: the hub still says Submitted.
      await time.increase((await challengeWindow(f)) + 1);
      await expect(f.optimistic.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Submitted));

      const other = await classify(f, f.optimistic);
      await submitAsWorker(f.protocol, f.book, other, SCORES);
      const challenger = await pickChallenger(f.protocol, f.verifiers, other);
      await mined(f.protocol.hub.connect(challenger).challenge(other));
      await expect(f.optimistic.recordOutput(other, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(other, BigInt(Status.Disputed));
      expect((await f.optimistic.getJob(other)).settled).to.equal(false);
    });

    it("reverts for an error result", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      const errorBytes = ethersLib.toUtf8Bytes("model failed: input shape");
      await submitAsWorker(f.protocol, f.book, requestId, errorBytes, true);
      const job = await f.none.getJob(requestId);
      expect(job.finalized).to.equal(true);
      expect(job.isError).to.equal(true);
      await expect(f.none.recordOutput(requestId, errorBytes))
        .to.be.revertedWithCustomError(f.none, "ConsumerErrorResult")
        .withArgs(requestId);
      // A finalized error result is paid for: nothing to refund either.
      await expect(f.none.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.none, "ConsumerNothingToRefund")
        .withArgs(requestId);
    });

    it("reverts when recorded twice", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await mined(f.none.recordOutput(requestId, SCORES));
      await expect(f.none.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.none, "ConsumerAlreadyRecorded")
        .withArgs(requestId);
    });

    it("reverts for a request that did not finalize (expired or rejected)", async function () {
      const f = await loadFixture(consumerFixture);
      const expired = await classify(f, f.optimistic);
      await expire(f, expired);
      await expect(f.optimistic.recordOutput(expired, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotFinalized")
        .withArgs(expired);
      const rejected = await rejectedOptimistic(f, f.optimistic);
      await expect(f.optimistic.recordOutput(rejected, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotFinalized")
        .withArgs(rejected);
    });

    it("a finalized output the codec cannot classify stays unrecorded (and is not refundable)", async function () {
      const f = await loadFixture(consumerFixture);
      const cases: Array<[Uint8Array, string, unknown[]]> = [
        [
          encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 3], data: [0.1, 0.7, 0.2] }]),
          "TensorCodecFloatUseElementBits",
          [BigInt(DType.FLOAT)],
        ],
        [encodeTensors([{ dtype: DType.FIXED64, decimals: 6, shape: [1, 0], data: [] }]), "TensorCodecEmptyTensor", []],
        [ethersLib.toUtf8Bytes("class=1"), "TensorCodecBadMagic", ["0x636c61"]],
      ];
      for (const [output, error, args] of cases) {
        const requestId = await classify(f, f.none);
        await submitAsWorker(f.protocol, f.book, requestId, output);
        await expect(f.none.recordOutput(requestId, output), error)
          .to.be.revertedWithCustomError(f.none, error)
          .withArgs(...args);
        await expect(f.none.reclaimRefund(requestId))
          .to.be.revertedWithCustomError(f.none, "ConsumerNothingToRefund")
          .withArgs(requestId);
      }
    });

    it("reverts for a request not made through this consumer", async function () {
      const f = await loadFixture(consumerFixture);
      const direct = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await submitAsWorker(f.protocol, f.book, direct.requestId, SCORES);
      await expect(f.none.recordOutput(direct.requestId, SCORES))
        .to.be.revertedWithCustomError(f.none, "ConsumerUnknownRequest")
        .withArgs(direct.requestId);
      // A request of another consumer instance is foreign too.
      const mine = await classify(f, f.none);
      await expect(f.optimistic.recordOutput(mine, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerUnknownRequest")
        .withArgs(mine);
      await expect(f.none.recordOutput(999n, SCORES))
        .to.be.revertedWithCustomError(f.none, "ConsumerUnknownRequest")
        .withArgs(999n);
    });
  });

  describe("reclaimRefund", function () {
    it("returns the full fee to the payer after an expiry, whoever calls", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      const requestId = await classify(f, f.none);
      await expire(f, requestId);
      const job = await f.none.getJob(requestId);
      expect(job.settled).to.equal(true, "the callback recorded the expiry");
      expect(job.finalized).to.equal(false);
      expect(await f.protocol.hub.balanceOf(consumerAddress)).to.equal(f.fee);

      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      const outsiderBefore = await f.protocol.token.balanceOf(f.outsider.address);
      const tx = f.none.connect(f.outsider).reclaimRefund(requestId);
      await expect(tx).to.emit(f.none, "RefundReclaimed").withArgs(requestId, f.requester.address, f.fee);
      await expect(tx).to.emit(f.protocol.hub, "Withdrawn").withArgs(consumerAddress, f.fee);
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore + f.fee);
      expect(await f.protocol.token.balanceOf(f.outsider.address)).to.equal(outsiderBefore);
      expect(await f.protocol.hub.balanceOf(consumerAddress)).to.equal(0n);
      expect(await f.protocol.token.balanceOf(consumerAddress)).to.equal(0n);
      expect((await f.none.getJob(requestId)).refunded).to.equal(true);
    });

    it("returns the full fee to the payer after a rejected dispute", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.optimistic.getAddress();
      const requestId = await rejectedOptimistic(f, f.optimistic);
      expect(await f.protocol.hub.balanceOf(consumerAddress)).to.equal(f.fee);
      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      await expect(f.optimistic.reclaimRefund(requestId))
        .to.emit(f.optimistic, "RefundReclaimed")
        .withArgs(requestId, f.requester.address, f.fee);
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore + f.fee);
      expect(await f.protocol.hub.balanceOf(consumerAddress)).to.equal(0n);
    });

    it("refunds each payer its own fee when several requests are pending", async function () {
      const f = await loadFixture(consumerFixture);
      await f.protocol.token.connect(f.outsider).approve(await f.none.getAddress(), f.fee);
      const a = await classify(f, f.none, f.requester);
      const b = await classify(f, f.none, f.outsider);
      await submitAsWorker(f.protocol, f.book, a, SCORES);
      await expire(f, b);
      await expect(f.none.reclaimRefund(a))
        .to.be.revertedWithCustomError(f.none, "ConsumerNothingToRefund")
        .withArgs(a);
      const before = await f.protocol.token.balanceOf(f.outsider.address);
      await expect(f.none.connect(f.requester).reclaimRefund(b))
        .to.emit(f.none, "RefundReclaimed")
        .withArgs(b, f.outsider.address, f.fee);
      expect(await f.protocol.token.balanceOf(f.outsider.address)).to.equal(before + f.fee);
    });

    it("reverts when reclaimed twice", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await expire(f, requestId);
      await mined(f.none.reclaimRefund(requestId));
      await expect(f.none.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.none, "ConsumerAlreadyRefunded")
        .withArgs(requestId);
    });

    it("reverts before settlement", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.optimistic);
      await expect(f.optimistic.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Requested));
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await expect(f.optimistic.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Submitted));
    });

    it("reverts for a finalized request and for a foreign one", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await expect(f.none.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.none, "ConsumerNothingToRefund")
        .withArgs(requestId);
      await expect(f.none.reclaimRefund(777n))
        .to.be.revertedWithCustomError(f.none, "ConsumerUnknownRequest")
        .withArgs(777n);
    });
  });

  describe("when the callback failed or was skipped, the consumer reads the hub", function () {
    it("NONE mode, callback out of gas: recordOutput falls back to the hub's final state", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.tiny.getAddress();
      const requestId = await classify(f, f.tiny);
      const worker = f.book.get((await f.protocol.hub.getRequest(requestId)).worker);
      await expect(f.protocol.hub.connect(worker).submitResult(requestId, SCORES, false, { gasLimit: 1_000_000 }))
        .to.emit(f.protocol.hub, "CallbackResult")
        .withArgs(requestId, consumerAddress, false);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Finalized));
      expect((await f.tiny.getJob(requestId)).settled).to.equal(false, "the failed callback recorded nothing");

      const tx = f.tiny.connect(f.outsider).recordOutput(requestId, SCORES);
      await expect(tx)
        .to.emit(f.tiny, "InferenceSettlementRecorded")
        .withArgs(requestId, true, ethersLib.keccak256(SCORES), false);
      await expect(tx).to.emit(f.tiny, "ClassificationRecorded").withArgs(requestId, SCORES_ARGMAX, SCORES_MAX);
      const job = await f.tiny.getJob(requestId);
      expect(job.settled).to.equal(true);
      expect(job.finalized).to.equal(true);
      expect(job.resultHash).to.equal(ethersLib.keccak256(SCORES));
      expect(await f.tiny.predictedClass(requestId)).to.equal(SCORES_ARGMAX);
    });

    it("OPTIMISTIC mode, finalizer forwards plenty of gas but the callback limit is tiny", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.tinyOptimistic);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await time.increase((await challengeWindow(f)) + 1);
      await expect(f.protocol.hub.connect(f.outsider).finalize(requestId, { gasLimit: 5_000_000 }))
        .to.emit(f.protocol.hub, "CallbackResult")
        .withArgs(requestId, await f.tinyOptimistic.getAddress(), false);
      // A wrong output still fails after the fallback read (the hash comes from the hub).
      await expect(f.tinyOptimistic.recordOutput(requestId, NEGATIVE_SCORES))
        .to.be.revertedWithCustomError(f.tinyOptimistic, "ConsumerOutputMismatch")
        .withArgs(requestId, ethersLib.keccak256(SCORES), ethersLib.keccak256(NEGATIVE_SCORES));
      await expect(f.tinyOptimistic.recordOutput(requestId, SCORES))
        .to.emit(f.tinyOptimistic, "ClassificationRecorded")
        .withArgs(requestId, SCORES_ARGMAX, SCORES_MAX);
    });

    it("error result with a failed callback: the isError flag is read from the hub", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.tiny);
      const errorBytes = ethersLib.toUtf8Bytes("oom");
      await submitAsWorker(f.protocol, f.book, requestId, errorBytes, true);
      await expect(f.tiny.recordOutput(requestId, errorBytes))
        .to.be.revertedWithCustomError(f.tiny, "ConsumerErrorResult")
        .withArgs(requestId);
    });

    it("expiry with a failed callback: reclaimRefund falls back to the hub", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.tiny);
      await expire(f, requestId);
      expect((await f.tiny.getJob(requestId)).settled).to.equal(false);
      const before = await f.protocol.token.balanceOf(f.requester.address);
      const tx = f.tiny.reclaimRefund(requestId);
      await expect(tx)
        .to.emit(f.tiny, "InferenceSettlementRecorded")
        .withArgs(requestId, false, ethersLib.ZeroHash, false);
      await expect(tx).to.emit(f.tiny, "RefundReclaimed").withArgs(requestId, f.requester.address, f.fee);
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(before + f.fee);
      await expect(f.tiny.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.tiny, "ConsumerAlreadyRefunded")
        .withArgs(requestId);
    });

    it("callback skipped (gas limit 0): a rejected request is refunded from the hub's state", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.silent);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await mined(f.protocol.hub.connect(challenger).challenge(requestId));
      await voteAll(f.protocol, f.book, requestId, () => false);
      const receipt = await mined(f.protocol.hub.connect(f.outsider).resolveDispute(requestId));
      const names = receipt.logs.map((l) => f.protocol.hub.interface.parseLog(l)?.name);
      expect(names).to.include("RequestRejected");
      expect(names).to.not.include("CallbackResult");
      expect((await f.silent.getJob(requestId)).settled).to.equal(false);

      await expect(f.silent.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.silent, "ConsumerNotFinalized")
        .withArgs(requestId);
      // The failed recordOutput reverted, so the settlement is recorded by the refund itself.
      await expect(f.silent.reclaimRefund(requestId))
        .to.emit(f.silent, "RefundReclaimed")
        .withArgs(requestId, f.requester.address, f.fee);
      expect(await f.protocol.hub.balanceOf(await f.silent.getAddress())).to.equal(0n);
    });

    it("callback skipped (gas limit 0): a finalized request is recorded from the hub's state", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await finalizedOptimistic(f, f.silent, SCORES);
      expect((await f.silent.getJob(requestId)).settled).to.equal(false);
      await expect(f.silent.reclaimRefund(requestId))
        .to.be.revertedWithCustomError(f.silent, "ConsumerNothingToRefund")
        .withArgs(requestId);
      await expect(f.silent.recordOutput(requestId, SCORES))
        .to.emit(f.silent, "ClassificationRecorded")
        .withArgs(requestId, SCORES_ARGMAX, SCORES_MAX);
    });

    it("the callback stays within the 50k gas it is given", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.optimistic);
      await expire(f, requestId);
      expect((await f.optimistic.getJob(requestId)).settled).to.equal(true);
      const finalized = await finalizedOptimistic(f, f.optimistic, SCORES);
      expect((await f.optimistic.getJob(finalized)).settled).to.equal(true);
    });
  });
});
