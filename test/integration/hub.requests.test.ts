/**
 * The deployed v2 system, request side: balances in the settlement contract, requests (inline, by URI, permit),
 * prices and caps, worker assignment with per-job collateral, submissions, timeouts and expiry. The contracts'
 * Solidity suites cover each function in depth; these tests check the layers wired together by Ignition.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import { inlineRequest, mined, passTime, requestInference, submitAsWorker } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, ROLE_WORKER, Status, demoModel, depositAs, registerModel } from "../../offchain/devnet/protocol.js";
import { INPUT, OUTPUT, callbackFee, hubFixture, settlementAccounts, totalFee, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const BPS = 10_000n;

const fixture = () => hubFixture(connection);

async function expectSolvent(f: HubFixture): Promise<void> {
  const { held, accounted, surplus } = await settlementAccounts(f.protocol);
  expect(held - accounted).to.equal(surplus);
}

describe("Inference hub v2 on the deployed system — balances and requests", function () {
  describe("settlement balances: deposit / depositFor / withdraw / claim", function () {
    it("deposit credits the free balance and pulls the tokens into the settlement contract", async function () {
      const { protocol, outsider } = await loadFixture(fixture);
      await protocol.token.connect(outsider).approve(protocol.addresses.settlement, 5n * OPG);
      const held = await protocol.token.balanceOf(protocol.addresses.settlement);
      await expect(protocol.settlement.connect(outsider).deposit(5n * OPG))
        .to.emit(protocol.settlement, "Deposited")
        .withArgs(outsider.address, outsider.address, 5n * OPG);
      expect(await protocol.settlement.balanceOf(outsider.address)).to.equal(5n * OPG);
      expect(await protocol.token.balanceOf(protocol.addresses.settlement)).to.equal(held + 5n * OPG);
      expect(await protocol.token.balanceOf(protocol.addresses.hub)).to.equal(0n, "the hub holds no funds");
    });

    it("depositFor credits another account", async function () {
      const { protocol, outsider, requester } = await loadFixture(fixture);
      await protocol.token.connect(outsider).approve(protocol.addresses.settlement, OPG);
      const before = await protocol.settlement.balanceOf(requester.address);
      await expect(protocol.settlement.connect(outsider).depositFor(requester.address, OPG))
        .to.emit(protocol.settlement, "Deposited")
        .withArgs(requester.address, outsider.address, OPG);
      expect(await protocol.settlement.balanceOf(requester.address)).to.equal(before + OPG);
    });

    it("withdraw returns free balance and reverts beyond it", async function () {
      const { protocol, requester } = await loadFixture(fixture);
      const balance = await protocol.settlement.balanceOf(requester.address);
      await expect(protocol.settlement.connect(requester).withdraw(balance + 1n))
        .to.be.revertedWithCustomError(protocol.settlement, "SettlementInsufficientBalance")
        .withArgs(requester.address, balance, balance + 1n);
      const wallet = await protocol.token.balanceOf(requester.address);
      await expect(protocol.settlement.connect(requester).withdraw(balance))
        .to.emit(protocol.settlement, "Withdrawn")
        .withArgs(requester.address, balance);
      expect(await protocol.token.balanceOf(requester.address)).to.equal(wallet + balance);
    });

    it("a request's locked price cannot be withdrawn", async function () {
      const f = await loadFixture(fixture);
      const { protocol, requester } = f;
      await requestInference(protocol, requester, f.models[Mode.OPTIMISTIC], INPUT);
      const free = await protocol.settlement.balanceOf(requester.address);
      const fee = await totalFee(protocol);
      expect(free).to.equal(1_000n * OPG - fee);
      await expect(protocol.settlement.connect(requester).withdraw(free + 1n))
        .to.be.revertedWithCustomError(protocol.settlement, "SettlementInsufficientBalance")
        .withArgs(requester.address, free, free + 1n);
    });

    it("claim pays earned credits once, only to their owner", async function () {
      const f = await loadFixture(fixture);
      const { protocol, modelOwner } = f;
      const { requestId } = await requestInference(protocol, f.requester, f.models[Mode.NONE], INPUT);
      await submitAsWorker(protocol, f.book, requestId, OUTPUT);
      const royalty = (OPG * 1_000n) / BPS;
      expect(await protocol.settlement.creditsOf(modelOwner.address)).to.equal(royalty);
      await expect(protocol.settlement.connect(modelOwner).claim())
        .to.emit(protocol.settlement, "CreditsClaimed")
        .withArgs(modelOwner.address, royalty);
      await expect(protocol.settlement.connect(modelOwner).claim())
        .to.be.revertedWithCustomError(protocol.settlement, "SettlementNoCredits")
        .withArgs(modelOwner.address);
      await expectSolvent(f);
    });
  });

  describe("request", function () {
    it("locks model fee + protocol fee in settlement, assigns a staked worker and locks its exact collateral", async function () {
      const f = await loadFixture(fixture);
      const { protocol, requester } = f;
      const [modelFee, protocolFee] = await protocol.hub.quote(f.models[Mode.OPTIMISTIC]);
      const p = await protocol.hub.params();
      expect(protocolFee).to.equal((modelFee * p.protocolFeeBps) / BPS);
      const collateral = (modelFee + protocolFee) * p.stakeToFeeRatio;
      const tx = protocol.hub.connect(requester).request(inlineRequest(f.models[Mode.OPTIMISTIC], INPUT));
      await expect(tx)
        .to.emit(protocol.hub, "InferenceRequested")
        .withArgs(
          1n,
          f.models[Mode.OPTIMISTIC],
          requester.address,
          ethersLib.hexlify(INPUT),
          "",
          ethersLib.keccak256(INPUT),
          modelFee,
          protocolFee,
          0n,
        );
      await expect(tx)
        .to.emit(protocol.settlement, "FeeLocked")
        .withArgs(1n, requester.address, modelFee + protocolFee);
      const request = await protocol.hub.getRequest(1n);
      await expect(tx)
        .to.emit(protocol.hub, "WorkerAssigned")
        .withArgs(1n, request.worker, 1n, request.deadline, collateral);
      expect(f.workers.map((w) => w.address)).to.include(request.worker);
      expect(request.deadline).to.equal(BigInt(await time.latest()) + p.responseTimeout);
      expect((await protocol.staking.getOperator(request.worker)).locked).to.equal(collateral);
      expect(await protocol.hub.collateralOf(1n)).to.equal(collateral);
      expect(await protocol.settlement.totalLocked()).to.equal(modelFee + protocolFee);
      await expectSolvent(f);
    });

    it("accepts input by URI + hash, and rejects malformed input descriptions", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const requester = hub.connect(f.requester);
      const hash = ethersLib.keccak256(INPUT);
      const byUri = {
        ...inlineRequest(f.models[Mode.NONE], new Uint8Array()),
        inputUri: "ipfs://input",
        inputHash: hash,
      };
      await expect(requester.request(byUri))
        .to.emit(hub, "InferenceRequested")
        .withArgs(1n, f.models[Mode.NONE], f.requester.address, "0x", "ipfs://input", hash, OPG, OPG / 20n, 0n);
      for (const bad of [
        { ...byUri, inputHash: ethersLib.ZeroHash }, // URI without hash
        { ...byUri, inputUri: "" }, // neither
        { ...byUri, input: INPUT }, // both
      ]) {
        await expect(requester.request(bad)).to.be.revertedWithCustomError(hub, "HubInvalidInput");
      }
      const max = (await hub.params()).maxInputBytes;
      const big = new Uint8Array(Number(max) + 1);
      await expect(requester.request(inlineRequest(f.models[Mode.NONE], big)))
        .to.be.revertedWithCustomError(hub, "HubInputTooLarge")
        .withArgs(max + 1n, max);
    });

    it("charges the prepaid callback fee on top, and enforces maxFee and the callback gas cap", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      const fee = await totalFee(f.protocol);
      const gas = 100_000;
      const price = fee + (await callbackFee(f.protocol, gas));
      const requester = hub.connect(f.requester);
      await expect(
        requester.request(inlineRequest(f.models[Mode.NONE], INPUT, { callbackGasLimit: gas, maxFee: price - 1n })),
      )
        .to.be.revertedWithCustomError(hub, "HubFeeAboveMax")
        .withArgs(price, price - 1n);
      await expect(
        requester.request(inlineRequest(f.models[Mode.NONE], INPUT, { callbackGasLimit: gas, maxFee: price })),
      )
        .to.emit(f.protocol.settlement, "FeeLocked")
        .withArgs(1n, f.requester.address, price);
      expect((await hub.getRequest(1n)).callbackFee).to.equal(price - fee);
      const maxGas = (await hub.params()).maxCallbackGas;
      await expect(
        requester.request(inlineRequest(f.models[Mode.NONE], INPUT, { callbackGasLimit: Number(maxGas) + 1 })),
      )
        .to.be.revertedWithCustomError(hub, "HubCallbackGasTooHigh")
        .withArgs(maxGas + 1n, maxGas);
    });

    it("snapshots the fee: a later fee change does not touch an open request", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await mined(f.protocol.registry.connect(f.modelOwner).setFee(f.models[Mode.NONE], 2n * OPG));
      expect((await f.protocol.hub.getRequest(requestId)).modelFee).to.equal(OPG);
      const before = await f.protocol.settlement.creditsOf(f.modelOwner.address);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      expect((await f.protocol.settlement.creditsOf(f.modelOwner.address)) - before).to.equal((OPG * 1_000n) / BPS);
      const next = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      expect((await f.protocol.hub.getRequest(next.requestId)).modelFee).to.equal(2n * OPG);
    });

    it("reverts for an inactive or unknown model, without balance, or with no worker", async function () {
      const f = await loadFixture(fixture);
      const { hub } = f.protocol;
      await mined(f.protocol.registry.connect(f.modelOwner).setActive(f.models[Mode.NONE], false));
      await expect(hub.connect(f.requester).request(inlineRequest(f.models[Mode.NONE], INPUT)))
        .to.be.revertedWithCustomError(hub, "HubModelUnavailable")
        .withArgs(f.models[Mode.NONE]);
      await expect(hub.connect(f.requester).request(inlineRequest(99n, INPUT)))
        .to.be.revertedWithCustomError(f.protocol.registry, "RegistryUnknownModel")
        .withArgs(99n);
      const fee = await totalFee(f.protocol);
      await expect(hub.connect(f.outsider).request(inlineRequest(f.models[Mode.OPTIMISTIC], INPUT)))
        .to.be.revertedWithCustomError(f.protocol.settlement, "SettlementInsufficientBalance")
        .withArgs(f.outsider.address, 0n, fee);
    });

    it("reverts HubNoWorkerAvailable when no worker's free stake covers the collateral", async function () {
      const f = await loadFixture(fixture);
      // A fee whose collateral (fee × ratio) exceeds every worker's stake.
      const spec = { ...demoModel("huge", Mode.NONE), fee: 2_000n * OPG };
      const modelId = await registerModel(f.protocol, f.modelOwner, spec);
      await f.protocol.token.connect(f.outsider).approve(f.protocol.addresses.settlement, 3_000n * OPG);
      await mined(f.protocol.settlement.connect(f.outsider).deposit(3_000n * OPG));
      await expect(f.protocol.hub.connect(f.outsider).request(inlineRequest(modelId, INPUT)))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNoWorkerAvailable")
        .withArgs(modelId);
    });

    it("never assigns the requester as its own worker", async function () {
      const f = await loadFixture(fixture);
      const self = f.workers[0]!;
      await depositAs(f.protocol, self, 10n * OPG);
      for (let i = 0; i < 8; i++) {
        const { worker } = await requestInference(f.protocol, self, f.models[Mode.OPTIMISTIC], INPUT);
        expect(worker).to.not.equal(self.address);
      }
    });
  });

  describe("requestWithPermit", function () {
    async function signPermit(
      owner: HardhatEthersSigner,
      spender: string,
      value: bigint,
      deadline: bigint,
      f: HubFixture,
    ) {
      const { token } = f.protocol;
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: await token.name(), version: "1", chainId, verifyingContract: f.protocol.addresses.token };
      const types = {
        Permit: [
          { name: "owner", type: "address" },
          { name: "spender", type: "address" },
          { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" },
          { name: "deadline", type: "uint256" },
        ],
      };
      const nonce = await token.nonces(owner.address);
      return ethersLib.Signature.from(
        await owner.signTypedData(domain, types, { owner: owner.address, spender, value, nonce, deadline }),
      );
    }

    it("permits the settlement contract, deposits and requests in one call", async function () {
      const f = await loadFixture(fixture);
      const fee = await totalFee(f.protocol);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f.outsider, f.protocol.addresses.settlement, fee, deadline, f);
      const tx = f.protocol.hub
        .connect(f.outsider)
        .requestWithPermit(
          inlineRequest(f.models[Mode.NONE], INPUT, { maxFee: fee }),
          fee,
          deadline,
          sig.v,
          sig.r,
          sig.s,
        );
      await expect(tx).to.emit(f.protocol.hub, "InferenceRequested");
      await expect(tx)
        .to.emit(f.protocol.settlement, "Deposited")
        .withArgs(f.outsider.address, f.outsider.address, fee);
      expect(await f.protocol.settlement.balanceOf(f.outsider.address)).to.equal(0n);
      await expectSolvent(f);
    });

    it("still succeeds when the permit was front-run, and a replayed signature cannot pull twice", async function () {
      const f = await loadFixture(fixture);
      const settlement = f.protocol.addresses.settlement;
      const fee = await totalFee(f.protocol);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f.outsider, settlement, fee, deadline, f);
      // A third party submits the permit first: the nonce is used, but the allowance is set.
      await f.protocol.token
        .connect(f.requester)
        .permit(f.outsider.address, settlement, fee, deadline, sig.v, sig.r, sig.s);
      const params = inlineRequest(f.models[Mode.NONE], INPUT, { maxFee: fee });
      await expect(
        f.protocol.hub.connect(f.outsider).requestWithPermit(params, fee, deadline, sig.v, sig.r, sig.s),
      ).to.emit(f.protocol.hub, "InferenceRequested");
      // Replaying the same signature: the permit fails (nonce used) and no allowance is left.
      await expect(f.protocol.hub.connect(f.outsider).requestWithPermit(params, fee, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(f.protocol.token, "ERC20InsufficientAllowance")
        .withArgs(settlement, 0n, fee);
    });
  });

  describe("submitResult", function () {
    it("lets only the assigned worker submit, up to and including the deadline", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      const other = f.workers.find((w) => w.address !== worker)!;
      await expect(f.protocol.hub.connect(other).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubNotAssignedWorker")
        .withArgs(requestId, other.address, worker);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline);
      await expect(f.protocol.hub.connect(f.book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.emit(f.protocol.hub, "ResultSubmitted")
        .withArgs(
          requestId,
          worker,
          ethersLib.keccak256(OUTPUT),
          false,
          ethersLib.hexlify(OUTPUT),
          deadline + (await f.protocol.optimistic.challengeWindow()),
        );
    });

    it("rejects a submission one second after the deadline", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(f.protocol.hub.connect(f.book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, deadline);
    });

    it("rejects unknown requests, second submissions and oversized outputs", async function () {
      const f = await loadFixture(fixture);
      await expect(f.protocol.hub.connect(f.workers[0]!).submitResult(9n, OUTPUT, false))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubUnknownRequest")
        .withArgs(9n);
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      const max = (await f.protocol.hub.params()).maxOutputBytes;
      await expect(
        f.protocol.hub.connect(f.book.get(worker)).submitResult(requestId, new Uint8Array(Number(max) + 1), false),
      )
        .to.be.revertedWithCustomError(f.protocol.hub, "HubOutputTooLarge")
        .withArgs(max + 1n, max);
      await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
      await expect(f.protocol.hub.connect(f.book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubInvalidStatus")
        .withArgs(requestId, Status.Submitted);
    });

    it("an error result is settled like any result and marked as an error", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await submitAsWorker(f.protocol, f.book, requestId, ethersLib.toUtf8Bytes("E_DECODE"), true);
      const request = await f.protocol.hub.getRequest(requestId);
      expect(request.status).to.equal(Status.Finalized);
      expect(request.isError).to.equal(true);
    });
  });

  describe("reassign / expire", function () {
    it("cannot reassign until one second after the deadline", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const { deadline } = await f.protocol.hub.getRequest(requestId);
      // An explicit gas limit mines the call in a block at `deadline` (an estimate would run on the last block).
      await time.setNextBlockTimestamp(deadline);
      await expect(f.protocol.hub.reassign(requestId, { gasLimit: 1_000_000 }))
        .to.be.revertedWithCustomError(f.protocol.hub, "HubDeadlineNotReached")
        .withArgs(requestId, deadline);
      expect(await time.latest()).to.equal(Number(deadline));
      await expect(f.protocol.hub.reassign(requestId, { gasLimit: 1_000_000 })).to.emit(
        f.protocol.hub,
        "WorkerTimedOut",
      );
    });

    it("penalises the late worker a share of its job collateral to the treasury, jails it, assigns another", async function () {
      const f = await loadFixture(fixture);
      const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const collateral = await f.protocol.hub.collateralOf(requestId);
      const penalty = (collateral * (await f.protocol.hub.params()).livenessPenaltyBps) / BPS;
      const stake = (await f.protocol.staking.getOperator(worker)).active;
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      const tx = f.protocol.hub.connect(f.outsider).reassign(requestId);
      await expect(tx).to.emit(f.protocol.hub, "WorkerTimedOut").withArgs(requestId, worker, penalty);
      await expect(tx)
        .to.emit(f.protocol.settlement, "Credited")
        .withArgs(
          requestId,
          await f.protocol.settlement.treasury(),
          penalty,
          ethersLib.encodeBytes32String("liveness-penalty"),
        );
      const op = await f.protocol.staking.getOperator(worker);
      expect(op.active).to.equal(stake - penalty);
      expect(op.locked).to.equal(0n);
      expect(op.jailedUntil).to.equal(BigInt(await time.latest()) + (await f.protocol.staking.params()).jailDuration);
      expect(await f.protocol.staking.isEligible(worker, ROLE_WORKER)).to.equal(false);
      const request = await f.protocol.hub.getRequest(requestId);
      expect(request.attempts).to.equal(2n);
      expect(request.worker).to.not.equal(worker);
      await expectSolvent(f);
    });

    it("expires with a full refund after maxAttempts", async function () {
      const f = await loadFixture(fixture);
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      const fee = await totalFee(f.protocol);
      const before = await f.protocol.settlement.balanceOf(f.requester.address);
      const attempts = Number((await f.protocol.hub.params()).maxAttempts);
      for (let i = 1; i < attempts; i++) {
        await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
        await mined(f.protocol.hub.reassign(requestId));
      }
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      const tx = f.protocol.hub.reassign(requestId);
      await expect(tx).to.emit(f.protocol.hub, "RequestExpired").withArgs(requestId, fee);
      await expect(tx).to.emit(f.protocol.settlement, "FeeRefunded").withArgs(requestId, f.requester.address, fee);
      expect(await f.protocol.settlement.balanceOf(f.requester.address)).to.equal(before + fee);
      expect((await f.protocol.hub.getRequest(requestId)).status).to.equal(Status.Expired);
      await expectSolvent(f);
    });

    it("expires at once when no other worker is left", async function () {
      const f = await hubFixture(connection, { workers: 1 });
      const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
      await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
      await expect(f.protocol.hub.reassign(requestId)).to.emit(f.protocol.hub, "RequestExpired");
      expect((await f.protocol.hub.getRequest(requestId)).attempts).to.equal(1n);
    });
  });
});
