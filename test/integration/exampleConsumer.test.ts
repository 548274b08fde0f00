import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import { DType, encodeTensors } from "../../offchain/codec/tensor.js";
import {
  mined,
  passTime,
  pickChallenger,
  requestInference,
  runJury,
  submitAsWorker,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { ExampleClassifierConsumer__factory, type ExampleClassifierConsumer } from "../../typechain-types/index.js";
import { INPUT, hubFixture, settlementAccounts, totalFee } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture } = networkHelpers;

/** Gas the normal consumers prepay for their callback: the contract claims it is "well under 50k". */
const CALLBACK_GAS = 50_000;
/** Too little for the callback's first storage read: the call runs out of gas and the hub ignores it. */
const TINY_CALLBACK_GAS = 2_000;
/** Enough for `deliverCallback` with any of these limits (the hub needs 64/63 of the limit + a reserve left). */
const DELIVER_GAS = 1_000_000;

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
  const { hub, settlement, token } = f.protocol.addresses;
  const factory = new ExampleClassifierConsumer__factory(f.protocol.deployer);
  const deploy = async (mode: Mode, gas: number) => {
    const consumer = await factory.deploy(hub, settlement, token, f.models[mode], gas);
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
  /** Model fee + protocol fee: what a request locks and a refund returns. */
  const fee = await totalFee(f.protocol);
  const feePerGas = (await f.protocol.hub.params()).callbackFeePerGas;
  for (const consumer of [none, optimistic, tiny, tinyOptimistic, silent]) {
    await (await f.protocol.token.connect(f.requester).approve(await consumer.getAddress(), 10n * OPG)).wait();
  }
  return { ...f, none, optimistic, tiny, tinyOptimistic, silent, fee, feePerGas };
}
type Fixture = Awaited<ReturnType<typeof consumerFixture>>;

/** The prepaid callback fee of `consumer`'s requests. */
async function callbackFeeOf(f: Fixture, consumer: ExampleClassifierConsumer): Promise<bigint> {
  return (await consumer.callbackGasLimit()) * f.feePerGas;
}

/** `payer` (the fixture's requester by default) requests a classification; returns the hub request id. */
async function classify(f: Fixture, consumer: ExampleClassifierConsumer, payer = f.requester): Promise<bigint> {
  const price = f.fee + (await callbackFeeOf(f, consumer));
  const receipt = await mined(consumer.connect(payer).requestClassification(IMAGE, price));
  for (const log of receipt.logs) {
    const parsed = consumer.interface.parseLog(log);
    if (parsed?.name === "ClassificationRequested") return parsed.args.requestId as bigint;
  }
  throw new Error("no ClassificationRequested event");
}

/** Anyone (the outsider here) delivers the prepaid callback of a terminal request. */
async function deliver(f: Fixture, requestId: bigint) {
  return mined(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: DELIVER_GAS }));
}

/** Optimistic request submitted with `output` and finalized after the challenge window. */
async function finalizedOptimistic(f: Fixture, consumer: ExampleClassifierConsumer, output: Uint8Array) {
  const requestId = await classify(f, consumer);
  await submitAsWorker(f.protocol, f.book, requestId, output);
  await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
  await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
  return requestId;
}

/** Lets the assigned worker miss its deadline until the request expires. */
async function expire(f: Fixture, requestId: bigint) {
  for (;;) {
    const request = await f.protocol.hub.getRequest(requestId);
    if (request.status !== BigInt(Status.Requested)) break;
    await passTime(f.protocol, request.deadline);
    await mined(f.protocol.hub.connect(f.outsider).reassign(requestId));
  }
  expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Expired));
}

/** Optimistic request challenged after submission; the jury rejects it and anyone finalizes. */
async function rejectedOptimistic(f: Fixture, consumer: ExampleClassifierConsumer) {
  const requestId = await classify(f, consumer);
  await submitAsWorker(f.protocol, f.book, requestId, SCORES);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
  await runJury(f.protocol, f.book, requestId, () => false);
  await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
  expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Rejected));
  return requestId;
}

/** A signer acting as the hub contract (to reach the callback's guards behind `msg.sender == hub`). */
async function hubSigner(f: Fixture) {
  const address = f.protocol.addresses.hub;
  await networkHelpers.impersonateAccount(address);
  await networkHelpers.setBalance(address, OPG);
  return ethers.getSigner(address);
}

describe("ExampleClassifierConsumer — against the deployed v2 protocol", function () {
  describe("constructor", function () {
    it("stores the hub, settlement, token, model and callback gas", async function () {
      const f = await loadFixture(consumerFixture);
      expect(await f.none.hub()).to.equal(f.protocol.addresses.hub);
      expect(await f.none.settlement()).to.equal(f.protocol.addresses.settlement);
      expect(await f.none.token()).to.equal(f.protocol.addresses.token);
      expect(await f.none.modelId()).to.equal(f.models[Mode.NONE]);
      expect(await f.optimistic.modelId()).to.equal(f.models[Mode.OPTIMISTIC]);
      expect(await f.none.callbackGasLimit()).to.equal(BigInt(CALLBACK_GAS));
    });

    it("rejects a zero hub, settlement or token", async function () {
      const f = await loadFixture(consumerFixture);
      const factory = new ExampleClassifierConsumer__factory(f.protocol.deployer);
      const { hub, settlement, token } = f.protocol.addresses;
      const zero = ethersLib.ZeroAddress;
      for (const args of [
        [zero, settlement, token],
        [hub, zero, token],
        [hub, settlement, zero],
      ] as const) {
        await expect(factory.deploy(args[0], args[1], args[2], 1n, CALLBACK_GAS)).to.be.revertedWithCustomError(
          factory,
          "ConsumerZeroAddress",
        );
      }
    });
  });

  describe("requestClassification", function () {
    it("pulls the quoted price, deposits it in the settlement contract and locks it for the request", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      const [modelFee, protocolFee] = await f.protocol.hub.quote(f.models[Mode.NONE]);
      expect(modelFee + protocolFee).to.equal(f.fee);
      const callbackFee = BigInt(CALLBACK_GAS) * f.feePerGas;
      const price = f.fee + callbackFee;
      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      const heldBefore = await f.protocol.token.balanceOf(f.protocol.addresses.settlement);
      const lockedBefore = await f.protocol.settlement.totalLocked();
      const requestId = (await f.protocol.hub.requestCount()) + 1n;

      const tx = f.none.connect(f.requester).requestClassification(IMAGE, price);
      await expect(tx)
        .to.emit(f.none, "ClassificationRequested")
        .withArgs(requestId, f.requester.address, f.fee, callbackFee);
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
      await expect(tx).to.emit(f.protocol.settlement, "FeeLocked").withArgs(requestId, consumerAddress, price);

      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore - price);
      expect(await f.protocol.token.balanceOf(f.protocol.addresses.settlement)).to.equal(heldBefore + price);
      expect(await f.protocol.settlement.totalLocked()).to.equal(lockedBefore + price);
      expect(await f.protocol.token.balanceOf(consumerAddress)).to.equal(0n);
      expect(await f.protocol.token.allowance(consumerAddress, f.protocol.addresses.settlement)).to.equal(0n);
      expect(await f.protocol.settlement.balanceOf(consumerAddress)).to.equal(0n, "the whole deposit is locked");

      const r = await f.protocol.hub.getRequest(requestId);
      expect(r.requester).to.equal(consumerAddress);
      expect(r.status).to.equal(BigInt(Status.Requested));
      expect(r.callbackGasLimit).to.equal(BigInt(CALLBACK_GAS));
      expect(r.callbackFee).to.equal(callbackFee);
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
      const price = f.fee + (await callbackFeeOf(f, f.none));
      const before = await f.protocol.token.balanceOf(f.requester.address);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, price * 5n)).to.emit(
        f.none,
        "ClassificationRequested",
      );
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(before - price);
    });

    it("reverts when the price (callback fee included) exceeds maxFee", async function () {
      const f = await loadFixture(consumerFixture);
      const price = f.fee + (await callbackFeeOf(f, f.none));
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, price - 1n))
        .to.be.revertedWithCustomError(f.none, "ConsumerFeeAboveMax")
        .withArgs(price, price - 1n);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, f.fee))
        .to.be.revertedWithCustomError(f.none, "ConsumerFeeAboveMax")
        .withArgs(price, f.fee);
    });

    it("reverts without enough allowance from the caller", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      const price = f.fee + (await callbackFeeOf(f, f.none));
      await f.protocol.token.connect(f.requester).approve(consumerAddress, price - 1n);
      await expect(f.none.connect(f.requester).requestClassification(IMAGE, price))
        .to.be.revertedWithCustomError(f.protocol.token, "ERC20InsufficientAllowance")
        .withArgs(consumerAddress, price - 1n, price);
      // An account that never approved.
      await expect(f.none.connect(f.outsider).requestClassification(IMAGE, price))
        .to.be.revertedWithCustomError(f.protocol.token, "ERC20InsufficientAllowance")
        .withArgs(consumerAddress, 0n, price);
    });

    it("surfaces the hub's own checks (callback gas above the hub's cap)", async function () {
      const f = await loadFixture(consumerFixture);
      const maxGas = (await f.protocol.hub.params()).maxCallbackGas;
      const { hub, settlement, token } = f.protocol.addresses;
      const greedy = await new ExampleClassifierConsumer__factory(f.protocol.deployer).deploy(
        hub,
        settlement,
        token,
        f.models[Mode.NONE],
        maxGas + 1n,
      );
      const price = f.fee + (maxGas + 1n) * f.feePerGas;
      await f.protocol.token.connect(f.requester).approve(await greedy.getAddress(), price);
      await expect(greedy.connect(f.requester).requestClassification(IMAGE, price))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubCallbackGasTooHigh")
        .withArgs(maxGas + 1n, maxGas);
    });
  });

  describe("onInferenceSettled (delivered by deliverCallback)", function () {
    it("records the outcome; the deliverer is credited the prepaid callback fee", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      const worker = f.book.get((await f.protocol.hub.getRequest(requestId)).worker);
      // The worker's submission does not run the callback: its gas does not depend on it.
      const submit = f.protocol.hub.connect(worker).submitResult(requestId, SCORES, false);
      await expect(submit).to.not.emit(f.protocol.hub, "CallbackDelivered");
      expect((await f.none.getJob(requestId)).settled).to.equal(false);
      expect((await f.protocol.hub.getRequest(requestId)).callbackPending).to.equal(true);

      const callbackFee = await callbackFeeOf(f, f.none);
      const tx = f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: DELIVER_GAS });
      await expect(tx)
        .to.emit(f.protocol.hub, "CallbackDelivered")
        .withArgs(requestId, await f.none.getAddress(), true, f.outsider.address);
      await expect(tx)
        .to.emit(f.none, "InferenceSettlementRecorded")
        .withArgs(requestId, true, ethersLib.keccak256(SCORES), false);
      await expect(tx)
        .to.emit(f.protocol.settlement, "FeeCredited")
        .withArgs(requestId, f.outsider.address, callbackFee);
      expect(await f.protocol.settlement.creditsOf(f.outsider.address)).to.equal(callbackFee);
      const job = await f.none.getJob(requestId);
      expect(job.settled).to.equal(true);
      expect(job.finalized).to.equal(true);
      expect(job.isError).to.equal(false);
      expect(job.resultHash).to.equal(ethersLib.keccak256(SCORES));
      expect(job.recorded).to.equal(false, "the callback does not decode the output");
      await expect(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: DELIVER_GAS }))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoCallback")
        .withArgs(requestId); // once per request
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
      await deliver(f, requestId);
      expect((await f.none.getJob(requestId)).settled).to.equal(true);
      await expect(f.none.connect(hub).onInferenceSettled(requestId, false, ethersLib.ZeroHash, false))
        .to.be.revertedWithCustomError(f.none, "ConsumerAlreadySettled")
        .withArgs(requestId);
      await networkHelpers.stopImpersonatingAccount(await hub.getAddress());
    });

    it("the callback stays within the 50k gas it is prepaid, for expiries and finalizations", async function () {
      const f = await loadFixture(consumerFixture);
      const expired = await classify(f, f.optimistic);
      await expire(f, expired);
      const a = await deliver(f, expired);
      const finalized = await finalizedOptimistic(f, f.optimistic, SCORES);
      const b = await deliver(f, finalized);
      for (const receipt of [a, b]) {
        const delivered = receipt.logs
          .map((l) => f.protocol.hub.interface.parseLog(l))
          .find((e) => e?.name === "CallbackDelivered");
        expect(delivered?.args.success).to.equal(true);
      }
      expect((await f.optimistic.getJob(expired)).settled).to.equal(true);
      expect((await f.optimistic.getJob(finalized)).settled).to.equal(true);
    });
  });

  describe("recordOutput", function () {
    it("NONE mode: records the argmax of a verified FIXED64 [1,3] score tensor", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await deliver(f, requestId);
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
      await deliver(f, requestId);
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
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      await expect(f.optimistic.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.optimistic, "ConsumerNotSettled")
        .withArgs(requestId, BigInt(Status.Submitted));

      const other = await classify(f, f.optimistic);
      await submitAsWorker(f.protocol, f.book, other, SCORES);
      const challenger = await pickChallenger(f.protocol, f.verifiers, other);
      await mined(f.protocol.optimistic.connect(challenger).challenge(other));
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
      await deliver(f, requestId);
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
        await deliver(f, requestId);
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
    it("returns the fee to the payer after an expiry, whoever calls", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.none.getAddress();
      const requestId = await classify(f, f.none);
      await expire(f, requestId);
      await deliver(f, requestId);
      const job = await f.none.getJob(requestId);
      expect(job.settled).to.equal(true, "the callback recorded the expiry");
      expect(job.finalized).to.equal(false);
      expect(await f.protocol.settlement.balanceOf(consumerAddress)).to.equal(f.fee);

      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      const outsiderBefore = await f.protocol.token.balanceOf(f.outsider.address);
      const tx = f.none.connect(f.outsider).reclaimRefund(requestId);
      await expect(tx).to.emit(f.none, "RefundReclaimed").withArgs(requestId, f.requester.address, f.fee);
      await expect(tx).to.emit(f.protocol.settlement, "Withdrawn").withArgs(consumerAddress, f.fee);
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore + f.fee);
      expect(await f.protocol.token.balanceOf(f.outsider.address)).to.equal(outsiderBefore);
      expect(await f.protocol.settlement.balanceOf(consumerAddress)).to.equal(0n);
      expect(await f.protocol.token.balanceOf(consumerAddress)).to.equal(0n);
      expect((await f.none.getJob(requestId)).refunded).to.equal(true);
    });

    it("returns the fee to the payer after a rejected dispute", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.optimistic.getAddress();
      const requestId = await rejectedOptimistic(f, f.optimistic);
      await deliver(f, requestId);
      expect(await f.protocol.settlement.balanceOf(consumerAddress)).to.equal(f.fee);
      const payerBefore = await f.protocol.token.balanceOf(f.requester.address);
      await expect(f.optimistic.reclaimRefund(requestId))
        .to.emit(f.optimistic, "RefundReclaimed")
        .withArgs(requestId, f.requester.address, f.fee);
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(payerBefore + f.fee);
      expect(await f.protocol.settlement.balanceOf(consumerAddress)).to.equal(0n);
    });

    it("refunds each payer its own fee when several requests are pending", async function () {
      const f = await loadFixture(consumerFixture);
      await f.protocol.token.connect(f.outsider).approve(await f.none.getAddress(), 10n * OPG);
      const a = await classify(f, f.none, f.requester);
      const b = await classify(f, f.none, f.outsider);
      await submitAsWorker(f.protocol, f.book, a, SCORES);
      await expire(f, b);
      await expect(f.none.reclaimRefund(a))
        .to.be.revertedWithCustomError(f.none, "ConsumerNothingToRefund")
        .withArgs(a);
      const before = await f.protocol.token.balanceOf(f.outsider.address);
      const callbackFee = await callbackFeeOf(f, f.none);
      // The callback of b was not delivered: it is cancelled and its prepaid fee goes back with the refund.
      await expect(f.none.connect(f.requester).reclaimRefund(b))
        .to.emit(f.none, "RefundReclaimed")
        .withArgs(b, f.outsider.address, f.fee);
      expect(await f.protocol.token.balanceOf(f.outsider.address)).to.equal(before + f.fee + callbackFee);
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

  describe("when the callback failed, was skipped or was never delivered, the consumer reads the hub", function () {
    it("NONE mode, callback out of gas: recordOutput falls back to the hub's final state", async function () {
      const f = await loadFixture(consumerFixture);
      const consumerAddress = await f.tiny.getAddress();
      const requestId = await classify(f, f.tiny);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      await expect(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: DELIVER_GAS }))
        .to.emit(f.protocol.hub, "CallbackDelivered")
        .withArgs(requestId, consumerAddress, false, f.outsider.address);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(BigInt(Status.Finalized));
      expect((await f.tiny.getJob(requestId)).settled).to.equal(false, "the failed callback recorded nothing");

      const tx = f.tiny.connect(f.outsider).recordOutput(requestId, SCORES);
      await expect(tx)
        .to.emit(f.tiny, "InferenceSettlementRecorded")
        .withArgs(requestId, true, ethersLib.keccak256(SCORES), false);
      await expect(tx).to.emit(f.tiny, "ClassificationRecorded").withArgs(requestId, SCORES_ARGMAX, SCORES_MAX);
      await expect(tx).to.not.emit(f.tiny, "CallbackFeeReturned"); // the deliverer earned it
      const job = await f.tiny.getJob(requestId);
      expect(job.settled).to.equal(true);
      expect(job.finalized).to.equal(true);
      expect(job.resultHash).to.equal(ethersLib.keccak256(SCORES));
      expect(await f.tiny.predictedClass(requestId)).to.equal(SCORES_ARGMAX);
    });

    it("OPTIMISTIC mode: a tiny callback limit fails however much gas the deliverer forwards", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await finalizedOptimistic(f, f.tinyOptimistic, SCORES);
      await expect(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: 5_000_000 }))
        .to.emit(f.protocol.hub, "CallbackDelivered")
        .withArgs(requestId, await f.tinyOptimistic.getAddress(), false, f.outsider.address);
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
      await deliver(f, requestId);
      await expect(f.tiny.recordOutput(requestId, errorBytes))
        .to.be.revertedWithCustomError(f.tiny, "ConsumerErrorResult")
        .withArgs(requestId);
    });

    it("expiry with a failed callback: reclaimRefund falls back to the hub", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.tiny);
      await expire(f, requestId);
      await deliver(f, requestId);
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

    it("callback never delivered: reading the hub cancels it and returns its prepaid fee to the payer", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.none);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      const callbackFee = await callbackFeeOf(f, f.none);
      const before = await f.protocol.token.balanceOf(f.requester.address);
      const tx = f.none.connect(f.outsider).recordOutput(requestId, SCORES);
      await expect(tx).to.emit(f.protocol.hub, "CallbackCancelled").withArgs(requestId, callbackFee);
      await expect(tx).to.emit(f.none, "CallbackFeeReturned").withArgs(requestId, f.requester.address, callbackFee);
      await expect(tx).to.emit(f.none, "ClassificationRecorded");
      expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(before + callbackFee);
      expect(await f.protocol.settlement.balanceOf(await f.none.getAddress())).to.equal(0n);
      // Nothing is left to deliver.
      await expect(f.protocol.hub.connect(f.outsider).deliverCallback(requestId, { gasLimit: DELIVER_GAS }))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoCallback")
        .withArgs(requestId);
      const { held, accounted, surplus } = await settlementAccounts(f.protocol);
      expect(held - accounted).to.equal(surplus);
    });

    it("callback skipped (gas limit 0): a rejected request is refunded from the hub's state", async function () {
      const f = await loadFixture(consumerFixture);
      const requestId = await classify(f, f.silent);
      await submitAsWorker(f.protocol, f.book, requestId, SCORES);
      const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
      await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
      await runJury(f.protocol, f.book, requestId, () => false);
      const receipt = await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
      const names = receipt.logs.map((l) => f.protocol.hub.interface.parseLog(l)?.name);
      expect(names).to.include("RequestRejected");
      expect((await f.protocol.hub.getRequest(requestId)).callbackPending).to.equal(false);
      expect((await f.silent.getJob(requestId)).settled).to.equal(false);

      await expect(f.silent.recordOutput(requestId, SCORES))
        .to.be.revertedWithCustomError(f.silent, "ConsumerNotFinalized")
        .withArgs(requestId);
      // The failed recordOutput reverted, so the settlement is recorded by the refund itself.
      await expect(f.silent.reclaimRefund(requestId))
        .to.emit(f.silent, "RefundReclaimed")
        .withArgs(requestId, f.requester.address, f.fee);
      expect(await f.protocol.settlement.balanceOf(await f.silent.getAddress())).to.equal(0n);
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
  });
});
