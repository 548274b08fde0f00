import { expect } from "chai";
import { BrowserProvider, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { NetworkIndexer, VERIFIERS_PARTY, type NetworkStats } from "../../offchain/indexer/stats.js";
import {
  mined,
  passTime,
  pickChallenger,
  requestInference,
  runCommittee,
  runJury,
  submitAsWorker,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, OPG, ROLE_VERIFIER, ROLE_WORKER, Status, protocolContracts } from "../../offchain/devnet/protocol.js";
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
  return new NetworkIndexer(protocolContracts(f.protocol, connection.ethers.provider), options);
}

async function submitted(f: HubFixture, mode: Mode): Promise<bigint> {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[mode], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

/** An OPTIMISTIC result challenged by one verifier; the jury votes `uphold` (undefined: silent in every round). */
async function disputed(f: HubFixture, uphold: boolean | undefined): Promise<bigint> {
  const requestId = await submitted(f, Mode.OPTIMISTIC);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
  await runJury(f.protocol, f.book, requestId, () => uphold);
  if (uphold === undefined) await runJury(f.protocol, f.book, requestId, () => undefined); // the appeal round
  await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
  return requestId;
}

/**
 * Eight requests: one left open; NONE finalized at submission; OPTIMISTIC finalized after its window; COMMITTEE
 * declined once, then finalized on a unanimous committee; a dispute the worker wins, one it loses, one whose juries
 * stay silent in both rounds (refunded); and one that expires after every attempt timed out. Then a verifier
 * unstakes.
 */
async function scenarioFixture() {
  const f = await hubFixture(connection);
  const { hub } = f.protocol;
  const open = (await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT)).requestId;
  const none = await submitted(f, Mode.NONE);
  const optimistic = await submitted(f, Mode.OPTIMISTIC);
  await passTime(f.protocol, (await hub.getRequest(optimistic)).deadline);
  await mined(hub.connect(f.outsider).finalize(optimistic));

  const { requestId: committee, worker } = await requestInference(
    f.protocol,
    f.requester,
    f.models[Mode.COMMITTEE],
    INPUT,
  );
  await mined(hub.connect(f.book.get(worker)).decline(committee, encodeBytes32String("uri-unreachable")));
  await submitAsWorker(f.protocol, f.book, committee, OUTPUT);
  await runCommittee(f.protocol, f.book, committee, () => true);
  await mined(hub.connect(f.outsider).finalize(committee));

  const upheld = await disputed(f, true);
  const rejected = await disputed(f, false);
  const refunded = await disputed(f, undefined);
  const expired = (await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId;
  for (;;) {
    const req = await hub.getRequest(expired);
    if (req.status !== BigInt(Status.Requested)) break;
    await passTime(f.protocol, req.deadline);
    await mined(hub.connect(f.outsider).reassign(expired));
  }
  const unstaker = f.verifiers[3]!;
  await mined(f.protocol.staking.connect(unstaker).unstake(UNSTAKED));
  return { ...f, ids: { open, none, optimistic, committee, upheld, rejected, refunded, expired }, unstaker };
}

describe("NetworkIndexer (v2 events: hub, settlement, court, committee, staking, registry)", function () {
  it("computes request, dispute, panel, stake, slash and fee statistics exactly from events", async function () {
    const f = await loadFixture(scenarioFixture);
    const { hub, staking, settlement, court } = f.protocol;
    const indexer = indexerFor(f);
    const { events } = await indexer.sync();
    expect(events).to.be.greaterThan(0);
    const stats = indexer.stats({ windowSeconds: HOUR });
    const fee = await totalFee(f.protocol);

    // Requests: the oracle is each request's status in the hub.
    const statuses = await Promise.all(Object.values(f.ids).map(async (id) => (await hub.getRequest(id)).status));
    const count = (s: Status) => statuses.filter((x) => x === BigInt(s)).length;
    expect(stats.requests.total).to.equal(8);
    expect(stats.requests.byStatus).to.deep.equal({
      finalized: count(Status.Finalized),
      rejected: count(Status.Rejected),
      expired: count(Status.Expired),
      refunded: count(Status.Refunded),
      open: count(Status.Requested),
    });
    expect(stats.requests.byStatus).to.deep.equal({ finalized: 4, rejected: 1, expired: 1, refunded: 1, open: 1 });
    expect(stats.requests.declines).to.equal(1);

    // Court and committee: outcomes as the court records them.
    const outcomes = await Promise.all(
      [f.ids.upheld, f.ids.rejected, f.ids.refunded].map(async (id) => (await court.getCase(id)).outcome),
    );
    expect(outcomes).to.deep.equal([2n, 3n, 4n]); // Upheld, Rejected, Undecided
    expect(stats.disputes).to.deep.equal({
      opened: 3,
      upheld: 1,
      rejected: 1,
      undecided: 1,
      open: 0,
      juries: 4,
      appeals: 1,
    });
    expect((await court.getCase(f.ids.refunded)).round).to.equal(2n);
    expect(stats.committees).to.deep.equal({ drawn: 1 });
    expect(stats.models).to.deep.equal({ registered: 3, active: 3, suspended: 0 });

    // Operators: the oracle is the staking contract's own state.
    const operators = [...f.workers, ...f.verifiers].map((s) => s.address);
    let active = 0n;
    let unbonding = 0n;
    let jailed = 0;
    for (const op of operators) {
      const o = await staking.getOperator(op);
      active += o.active;
      unbonding += o.unbonding;
      if (o.jailedUntil > 0n) jailed++;
    }
    const weighted = async (role: number) =>
      (await Promise.all(operators.map((op) => staking.weightOf(op, role)))).filter((w) => w > 0n).length;
    expect(stats.workers.active).to.equal(await weighted(ROLE_WORKER));
    expect(stats.verifiers.active).to.equal(await weighted(ROLE_VERIFIER));
    expect(stats.workers.active).to.equal(0); // one slashed and jailed, three timed out and jailed
    expect(stats.verifiers.active).to.equal(f.verifiers.length);
    expect(stats.stake).to.deep.equal({
      active,
      unbonding,
      workerWeight: await staking.totalWeight(ROLE_WORKER),
      verifierWeight: await staking.totalWeight(ROLE_VERIFIER),
    });
    expect(unbonding).to.equal(UNSTAKED);
    expect(stats.jails).to.equal(jailed);

    // Slashes: faults (court verdicts and juror penalties) apart from liveness penalties; together exactly the
    // stake that left; each liveness penalty was credited to the treasury.
    const staked = BigInt(f.workers.length) * WORKER_STAKE + BigInt(f.verifiers.length) * VERIFIER_STAKE;
    expect(stats.slashes.amount + stats.liveness.penalties).to.equal(staked - active - unbonding);
    expect(stats.liveness.timeouts).to.equal(Number((await hub.params()).maxAttempts));
    expect(stats.liveness.penalties).to.equal(stats.fees.credits["liveness-penalty"]);
    expect(stats.liveness.penalties > 0n).to.equal(true);
    const penalised = Object.values(stats.penalties).reduce((a, b) => a + b, 0n);
    expect(penalised).to.equal(stats.slashes.amount);
    expect(stats.penalties.worker > 0n).to.equal(true); // the rejected worker
    expect(stats.penalties.nonReveal > 0n).to.equal(true); // the silent juries
    expect(stats.penalties.challenger > 0n).to.equal(false); // bonded challengers lose their bond, not stake

    // Fees of the four finalized requests, split exactly.
    const royalty = (MODEL_FEE * 1_000n) / BPS;
    expect(stats.fees.royalty).to.equal(4n * royalty);
    expect(stats.fees.royalty + stats.fees.worker + stats.fees.verifier + stats.fees.treasury).to.equal(4n * fee);
    expect(stats.fees.verifier > 0n).to.equal(true); // the committee's seats
    expect(stats.fees.refunds).to.equal(3n * fee);
    expect(await settlement.balanceOf(f.requester.address)).to.equal(1_000n * OPG - 8n * fee + stats.fees.refunds);
    const bond = (await court.params()).challengeBond;
    expect(stats.fees.credits["bond-return"]).to.equal(2n * bond); // rejected and undecided cases

    // Every account's credits match the settlement ledger (nobody claimed). Fee-split verifier pay names no
    // verifier: it is pooled, and is exactly what the verifiers hold beyond their other credits.
    const treasury = await settlement.treasury();
    const others = [f.requester, f.modelOwner, f.outsider, ...f.workers].map((s) => s.address);
    const parties = new Set([...stats.fees.byParty.keys()]);
    for (const account of [...others, treasury]) {
      expect(stats.fees.byParty.get(account) ?? 0n, account).to.equal(await settlement.creditsOf(account));
      parties.delete(account);
    }
    let verifierFeePay = 0n;
    for (const verifier of f.verifiers.map((v) => v.address)) {
      const credits = await settlement.creditsOf(verifier);
      verifierFeePay += credits - (stats.fees.byParty.get(verifier) ?? 0n);
      parties.delete(verifier);
    }
    expect(stats.fees.byParty.get(VERIFIERS_PARTY)).to.equal(verifierFeePay);
    expect(verifierFeePay).to.equal(stats.fees.verifier);
    parties.delete(VERIFIERS_PARTY);
    expect([...parties]).to.deep.equal([]);
    expect(stats.fees.byParty.get(f.modelOwner.address)).to.equal(4n * royalty);

    // Windows: every request is in one.
    const counted = stats.requests.perWindow.reduce((sum, w) => sum + w.count, 0);
    expect(counted).to.equal(8);
    expect(stats.requests.perWindow.every((w, i, all) => i === 0 || w.start === all[i - 1]!.start + HOUR)).to.equal(
      true,
    );
    const last = stats.requests.perWindow[stats.requests.perWindow.length - 1]!;
    expect(stats.now - last.start).to.be.within(0, HOUR - 1);
    expect(stats.syncedBlock).to.equal(await connection.ethers.provider.getBlockNumber());
  });

  it("counts a hub liveness penalty as a timeout, not as a fault slash", async function () {
    const f = await loadFixture(baseFixture);
    const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
    await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
    await mined(f.protocol.hub.connect(f.outsider).reassign(requestId));
    const indexer = indexerFor(f);
    await indexer.sync();
    const stats = indexer.stats({ windowSeconds: HOUR });
    expect(stats.liveness.timeouts).to.equal(1);
    expect(stats.liveness.penalties > 0n).to.equal(true);
    expect(stats.slashes).to.deep.equal({ count: 0, amount: 0n });
    expect(stats.jails).to.equal(1);
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

  it("reads the treasury from the settlement contract when it starts after the deployment", async function () {
    const f = await loadFixture(scenarioFixture);
    const head = await connection.ethers.provider.getBlockNumber();
    const late = indexerFor(f, { startBlock: head - 2 });
    await late.sync();
    expect(late.state.treasury).to.equal(await f.protocol.settlement.treasury());
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
    const retry = { retries: 5, baseDelayMs: 1, maxDelayMs: 10 };
    const flakyIndexer = new NetworkIndexer(connectContracts(f.protocol.addresses, provider), {
      maxBlockSpan: 16,
      batchBlocks: 50,
      retry,
    });
    await flakyIndexer.sync();
    const reliable = indexerFor(f);
    await reliable.sync();
    const expected: NetworkStats = reliable.stats({ windowSeconds: HOUR });
    expect(flakyIndexer.stats({ windowSeconds: HOUR })).to.deep.equal(expected);
    expect(flaky.stats.failures).to.be.greaterThan(5);
  });
});
