import { expect } from "chai";
import { ethers as ethersLib } from "ethers";
import { network } from "hardhat";

import { mined, requestInference, submitAsWorker } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, ROLE_WORKER, Status, demoModel, registerModel } from "../../offchain/devnet/protocol.js";
import { INPUT, MODEL_FEE, OUTPUT, hubFixture, totalFee } from "./fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const fixture = () => hubFixture(connection);
const noUri = { inputUri: "", inputHash: ethersLib.ZeroHash, callbackGasLimit: 0, maxFee: ethersLib.MaxUint256 };

describe("InferenceHubV1 — balances and requests", function () {
  describe("deposit / depositFor / withdraw / claimCredits", function () {
    it("deposit credits the free balance and pulls the tokens", async function () {
      const { protocol, outsider } = await loadFixture(fixture);
      const hub = await protocol.hub.getAddress();
      await protocol.token.connect(outsider).approve(hub, 5n * OPG);
      const tx = protocol.hub.connect(outsider).deposit(5n * OPG);
      await expect(tx)
        .to.emit(protocol.hub, "Deposited")
        .withArgs(outsider.address, outsider.address, 5n * OPG);
      await expect(tx).to.changeTokenBalances(ethers, protocol.token, [outsider, hub], [-5n * OPG, 5n * OPG]);
      expect(await protocol.hub.balanceOf(outsider.address)).to.equal(5n * OPG);
    });

    it("depositFor credits another account", async function () {
      const { protocol, outsider, modelOwner } = await loadFixture(fixture);
      await protocol.token.connect(outsider).approve(await protocol.hub.getAddress(), OPG);
      await expect(protocol.hub.connect(outsider).depositFor(modelOwner.address, OPG))
        .to.emit(protocol.hub, "Deposited")
        .withArgs(modelOwner.address, outsider.address, OPG);
      expect(await protocol.hub.balanceOf(modelOwner.address)).to.equal(OPG);
    });

    it("reverts a zero deposit, a zero account and a deposit without allowance", async function () {
      const { protocol, outsider } = await loadFixture(fixture);
      await expect(protocol.hub.connect(outsider).deposit(0)).to.be.revertedWithCustomError(
        protocol.hub,
        "HubZeroAmount",
      );
      await expect(protocol.hub.connect(outsider).depositFor(ethersLib.ZeroAddress, OPG)).to.be.revertedWithCustomError(
        protocol.hub,
        "HubZeroAddress",
      );
      await expect(protocol.hub.connect(outsider).deposit(OPG)).to.be.revertedWithCustomError(
        protocol.token,
        "ERC20InsufficientAllowance",
      );
    });

    it("withdraw returns free balance and reverts beyond it or at zero", async function () {
      const { protocol, requester } = await loadFixture(fixture);
      const balance = await protocol.hub.balanceOf(requester.address);
      await expect(protocol.hub.connect(requester).withdraw(balance + 1n))
        .to.be.revertedWithCustomError(protocol.hub, "HubInsufficientBalance")
        .withArgs(requester.address, balance, balance + 1n);
      await expect(protocol.hub.connect(requester).withdraw(0)).to.be.revertedWithCustomError(
        protocol.hub,
        "HubZeroAmount",
      );
      const tx = protocol.hub.connect(requester).withdraw(balance);
      await expect(tx).to.emit(protocol.hub, "Withdrawn").withArgs(requester.address, balance);
      await expect(tx).to.changeTokenBalance(ethers, protocol.token, requester, balance);
    });

    it("locked fees cannot be withdrawn", async function () {
      const { protocol, requester, models } = await loadFixture(fixture);
      const before = await protocol.hub.balanceOf(requester.address);
      await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
      const fee = await totalFee(protocol);
      await expect(protocol.hub.connect(requester).withdraw(before))
        .to.be.revertedWithCustomError(protocol.hub, "HubInsufficientBalance")
        .withArgs(requester.address, before - fee, before);
    });

    it("claimCredits pays earned credits once, only to their owner", async function () {
      const { protocol, requester, models, book, modelOwner, outsider } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      await submitAsWorker(protocol, book, requestId, OUTPUT);
      const royalty = (MODEL_FEE * 1_000n) / 10_000n;
      expect(await protocol.hub.creditsOf(modelOwner.address)).to.equal(royalty);
      await expect(protocol.hub.connect(outsider).claimCredits())
        .to.be.revertedWithCustomError(protocol.hub, "HubNoCredits")
        .withArgs(outsider.address);
      const tx = protocol.hub.connect(modelOwner).claimCredits();
      await expect(tx).to.emit(protocol.hub, "CreditsClaimed").withArgs(modelOwner.address, royalty);
      await expect(tx).to.changeTokenBalance(ethers, protocol.token, modelOwner, royalty);
      await expect(protocol.hub.connect(modelOwner).claimCredits()).to.be.revertedWithCustomError(
        protocol.hub,
        "HubNoCredits",
      );
    });
  });

  describe("request", function () {
    it("locks model fee + protocol fee, assigns a staked worker and locks its collateral", async function () {
      const { protocol, requester, models, workers } = await loadFixture(fixture);
      const fee = await totalFee(protocol);
      const before = await protocol.hub.balanceOf(requester.address);
      const tx = protocol.hub.connect(requester).request({ modelId: models[Mode.NONE], input: INPUT, ...noUri });
      await expect(tx)
        .to.emit(protocol.hub, "InferenceRequested")
        .withArgs(
          1n,
          models[Mode.NONE],
          requester.address,
          ethersLib.hexlify(INPUT),
          "",
          ethersLib.keccak256(INPUT),
          MODEL_FEE,
          fee - MODEL_FEE,
          0,
        );
      await expect(tx).to.emit(protocol.hub, "WorkerAssigned");
      expect(await protocol.hub.balanceOf(requester.address)).to.equal(before - fee);
      const req = await protocol.hub.getRequest(1n);
      expect(req.status).to.equal(Status.Requested);
      expect(workers.map((w) => w.address)).to.include(req.worker);
      const ratio = (await protocol.hub.params()).stakeToFeeRatio;
      expect(await protocol.hub.collateralOf(1n)).to.equal(fee * ratio);
      expect((await protocol.staking.getOperator(req.worker)).locked).to.equal(fee * ratio);
      expect(req.deadline).to.equal(BigInt(await time.latest()) + (await protocol.hub.params()).responseTimeout);
      expect(await protocol.hub.requestCount()).to.equal(1n);
    });

    it("accepts input by URI + hash", async function () {
      const { protocol, requester, models } = await loadFixture(fixture);
      const hash = ethersLib.keccak256(INPUT);
      await expect(
        protocol.hub.connect(requester).request({
          modelId: models[Mode.NONE],
          input: "0x",
          inputUri: "ipfs://bafy-input",
          inputHash: hash,
          callbackGasLimit: 0,
          maxFee: ethersLib.MaxUint256,
        }),
      )
        .to.emit(protocol.hub, "InferenceRequested")
        .withArgs(
          1n,
          models[Mode.NONE],
          requester.address,
          "0x",
          "ipfs://bafy-input",
          hash,
          MODEL_FEE,
          MODEL_FEE / 20n,
          0,
        );
    });

    it("rejects malformed input descriptions", async function () {
      const { protocol, requester, models } = await loadFixture(fixture);
      const base = { modelId: models[Mode.NONE], callbackGasLimit: 0, maxFee: ethersLib.MaxUint256 };
      const hash = ethersLib.keccak256(INPUT);
      for (const bad of [
        { input: INPUT, inputUri: "ipfs://x", inputHash: ethersLib.ZeroHash }, // both
        { input: "0x", inputUri: "", inputHash: hash }, // neither
        { input: "0x", inputUri: "ipfs://x", inputHash: ethersLib.ZeroHash }, // URI without hash
      ]) {
        await expect(protocol.hub.connect(requester).request({ ...base, ...bad })).to.be.revertedWithCustomError(
          protocol.hub,
          "HubInvalidInput",
        );
      }
      const max = (await protocol.hub.params()).maxInputBytes;
      const big = new Uint8Array(Number(max) + 1);
      await expect(
        protocol.hub.connect(requester).request({ ...base, input: big, inputUri: "", inputHash: ethersLib.ZeroHash }),
      )
        .to.be.revertedWithCustomError(protocol.hub, "HubInputTooLarge")
        .withArgs(max + 1n, max);
      await expect(
        protocol.hub
          .connect(requester)
          .request({ ...base, input: "0x", inputUri: "x".repeat(Number(max) + 1), inputHash: hash }),
      )
        .to.be.revertedWithCustomError(protocol.hub, "HubInputTooLarge")
        .withArgs(max + 1n, max);
    });

    it("enforces maxFee, the minimum request fee and the callback gas cap", async function () {
      const { protocol, requester, models, modelOwner } = await loadFixture(fixture);
      const fee = await totalFee(protocol);
      await expect(
        protocol.hub
          .connect(requester)
          .request({ modelId: models[Mode.NONE], input: INPUT, ...noUri, maxFee: fee - 1n }),
      )
        .to.be.revertedWithCustomError(protocol.hub, "HubFeeAboveMax")
        .withArgs(fee, fee - 1n);
      const cap = (await protocol.hub.params()).maxCallbackGas;
      await expect(
        protocol.hub
          .connect(requester)
          .request({ modelId: models[Mode.NONE], input: INPUT, ...noUri, callbackGasLimit: cap + 1n }),
      )
        .to.be.revertedWithCustomError(protocol.hub, "HubCallbackGasTooHigh")
        .withArgs(cap + 1n, cap);
      const dust = await registerModel(protocol, modelOwner, demoModel("dust", Mode.NONE, 1n));
      const min = (await protocol.hub.params()).minRequestFee;
      await expect(protocol.hub.connect(requester).request({ modelId: dust, input: INPUT, ...noUri }))
        .to.be.revertedWithCustomError(protocol.hub, "HubFeeBelowMin")
        .withArgs(1n, min);
    });

    it("snapshots the fee: a later fee change does not touch an open request", async function () {
      const { protocol, requester, models, modelOwner, book } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      await protocol.registry.connect(modelOwner).setFee(models[Mode.NONE], 5n * OPG);
      await submitAsWorker(protocol, book, requestId, OUTPUT);
      const req = await protocol.hub.getRequest(requestId);
      expect(req.modelFee).to.equal(MODEL_FEE);
      expect((await protocol.hub.quote(models[Mode.NONE])).modelFee).to.equal(5n * OPG);
    });

    it("reverts for an inactive or unknown model, without balance, or with no worker", async function () {
      const { protocol, requester, models, modelOwner, outsider } = await loadFixture(fixture);
      await protocol.registry.connect(modelOwner).setActive(models[Mode.NONE], false);
      await expect(protocol.hub.connect(requester).request({ modelId: models[Mode.NONE], input: INPUT, ...noUri }))
        .to.be.revertedWithCustomError(protocol.hub, "HubModelInactive")
        .withArgs(models[Mode.NONE]);
      await expect(protocol.hub.connect(requester).request({ modelId: 999n, input: INPUT, ...noUri }))
        .to.be.revertedWithCustomError(protocol.registry, "RegistryUnknownModel")
        .withArgs(999n);
      const fee = await totalFee(protocol);
      await expect(protocol.hub.connect(outsider).request({ modelId: models[Mode.OPTIMISTIC], input: INPUT, ...noUri }))
        .to.be.revertedWithCustomError(protocol.hub, "HubInsufficientBalance")
        .withArgs(outsider.address, 0n, fee);
    });

    it("reverts HubNoWorkerAvailable when no worker can lock the collateral", async function () {
      const { protocol, requester, models, workers } = await loadFixture(fixture);
      // Every worker drops its role: the worker tree is empty.
      for (const w of workers) await mined(protocol.staking.connect(w).setRoles(0));
      await expect(protocol.hub.connect(requester).request({ modelId: models[Mode.NONE], input: INPUT, ...noUri }))
        .to.be.revertedWithCustomError(protocol.hub, "HubNoWorkerAvailable")
        .withArgs(models[Mode.NONE]);
    });

    it("never assigns the requester as its own worker", async function () {
      const { protocol, models, workers } = await loadFixture(fixture);
      const [self, ...others] = workers;
      for (const w of others) await mined(protocol.staking.connect(w).setRoles(0));
      await protocol.token.connect(self!).approve(await protocol.hub.getAddress(), 10n * OPG);
      await protocol.hub.connect(self!).deposit(10n * OPG);
      await expect(
        protocol.hub.connect(self!).request({ modelId: models[Mode.NONE], input: INPUT, ...noUri }),
      ).to.be.revertedWithCustomError(protocol.hub, "HubNoWorkerAvailable");
    });
  });

  describe("requestWithPermit", function () {
    async function signPermit(
      owner: Awaited<ReturnType<typeof ethers.getSigners>>[number],
      spender: string,
      value: bigint,
      deadline: bigint,
      token: Awaited<ReturnType<typeof fixture>>["protocol"]["token"],
    ) {
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { name: await token.name(), version: "1", chainId, verifyingContract: await token.getAddress() };
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

    it("permits, deposits and requests in one call", async function () {
      const { protocol, outsider, models } = await loadFixture(fixture);
      const fee = await totalFee(protocol);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(outsider, await protocol.hub.getAddress(), fee, deadline, protocol.token);
      await expect(
        protocol.hub
          .connect(outsider)
          .requestWithPermit(
            { modelId: models[Mode.NONE], input: INPUT, ...noUri },
            fee,
            deadline,
            sig.v,
            sig.r,
            sig.s,
          ),
      ).to.emit(protocol.hub, "InferenceRequested");
      expect(await protocol.hub.balanceOf(outsider.address)).to.equal(0n);
    });

    it("still succeeds when the permit was front-run, and a replayed signature cannot pull twice", async function () {
      const { protocol, outsider, models, requester } = await loadFixture(fixture);
      const hub = await protocol.hub.getAddress();
      const fee = await totalFee(protocol);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(outsider, hub, fee, deadline, protocol.token);
      // A third party submits the permit first: the nonce is used, but the allowance is set.
      await protocol.token.connect(requester).permit(outsider.address, hub, fee, deadline, sig.v, sig.r, sig.s);
      await expect(
        protocol.hub
          .connect(outsider)
          .requestWithPermit(
            { modelId: models[Mode.NONE], input: INPUT, ...noUri },
            fee,
            deadline,
            sig.v,
            sig.r,
            sig.s,
          ),
      ).to.emit(protocol.hub, "InferenceRequested");
      // Replaying the same signature: permit fails (nonce used) and there is no allowance left.
      await expect(
        protocol.hub
          .connect(outsider)
          .requestWithPermit(
            { modelId: models[Mode.NONE], input: INPUT, ...noUri },
            fee,
            deadline,
            sig.v,
            sig.r,
            sig.s,
          ),
      ).to.be.revertedWithCustomError(protocol.token, "ERC20InsufficientAllowance");
    });
  });

  describe("submitResult", function () {
    it("lets only the assigned worker submit, up to and including the deadline", async function () {
      const { protocol, requester, models, book, outsider } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
      const { worker, deadline } = await protocol.hub.getRequest(requestId);
      await expect(protocol.hub.connect(outsider).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(protocol.hub, "HubNotAssignedWorker")
        .withArgs(requestId, outsider.address, worker);
      await time.setNextBlockTimestamp(deadline);
      await expect(protocol.hub.connect(book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.emit(protocol.hub, "ResultSubmitted")
        .withArgs(
          requestId,
          worker,
          ethersLib.keccak256(OUTPUT),
          false,
          ethersLib.hexlify(OUTPUT),
          deadline + (await protocol.hub.params()).challengeWindow,
        );
    });

    it("rejects a submission one second after the deadline", async function () {
      const { protocol, requester, models, book } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
      const { worker, deadline } = await protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(protocol.hub.connect(book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(protocol.hub, "HubDeadlinePassed")
        .withArgs(requestId, deadline);
    });

    it("rejects unknown requests, second submissions and oversized outputs", async function () {
      const { protocol, requester, models, book } = await loadFixture(fixture);
      await expect(protocol.hub.submitResult(42n, OUTPUT, false))
        .to.be.revertedWithCustomError(protocol.hub, "HubUnknownRequest")
        .withArgs(42n);
      const { requestId } = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
      const { worker } = await protocol.hub.getRequest(requestId);
      const max = (await protocol.hub.params()).maxOutputBytes;
      await expect(
        protocol.hub.connect(book.get(worker)).submitResult(requestId, new Uint8Array(Number(max) + 1), false),
      )
        .to.be.revertedWithCustomError(protocol.hub, "HubOutputTooLarge")
        .withArgs(max + 1n, max);
      await submitAsWorker(protocol, book, requestId, OUTPUT);
      await expect(protocol.hub.connect(book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.be.revertedWithCustomError(protocol.hub, "HubInvalidStatus")
        .withArgs(requestId, Status.Submitted);
    });

    it("NONE mode: final at submission, fee split into credits, collateral released", async function () {
      const { protocol, requester, models, book, modelOwner } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const { worker } = await protocol.hub.getRequest(requestId);
      const treasury = (await protocol.hub.params()).treasury;
      const royalty = MODEL_FEE / 10n;
      const protocolFee = MODEL_FEE / 20n;
      await expect(protocol.hub.connect(book.get(worker)).submitResult(requestId, OUTPUT, false))
        .to.emit(protocol.hub, "RequestFinalized")
        .withArgs(
          requestId,
          worker,
          modelOwner.address,
          ethersLib.keccak256(OUTPUT),
          false,
          royalty,
          MODEL_FEE - royalty,
          0n,
          protocolFee,
        );
      expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Finalized);
      expect(await protocol.hub.creditsOf(modelOwner.address)).to.equal(royalty);
      expect(await protocol.hub.creditsOf(worker)).to.equal(MODEL_FEE - royalty);
      expect(await protocol.hub.creditsOf(treasury)).to.equal(protocolFee);
      expect((await protocol.staking.getOperator(worker)).locked).to.equal(0n);
    });

    it("an error result is settled like any result and marked as an error", async function () {
      const { protocol, requester, models, book } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const errorOutput = ethersLib.toUtf8Bytes("OPG:ERR:INPUT_DECODE");
      await submitAsWorker(protocol, book, requestId, errorOutput, true);
      const req = await protocol.hub.getRequest(requestId);
      expect(req.isError).to.equal(true);
      expect(req.status).to.equal(Status.Finalized);
      expect(req.resultHash).to.equal(ethersLib.keccak256(errorOutput));
    });
  });

  describe("reassign / expire", function () {
    it("cannot reassign until one second after the deadline", async function () {
      const { protocol, requester, models } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const { deadline } = await protocol.hub.getRequest(requestId);
      await time.setNextBlockTimestamp(deadline);
      await expect(protocol.hub.reassign(requestId))
        .to.be.revertedWithCustomError(protocol.hub, "HubDeadlineNotReached")
        .withArgs(requestId, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(protocol.hub.reassign(requestId)).to.emit(protocol.hub, "WorkerTimedOut");
    });

    it("penalises and jails the late worker, then assigns another one", async function () {
      const { protocol, requester, models, outsider } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const { worker: late, deadline } = await protocol.hub.getRequest(requestId);
      const collateral = await protocol.hub.collateralOf(requestId);
      const penalty = (collateral * (await protocol.hub.params()).livenessPenaltyBps) / 10_000n;
      const treasury = (await protocol.hub.params()).treasury;
      const treasuryBefore = await protocol.hub.creditsOf(treasury);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(protocol.hub.connect(outsider).reassign(requestId))
        .to.emit(protocol.hub, "WorkerTimedOut")
        .withArgs(requestId, late, penalty);
      const req = await protocol.hub.getRequest(requestId);
      expect(req.worker).to.not.equal(late);
      expect(req.attempts).to.equal(2n);
      const op = await protocol.staking.getOperator(late);
      expect(op.jailed).to.equal(true);
      expect(op.locked).to.equal(0n);
      expect(await protocol.hub.creditsOf(treasury)).to.equal(treasuryBefore + penalty);
    });

    it("expires with a full refund after maxAttempts", async function () {
      const { protocol, requester, models } = await loadFixture(fixture);
      const before = await protocol.hub.balanceOf(requester.address);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const maxAttempts = Number((await protocol.hub.params()).maxAttempts);
      for (let i = 1; i < maxAttempts; i++) {
        await time.increaseTo((await protocol.hub.getRequest(requestId)).deadline + 1n);
        await protocol.hub.reassign(requestId);
      }
      await time.increaseTo((await protocol.hub.getRequest(requestId)).deadline + 1n);
      await expect(protocol.hub.reassign(requestId))
        .to.emit(protocol.hub, "RequestExpired")
        .withArgs(requestId, await totalFee(protocol));
      expect((await protocol.hub.getRequest(requestId)).status).to.equal(Status.Expired);
      expect(await protocol.hub.balanceOf(requester.address)).to.equal(before);
      await expect(protocol.hub.reassign(requestId))
        .to.be.revertedWithCustomError(protocol.hub, "HubInvalidStatus")
        .withArgs(requestId, Status.Expired);
    });

    it("expires at once when no other worker is left", async function () {
      const { protocol, requester, models, workers } = await loadFixture(fixture);
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      const { worker, deadline } = await protocol.hub.getRequest(requestId);
      for (const w of workers) if (w.address !== worker) await mined(protocol.staking.connect(w).setRoles(0));
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(protocol.hub.reassign(requestId)).to.emit(protocol.hub, "RequestExpired");
    });

    it("a worker that re-stakes after unjailing is drawn again", async function () {
      const { protocol, requester, models, workers } = await loadFixture(fixture);
      const [only, ...others] = workers;
      for (const w of others) await mined(protocol.staking.connect(w).setRoles(0));
      const { requestId } = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      await time.increaseTo((await protocol.hub.getRequest(requestId)).deadline + 1n);
      await protocol.hub.reassign(requestId); // expires: the only worker is jailed
      await time.increase(Number((await protocol.staking.params()).jailDuration) + 1);
      await protocol.staking.connect(only!).unjail();
      expect(await protocol.staking.isEligible(only!.address, ROLE_WORKER)).to.equal(true);
      const again = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
      expect((await protocol.hub.getRequest(again.requestId)).worker).to.equal(only!.address);
    });
  });
});
