import { expect } from "chai";
import { BrowserProvider, Wallet, ethers as ethersLib, type TransactionReceipt } from "ethers";
import { network } from "hardhat";

import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { TxRevertedError, TxSendError, TxSender, type TxSenderEvent } from "../../offchain/chain/sender.js";
import { requestInference, submitAsWorker } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, Status } from "../../offchain/devnet/protocol.js";
import { OPGToken__factory } from "../../typechain-types/index.js";
import { INPUT, OUTPUT, hubFixture, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture } = networkHelpers;

const fixture = () => hubFixture(connection);
const FAST_RETRY = { retries: 6, baseDelayMs: 2, maxDelayMs: 20 };

function senderFor(
  f: HubFixture,
  events: TxSenderEvent[] = [],
  options: ConstructorParameters<typeof TxSender>[1] = {},
) {
  return new TxSender(f.outsider, {
    errorInterfaces: [f.protocol.hub.interface, f.protocol.staking.interface, f.protocol.token.interface],
    pollIntervalMs: 10,
    retry: FAST_RETRY,
    onEvent: (e) => events.push(e),
    ...options,
  });
}

async function nonceOf(hash: string): Promise<number> {
  const tx = await connection.ethers.provider.getTransaction(hash);
  if (tx === null) throw new Error(`unknown transaction ${hash}`);
  return tx.nonce;
}

async function setAutomine(on: boolean): Promise<void> {
  await connection.provider.request({ method: "evm_setAutomine", params: [on] });
}

/** Resolves with the first event of `type` the sender reports. */
function nextEvent<T extends TxSenderEvent["type"]>(
  events: TxSenderEvent[],
  type: T,
): Promise<Extract<TxSenderEvent, { type: T }>> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      const found = events.find((e): e is Extract<TxSenderEvent, { type: T }> => e.type === type);
      if (found !== undefined) resolve(found);
      else if (Date.now() - started > 10_000) reject(new Error(`no "${type}" event within 10 s`));
      else setTimeout(check, 5);
    };
    check();
  });
}

describe("TxSender", function () {
  it("sequences nonces of 10 concurrent sends without gaps or collisions", async function () {
    const f = await loadFixture(fixture);
    const sender = senderFor(f);
    const start = await connection.ethers.provider.getTransactionCount(f.outsider.address, "pending");
    const token = f.protocol.token.connect(f.outsider);
    const receipts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        sender.send(() => token.transfer.populateTransaction(f.requester.address, BigInt(i + 1)), `transfer ${i}`),
      ),
    );
    expect(receipts.every((r) => r.status === 1)).to.equal(true);
    const nonces = await Promise.all(receipts.map((r) => nonceOf(r.hash)));
    expect(nonces).to.deep.equal(Array.from({ length: 10 }, (_, i) => start + i));
    expect(await connection.ethers.provider.getTransactionCount(f.outsider.address, "latest")).to.equal(start + 10);
  });

  it("resyncs its nonce after an external transaction from the same key", async function () {
    const f = await loadFixture(fixture);
    const events: TxSenderEvent[] = [];
    const sender = senderFor(f, events);
    const token = f.protocol.token.connect(f.outsider);
    const first = await sender.send(() => token.transfer.populateTransaction(f.requester.address, 1n), "first");
    const firstNonce = await nonceOf(first.hash);
    // Same key, outside the sender: its local nonce is now stale.
    await (await f.outsider.sendTransaction({ to: f.requester.address, value: 1n })).wait();
    events.length = 0;
    const second = await sender.send(() => token.transfer.populateTransaction(f.requester.address, 2n), "second");
    expect(second.status).to.equal(1);
    expect(await nonceOf(second.hash)).to.equal(firstNonce + 2);
    const resync = events.find((e) => e.type === "nonce-resync");
    expect(resync).to.deep.include({ type: "nonce-resync", previous: firstNonce + 1, next: firstNonce + 2 });
    expect(await sender.nextNonce()).to.equal(firstNonce + 3);
  });

  it("reports a revert as TxRevertedError with the decoded custom error, before sending", async function () {
    const f = await loadFixture(fixture);
    const sender = senderFor(f);
    const before = await connection.ethers.provider.getTransactionCount(f.outsider.address, "latest");
    const hub = f.protocol.hub.connect(f.outsider);
    const error = await sender
      .send(() => hub.finalize.populateTransaction(999n), "finalize 999")
      .then(
        () => expect.fail("finalize of an unknown request must revert"),
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(TxRevertedError);
    const reverted = error as TxRevertedError;
    expect(reverted.errorName).to.equal("HubUnknownRequest");
    expect(reverted.errorArgs?.[0]).to.equal(999n);
    expect(reverted.stage).to.equal("estimate");
    expect(reverted.label).to.equal("finalize 999");
    expect(reverted.reason).to.equal("HubUnknownRequest(999)");
    expect(await connection.ethers.provider.getTransactionCount(f.outsider.address, "latest")).to.equal(before);
  });

  it("lets a caller tell an already-done step (HubInvalidStatus) from a real failure", async function () {
    const f = await loadFixture(fixture);
    const sender = senderFor(f);
    const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
    await submitAsWorker(f.protocol, f.book, requestId, OUTPUT); // NONE: final on submission
    const hub = f.protocol.hub.connect(f.outsider);
    const error = await sender.send(() => hub.finalize.populateTransaction(requestId), "finalize").catch((e) => e);
    expect(error).to.be.instanceOf(TxRevertedError);
    expect((error as TxRevertedError).errorName).to.equal("HubInvalidStatus");
    expect((error as TxRevertedError).errorArgs?.toArray()).to.deep.equal([requestId, BigInt(Status.Finalized)]);
    // The sender stays usable: the nonce was not consumed.
    const ok = await sender.send(() => f.protocol.token.connect(f.outsider).approve.populateTransaction(hub, 1n), "ok");
    expect(ok.status).to.equal(1);
  });

  it("decodes the custom error of a transaction that reverted on-chain (lost race)", async function () {
    const f = await loadFixture(fixture);
    const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
    await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
    const { deadline } = await f.protocol.hub.getRequest(requestId);
    await networkHelpers.time.increaseTo(deadline + 1n);
    // Two finalizers race with the same call; the second is estimated before the first is mined.
    const a = new TxSender(f.outsider, { errorInterfaces: [f.protocol.hub.interface], pollIntervalMs: 10 });
    const b = new TxSender(f.requester, { errorInterfaces: [f.protocol.hub.interface], pollIntervalMs: 10 });
    await setAutomine(false);
    try {
      const first = a.send(() => f.protocol.hub.connect(f.outsider).finalize.populateTransaction(requestId), "a");
      const second = b
        .send(() => f.protocol.hub.connect(f.requester).finalize.populateTransaction(requestId), "b")
        .catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await networkHelpers.mine();
      expect((await first).status).to.equal(1);
      const error = await second;
      expect(error).to.be.instanceOf(TxRevertedError);
      expect((error as TxRevertedError).stage).to.equal("mined");
      expect((error as TxRevertedError).hash).to.match(/^0x[0-9a-f]{64}$/);
      expect((error as TxRevertedError).errorName).to.equal("HubInvalidStatus");
      expect((error as TxRevertedError).errorArgs?.toArray()).to.deep.equal([requestId, BigInt(Status.Finalized)]);
    } finally {
      await setAutomine(true);
    }
  });

  it("replaces a stuck transaction with the same nonce and fees raised by at least 12.5 %", async function () {
    const f = await loadFixture(fixture);
    const events: TxSenderEvent[] = [];
    const sender = senderFor(f, events, { stuckAfterMs: 100, maxBumps: 3 });
    const token = f.protocol.token.connect(f.outsider);
    await setAutomine(false);
    let receipt: TransactionReceipt;
    try {
      const pending = sender.send(() => token.transfer.populateTransaction(f.requester.address, 7n), "stuck");
      const sent = await nextEvent(events, "sent");
      const bumped = await nextEvent(events, "bumped");
      expect(bumped.nonce).to.equal(sent.nonce);
      expect(bumped.replaces).to.equal(sent.hash);
      expect(bumped.maxFeePerGas >= (sent.maxFeePerGas * 9n + 7n) / 8n).to.equal(true);
      expect(bumped.maxPriorityFeePerGas >= (sent.maxPriorityFeePerGas * 9n + 7n) / 8n).to.equal(true);
      await networkHelpers.mine();
      receipt = await pending;
      const mined = await connection.ethers.provider.getTransaction(receipt.hash);
      expect(mined?.nonce).to.equal(sent.nonce);
      expect(receipt.hash).to.not.equal(sent.hash);
      expect(await connection.ethers.provider.getTransactionReceipt(sent.hash)).to.equal(null);
      expect(mined?.maxFeePerGas !== null && mined!.maxFeePerGas >= bumped.maxFeePerGas).to.equal(true);
    } finally {
      await setAutomine(true);
    }
    expect(receipt.status).to.equal(1);
    expect(await f.protocol.token.balanceOf(f.requester.address)).to.equal(100_000n * OPG - 1_000n * OPG + 7n);
  });

  it("does not bump beyond maxFeePerGasCap", async function () {
    const f = await loadFixture(fixture);
    const events: TxSenderEvent[] = [];
    const { maxFeePerGas } = await connection.ethers.provider.getFeeData();
    if (maxFeePerGas === null) throw new Error("the dev chain reports no EIP-1559 fees");
    const sender = senderFor(f, events, { stuckAfterMs: 50, maxFeePerGasCap: maxFeePerGas });
    const token = f.protocol.token.connect(f.outsider);
    await setAutomine(false);
    try {
      const pending = sender.send(() => token.transfer.populateTransaction(f.requester.address, 1n), "capped");
      const capped = await nextEvent(events, "bump-capped");
      expect(capped.cap).to.equal(maxFeePerGas);
      expect(events.some((e) => e.type === "bumped")).to.equal(false);
      await networkHelpers.mine();
      const receipt = await pending;
      expect(receipt.hash).to.equal(events.find((e) => e.type === "sent")?.hash);
    } finally {
      await setAutomine(true);
    }
  });

  it("retries transient RPC errors injected by a flaky transport", async function () {
    const f = await loadFixture(fixture);
    const flaky = new FlakyEip1193Provider(connection.provider, { everyNth: 7, failureRate: 0.05, seed: 7 });
    // cacheTimeout -1: ethers would otherwise replay a cached failure to retries within 250 ms.
    const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
    const wallet = new Wallet(ethersLib.id("opg sender test key"), provider);
    await networkHelpers.setBalance(wallet.address, 10n ** 20n);
    await (await f.protocol.token.transfer(wallet.address, 100n * OPG)).wait();
    const events: TxSenderEvent[] = [];
    const sender = new TxSender(wallet, {
      errorInterfaces: [f.protocol.token.interface],
      pollIntervalMs: 10,
      retry: FAST_RETRY,
      onEvent: (e) => events.push(e),
    });
    const token = OPGToken__factory.connect(await f.protocol.token.getAddress(), wallet);
    const receipts: TransactionReceipt[] = [];
    for (let i = 0; i < 5; i++) {
      receipts.push(await sender.send(() => token.transfer.populateTransaction(f.requester.address, 1n), `t${i}`));
    }
    expect(receipts.every((r) => r.status === 1)).to.equal(true);
    expect(await Promise.all(receipts.map((r) => nonceOf(r.hash)))).to.deep.equal([0, 1, 2, 3, 4]);
    expect(flaky.stats.failures).to.be.greaterThan(4);
    // One retry can absorb several failures (calls that run in parallel inside one step, e.g. getFeeData).
    const retries = events.filter((e) => e.type === "retry").length;
    expect(retries).to.be.greaterThan(0).and.at.most(flaky.stats.failures);
    expect(await f.protocol.token.balanceOf(wallet.address)).to.equal(100n * OPG - 5n);
  });

  it("fails with an actionable TxSendError when the key has no gas money", async function () {
    const f = await loadFixture(fixture);
    const wallet = new Wallet(ethersLib.id("opg empty key"), connection.ethers.provider);
    const sender = new TxSender(wallet, { pollIntervalMs: 10, retry: FAST_RETRY });
    const error = await sender
      .send(async () => ({ to: f.requester.address, data: "0x", value: 1n }), "pay")
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TxSendError);
    expect((error as Error).message).to.match(/Fund the account/);
  });
});
