import { expect } from "chai";
import { BrowserProvider, type ContractRunner } from "ethers";
import { network } from "hardhat";

import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { NetworkIndexer, type NetworkStats } from "../../offchain/indexer/stats.js";
import { mined, pickChallenger, requestInference, submitAsWorker, voteAll } from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, ROLE_VERIFIER, ROLE_WORKER, Status } from "../../offchain/devnet/protocol.js";
import { InferenceHubV1__factory, ModelRegistryV1__factory, StakingV1__factory } from "../../typechain-types/index.js";
import {
  INPUT,
  MODEL_FEE,
  OUTPUT,
  VERIFIER_STAKE,
  WORKER_STAKE,
  hubFixture,
  totalFee,
  type HubFixture,
} from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const BPS = 10_000n;
const HOUR = 3_600;
const UNSTAKED = 100n * OPG;

const baseFixture = () => hubFixture(connection);

function indexerFor(f: HubFixture, options: ConstructorParameters<typeof NetworkIndexer>[1] = {}) {
  const { hub, staking, registry } = f.protocol;
  return new NetworkIndexer({ hub, staking, registry }, options);
}

async function submitted(f: HubFixture, mode: Mode): Promise<bigint> {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[mode], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

async function disputedAndResolved(f: HubFixture, upholdWorker: boolean): Promise<bigint> {
  const requestId = await submitted(f, Mode.OPTIMISTIC);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.hub.connect(challenger).challenge(requestId));
  await voteAll(f.protocol, f.book, requestId, () => upholdWorker);
  await mined(f.protocol.hub.connect(f.outsider).resolveDispute(requestId)); // every juror revealed
  return requestId;
}

/**
 * Six requests: one left open, NONE finalized at submission, OPTIMISTIC finalized after its window, a dispute
 * the worker wins, a dispute it loses, and one that expires after every attempt timed out; then a verifier unstakes.
 */
async function scenarioFixture() {
  const f = await hubFixture(connection);
  const { hub } = f.protocol;
  const open = (await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT)).requestId;
  const none = await submitted(f, Mode.NONE);
  const optimistic = await submitted(f, Mode.OPTIMISTIC);
  await time.increaseTo((await hub.getRequest(optimistic)).deadline + 1n);
  await mined(hub.connect(f.outsider).finalize(optimistic));
  const upheld = await disputedAndResolved(f, true);
  const rejected = await disputedAndResolved(f, false);
  const expired = (await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId;
  for (;;) {
    const req = await hub.getRequest(expired);
    if (req.status !== BigInt(Status.Requested)) break;
    await time.increaseTo(req.deadline + 1n);
    await mined(hub.connect(f.outsider).reassign(expired));
  }
  const unstaker = f.verifiers[3]!;
  await mined(f.protocol.staking.connect(unstaker).unstake(UNSTAKED));
  return { ...f, ids: { open, none, optimistic, upheld, rejected, expired }, unstaker };
}

describe("NetworkIndexer", function () {
  it("computes request, stake, dispute, slash and fee statistics exactly from events", async function () {
    const f = await loadFixture(scenarioFixture);
    const { hub, staking } = f.protocol;
    const indexer = indexerFor(f);
    const { events } = await indexer.sync();
    expect(events).to.be.greaterThan(0);
    const stats = indexer.stats({ windowSeconds: HOUR });
    const p = await hub.params();
    const fee = await totalFee(f.protocol);
    const protocolFee = fee - MODEL_FEE;

    // Requests and disputes.
    expect(stats.requests.total).to.equal(6);
    expect(stats.requests.byStatus).to.deep.equal({ finalized: 3, rejected: 1, expired: 1, open: 1 });
    expect((await hub.getRequest(f.ids.expired)).status).to.equal(BigInt(Status.Expired));
    expect((await hub.getRequest(f.ids.rejected)).status).to.equal(BigInt(Status.Rejected));
    expect(stats.disputes).to.deep.equal({ opened: 2, upheld: 1, rejected: 1, open: 0 });
    expect(stats.models).to.deep.equal({ registered: 3, active: 3 });

    // Operators: the oracle is the staking contract's own state.
    const operators = [...f.workers, ...f.verifiers].map((s) => s.address);
    let active = 0n;
    let unbonding = 0n;
    for (const op of operators) {
      const o = await staking.getOperator(op);
      active += o.active;
      unbonding += o.unbonding;
    }
    const activeIn = async (role: number) =>
      (await Promise.all(operators.map((op) => staking.weightOf(op, role)))).filter((w) => w > 0n).length;
    expect(stats.workers.active).to.equal(await activeIn(ROLE_WORKER));
    expect(stats.verifiers.active).to.equal(await activeIn(ROLE_VERIFIER));
    expect(stats.workers.active).to.equal(4 - 1 - Number(p.maxAttempts)); // one slashed, maxAttempts timed out
    expect(stats.verifiers.active).to.equal(4);
    expect(stats.stake).to.deep.equal({
      active,
      unbonding,
      workerWeight: await staking.totalWeight(ROLE_WORKER),
      verifierWeight: await staking.totalWeight(ROLE_VERIFIER),
    });
    expect(unbonding).to.equal(UNSTAKED);

    // Slashes: the wrong worker once, each timed-out attempt once; the amount is exactly the stake that left.
    const staked = 4n * WORKER_STAKE + 4n * VERIFIER_STAKE;
    expect(stats.slashes.count).to.equal(1 + Number(p.maxAttempts));
    expect(stats.slashes.amount).to.equal(staked - active - unbonding);

    // Fees of the three finalized requests.
    const royalty = (MODEL_FEE * 1_000n) / BPS;
    const verifierShare = (MODEL_FEE * p.verifierShareBps) / BPS;
    const jurors = BigInt((await hub.jurorsOf(f.ids.upheld)).length);
    const perVerifier = verifierShare / jurors;
    expect(stats.fees.royalty).to.equal(3n * royalty);
    expect(stats.fees.verifier).to.equal(perVerifier * jurors);
    expect(stats.fees.worker).to.equal(3n * (MODEL_FEE - royalty) - verifierShare);
    expect(stats.fees.treasury).to.equal(3n * protocolFee + (verifierShare - perVerifier * jurors));
    expect(stats.fees.royalty + stats.fees.worker + stats.fees.verifier + stats.fees.treasury).to.equal(3n * fee);
    expect(stats.fees.refunds).to.equal(2n * fee);
    expect(await hub.balanceOf(f.requester.address)).to.equal(1_000n * OPG - 6n * fee + stats.fees.refunds);

    // Credits by reason: one lost and one won challenge, juror rewards, liveness penalties.
    expect(stats.fees.credits["bond-return"]).to.equal(p.challengeBond); // the winning challenger's bond
    const forfeitVoters = (p.challengeBond * p.voterRewardBps) / BPS / jurors;
    expect(stats.fees.credits["bond-forfeit"]).to.equal(p.challengeBond - forfeitVoters * jurors);
    expect(stats.fees.credits.verifier).to.equal(stats.fees.verifier);
    expect(stats.fees.credits.penalty > 0n).to.equal(true);

    // Every party's credits match the hub's ledger (nobody claimed), and nobody with credits is missing.
    const parties = new Set([...stats.fees.byParty.keys()]);
    for (const account of [...operators, f.requester.address, f.modelOwner.address, f.outsider.address, p.treasury]) {
      expect(stats.fees.byParty.get(account) ?? 0n, account).to.equal(await hub.creditsOf(account));
      parties.delete(account);
    }
    expect([...parties]).to.deep.equal([]);
    expect(stats.fees.byParty.get(f.modelOwner.address)).to.equal(3n * royalty);

    // Windows: every request is in one.
    const counted = stats.requests.perWindow.reduce((sum, w) => sum + w.count, 0);
    expect(counted).to.equal(6);
    expect(stats.requests.perWindow.every((w, i, all) => i === 0 || w.start === all[i - 1]!.start + HOUR)).to.equal(
      true,
    );
    const last = stats.requests.perWindow[stats.requests.perWindow.length - 1]!;
    expect(stats.now - last.start).to.be.within(0, HOUR - 1);
    expect(stats.syncedBlock).to.equal(await connection.ethers.provider.getBlockNumber());
  });

  it("buckets requests into windows by block timestamp", async function () {
    const f = await loadFixture(baseFixture);
    const latest = await time.latest();
    const t0 = (Math.floor(latest / (2 * HOUR)) + 1) * 2 * HOUR; // windows align to multiples of their width
    for (const at of [t0 + 10, t0 + 20, t0 + 2 * HOUR + 5]) {
      await time.setNextBlockTimestamp(at);
      await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
    }
    const indexer = indexerFor(f);
    await indexer.sync();
    expect(indexer.stats({ windowSeconds: HOUR }).requests.perWindow).to.deep.equal([
      { start: t0, count: 2 },
      { start: t0 + HOUR, count: 0 },
      { start: t0 + 2 * HOUR, count: 1 },
    ]);
    expect(indexer.stats({ windowSeconds: HOUR, now: t0 + 4 * HOUR, maxWindows: 3 }).requests.perWindow).to.deep.equal([
      { start: t0 + 2 * HOUR, count: 1 },
      { start: t0 + 3 * HOUR, count: 0 },
      { start: t0 + 4 * HOUR, count: 0 },
    ]);
    expect(indexer.stats({ windowSeconds: 2 * HOUR }).requests.perWindow).to.deep.equal([
      { start: t0, count: 2 },
      { start: t0 + 2 * HOUR, count: 1 },
    ]);
  });

  it("syncs incrementally to the same result as one full pass", async function () {
    const f = await loadFixture(scenarioFixture);
    const head = await connection.ethers.provider.getBlockNumber();
    const stepwise = indexerFor(f);
    for (const to of [Math.floor(head / 3), Math.floor((2 * head) / 3), head - 1]) {
      const { toBlock } = await stepwise.sync(to);
      expect(toBlock).to.equal(to);
    }
    expect((await stepwise.sync()).events).to.be.at.most(5);
    expect((await stepwise.sync()).events).to.equal(0); // nothing new
    const full = indexerFor(f);
    await full.sync();
    expect(stepwise.stats({ windowSeconds: HOUR })).to.deep.equal(full.stats({ windowSeconds: HOUR }));
  });

  it("gives the same numbers through a flaky RPC with small log chunks", async function () {
    const f = await loadFixture(scenarioFixture);
    const flaky = new FlakyEip1193Provider(connection.provider, { everyNth: 3, seed: 3 });
    const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
    const at = (runner: ContractRunner) => ({
      hub: InferenceHubV1__factory.connect(f.protocol.hub.target as string, runner),
      staking: StakingV1__factory.connect(f.protocol.staking.target as string, runner),
      registry: ModelRegistryV1__factory.connect(f.protocol.registry.target as string, runner),
    });
    const retry = { retries: 5, baseDelayMs: 1, maxDelayMs: 10 };
    const flakyIndexer = new NetworkIndexer(at(provider), { maxBlockSpan: 16, batchBlocks: 50, retry });
    await flakyIndexer.sync();
    const reliable = new NetworkIndexer(at(connection.ethers.provider));
    await reliable.sync();
    const expected: NetworkStats = reliable.stats({ windowSeconds: HOUR });
    expect(flakyIndexer.stats({ windowSeconds: HOUR })).to.deep.equal(expected);
    expect(flaky.stats.failures).to.be.greaterThan(5);
  });
});
