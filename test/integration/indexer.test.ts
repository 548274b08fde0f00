import { expect } from "chai";
import { BrowserProvider, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { formatStatsJson, type StatsJson } from "../../offchain/indexer/report.js";
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
import { printStats } from "../../tasks/actions/stats.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const BPS = 10_000n;
const HOUR = 3_600;
const UNSTAKED = 100n * OPG;

const baseFixture = () => hubFixture(connection);

const NO_FAULTS = { worker: 0n, defender: 0n, challenger: 0n, minority: 0n, other: 0n };
const NO_LIVENESS = { timeout: 0n, nonReveal: 0n, silence: 0n };

async function statsOf(f: HubFixture): Promise<NetworkStats> {
  const indexer = indexerFor(f);
  await indexer.sync();
  return indexer.stats({ windowSeconds: HOUR });
}

/** The lines `fn` printed with `console.log`. */
function captureLog(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines;
}

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
    expect({ ...stats.models, usage: undefined }).to.deep.equal({
      registered: 3,
      active: 3,
      suspended: 0,
      usage: undefined,
    });

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
    const maxAttempts = Number((await hub.params()).maxAttempts);
    expect(stats.jails).to.deep.equal({ faults: 1, liveness: maxAttempts }); // the rejected worker; the late ones
    expect(stats.jails.faults + stats.jails.liveness).to.equal(jailed);

    // Slashes: faults apart from liveness penalties; together exactly the stake that left. The oracle is each
    // operator's lost stake: the rejected worker lost stake for its wrong result (a fault), the other workers for
    // their timeouts and the verifiers as silent jurors (liveness); nobody voted in a minority or lost a challenge.
    const staked = BigInt(f.workers.length) * WORKER_STAKE + BigInt(f.verifiers.length) * VERIFIER_STAKE;
    expect(stats.slashes.amount + stats.liveness.amount).to.equal(staked - active - unbonding);
    const lost = async (op: string, stake: bigint) => {
      const o = await staking.getOperator(op);
      return stake - o.active - o.unbonding;
    };
    const wrong = (await hub.getRequest(f.ids.rejected)).worker;
    let timedOut = 0n;
    for (const w of f.workers) if (w.address !== wrong) timedOut += await lost(w.address, WORKER_STAKE);
    let silentJurors = 0n;
    for (const v of f.verifiers) silentJurors += await lost(v.address, VERIFIER_STAKE);
    expect(stats.slashes.byReason).to.deep.equal({
      worker: await lost(wrong, WORKER_STAKE),
      defender: 0n,
      challenger: 0n, // bonded challengers lose their bond, not stake
      minority: 0n,
      other: 0n,
    });
    expect(stats.slashes.count).to.equal(1);
    expect(stats.liveness.byReason).to.deep.equal({ timeout: timedOut, nonReveal: silentJurors, silence: 0n });
    expect(timedOut > 0n && silentJurors > 0n).to.equal(true);
    expect(stats.liveness.timeouts).to.equal(maxAttempts);
    expect(stats.liveness.byReason.timeout).to.equal(stats.fees.credits["liveness-penalty"]);

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

  it("counts a worker's timeout penalty as liveness, not as a fault slash", async function () {
    const f = await loadFixture(baseFixture);
    const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
    await passTime(f.protocol, (await f.protocol.hub.getRequest(requestId)).deadline);
    await mined(f.protocol.hub.connect(f.outsider).reassign(requestId));
    const stats = await statsOf(f);
    const o = await f.protocol.staking.getOperator(worker);
    expect(stats.liveness.timeouts).to.equal(1);
    expect(stats.liveness).to.deep.include({ count: 1, amount: WORKER_STAKE - o.active - o.unbonding });
    expect(stats.liveness.byReason.timeout > 0n).to.equal(true);
    expect(stats.slashes).to.deep.equal({ count: 0, amount: 0n, byReason: NO_FAULTS });
    expect(stats.jails).to.deep.equal({ faults: 0, liveness: 1 });
  });

  it("counts a rejected worker's slash as a fault, and its jail as a fault's", async function () {
    const f = await loadFixture(baseFixture);
    const requestId = await disputed(f, false);
    const worker = (await f.protocol.hub.getRequest(requestId)).worker;
    const stats = await statsOf(f);
    const o = await f.protocol.staking.getOperator(worker);
    expect(stats.slashes).to.deep.equal({
      count: 1,
      amount: WORKER_STAKE - o.active - o.unbonding,
      byReason: { ...NO_FAULTS, worker: WORKER_STAKE - o.active - o.unbonding },
    });
    expect(stats.liveness).to.deep.equal({ timeouts: 0, count: 0, amount: 0n, byReason: NO_LIVENESS });
    expect(stats.jails).to.deep.equal({ faults: 1, liveness: 0 });
  });

  it("counts a juror's vote against the decision as a fault (minority)", async function () {
    const f = await loadFixture(baseFixture);
    const requestId = await submitted(f, Mode.OPTIMISTIC);
    const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
    await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
    const jurors = new Map<string, boolean>();
    await runJury(f.protocol, f.book, requestId, (juror) => {
      jurors.set(juror, jurors.size !== 0); // the first juror votes against the others
      return jurors.get(juror);
    });
    expect(jurors.size).to.be.greaterThan(1);
    const upheld = (await f.protocol.court.getCase(requestId)).outcome === 2n;
    let minorityLost = 0n;
    for (const [juror, vote] of jurors) {
      if (vote === upheld) continue;
      const o = await f.protocol.staking.getOperator(juror);
      minorityLost += VERIFIER_STAKE - o.active - o.unbonding;
    }
    const stats = await statsOf(f);
    expect(minorityLost > 0n).to.equal(true);
    expect(stats.slashes.byReason.minority).to.equal(minorityLost);
    expect(stats.liveness.amount).to.equal(0n);
  });

  it("counts a silent committee member's penalty as liveness, not as a fault", async function () {
    const f = await loadFixture(baseFixture);
    const requestId = await submitted(f, Mode.COMMITTEE);
    let silent: string | undefined;
    await runCommittee(f.protocol, f.book, requestId, (member) => {
      silent ??= member; // the first member stays silent, the others agree
      return member === silent ? undefined : true;
    });
    // Accepted with a quorum of the other seats, escalated to the court without one: both penalise the silence.
    const round = await f.protocol.committee.roundOf(requestId);
    if (round.agreeSeats >= round.quorum) await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
    else await mined(f.protocol.committee.connect(f.outsider).escalate(requestId));
    expect((await f.protocol.committee.roundOf(requestId)).penalised).to.equal(true);
    const o = await f.protocol.staking.getOperator(silent!);
    const stats = await statsOf(f);
    expect(stats.liveness).to.deep.equal({
      timeouts: 0,
      count: 1,
      amount: VERIFIER_STAKE - o.active - o.unbonding,
      byReason: { ...NO_LIVENESS, silence: VERIFIER_STAKE - o.active - o.unbonding },
    });
    expect(stats.slashes.amount).to.equal(0n);
    expect(stats.jails).to.deep.equal({ faults: 0, liveness: 0 });
  });

  it("names every credited or refunded party by its roles: treasury, model owner with its models, operators, requester", async function () {
    const f = await loadFixture(scenarioFixture);
    const stats = await statsOf(f);
    const { settlement } = f.protocol;
    const party = (account: string) => {
      const found = stats.parties.find((p) => p.account === account);
      expect(found, account).to.not.equal(undefined);
      return found!;
    };
    const treasury = party(await settlement.treasury());
    expect(treasury).to.deep.include({ roles: ["treasury"], ownedModels: [], royaltyModels: [], refunded: 0n });
    expect(treasury.earned).to.equal(await settlement.creditsOf(treasury.account));
    const owner = party(f.modelOwner.address);
    expect(owner.roles).to.deep.equal(["model-owner"]);
    expect(owner.ownedModels).to.deep.equal([f.models[Mode.NONE], f.models[Mode.OPTIMISTIC], f.models[Mode.COMMITTEE]]);
    expect(owner.earned).to.equal(stats.fees.royalty);
    const requester = party(f.requester.address);
    expect(requester).to.deep.include({ roles: ["requester"], earned: 0n, refunded: stats.fees.refunds });
    expect(party(VERIFIERS_PARTY).roles).to.deep.equal(["verifier"]);
    const workers = new Set(f.workers.map((w) => w.address));
    const verifiers = new Set(f.verifiers.map((v) => v.address));
    for (const p of stats.parties) {
      if (workers.has(p.account)) expect(p.roles, p.account).to.include("worker");
      if (verifiers.has(p.account)) expect(p.roles, p.account).to.include("verifier");
    }
    expect(stats.parties.some((p) => workers.has(p.account))).to.equal(true);
    expect(stats.parties.some((p) => p.roles.includes("challenger"))).to.equal(true);
    // Every credited account is listed once, most earned first.
    expect(stats.parties.filter((p) => p.earned > 0n).map((p) => p.account)).to.have.members([
      ...stats.fees.byParty.keys(),
    ]);
    expect(stats.parties.every((p, i, all) => i === 0 || all[i - 1]!.earned >= p.earned)).to.equal(true);
  });

  it("names a royalty recipient and a new model owner with their model ids", async function () {
    const f = await loadFixture(baseFixture);
    const { registry } = f.protocol;
    const none = f.models[Mode.NONE];
    const committee = f.models[Mode.COMMITTEE];
    await mined(registry.connect(f.modelOwner).setRoyalty(none, f.outsider.address, 1_000));
    await mined(registry.connect(f.modelOwner).transferModelOwnership(committee, f.outsider.address));
    await submitted(f, Mode.NONE);
    const stats = await statsOf(f);
    const outsider = stats.parties.find((p) => p.account === f.outsider.address);
    expect(outsider).to.deep.include({
      roles: ["model-owner", "royalty-recipient"],
      ownedModels: [committee],
      royaltyModels: [none],
      earned: (MODEL_FEE * 1_000n) / BPS,
    });
  });

  it("reports calls, outcomes and fees per model", async function () {
    const f = await loadFixture(scenarioFixture);
    const stats = await statsOf(f);
    const fee = await totalFee(f.protocol);
    const royalty = (MODEL_FEE * 1_000n) / BPS;
    const expected = await Promise.all(
      ([Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE] as const).map(async (mode) => {
        const modelId = f.models[mode];
        const requests = await Promise.all(Object.values(f.ids).map((id) => f.protocol.hub.getRequest(id)));
        const mine = requests.filter((r) => r.modelId === modelId);
        const finalized = mine.filter((r) => r.status === BigInt(Status.Finalized)).length;
        const open = mine.filter((r) => r.status === BigInt(Status.Requested)).length;
        return {
          modelId,
          mode,
          owner: f.modelOwner.address,
          calls: mine.length,
          finalized,
          failed: mine.length - finalized - open,
          fees: BigInt(finalized) * fee,
          royalty: BigInt(finalized) * royalty,
        };
      }),
    );
    expect(stats.models.usage).to.deep.equal(expected);
    expect(stats.models.usage.map((u) => [u.calls, u.finalized, u.failed])).to.deep.equal([
      [2, 1, 1],
      [5, 2, 2],
      [1, 1, 0],
    ]);
  });

  it("prints bucket rows with dates, a trend line, per-model usage and named parties", async function () {
    const f = await loadFixture(scenarioFixture);
    const stats = await statsOf(f);
    const lines = captureLog(() => printStats(stats));
    const text = lines.join("\n");
    expect(text).to.match(/^ {2}calls per hour \(/m);
    const rows = lines.filter((l) => /^ {4}\d{4}-\d{2}-\d{2} \d{2}:\d{2}–\d{2}:\d{2} +\d+ calls?( |$)/.test(l));
    expect(rows.length).to.equal(Math.min(12, stats.requests.perWindow.length));
    const first = stats.requests.perWindow[stats.requests.perWindow.length - rows.length]!;
    expect(rows[0]).to.include(new Date(first.start * 1000).toISOString().slice(0, 10)); // the bucket's date
    expect(lines[0]).to.match(/^OPG network at block \d+, \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(times in UTC;/);
    const treasury = await f.protocol.settlement.treasury();
    expect(lines.find((l) => l.includes(treasury))).to.match(new RegExp(`${treasury} +treasury `));
    const ids = [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE].map((m) => `#${f.models[m]}`).join(", ");
    expect(lines.find((l) => l.includes(f.modelOwner.address))).to.include(`model owner (${ids})`);
    expect(lines.find((l) => l.includes(f.requester.address))).to.include("requester");
    expect(text).to.match(/^ {4}party +role\(s\) +earned OPG +refunded OPG$/m);
    expect(text).to.match(/^ {4}model +mode +calls +finalized +failed +fees OPG$/m);
    expect(text).to.match(new RegExp(`^ {4}#${f.models[Mode.OPTIMISTIC]} +OPTIMISTIC +5 +2 +2 `, "m"));
    // Timeouts and silent jurors are liveness, not fault slashes.
    expect(lines.find((l) => l.startsWith("  fault slashes"))).to.match(
      /^ {2}fault slashes {2}1 slash, [\d.]+ OPG \(wrong result [\d.]+\); 1 jailed$/,
    );
    expect(lines.find((l) => l.startsWith("  liveness")))
      .to.include("worker timeout")
      .and.include("juror did not reveal");
  });

  it("prints --json as one JSON document with bigints as strings, ISO buckets, parties, liveness and usage", async function () {
    const f = await loadFixture(scenarioFixture);
    const stats = await statsOf(f);
    const text = formatStatsJson(stats);
    const json = JSON.parse(text) as StatsJson;
    expect(json.syncedBlock).to.equal(stats.syncedBlock);
    expect(json.requests.bucketSize).to.equal("per hour");
    expect(json.requests.buckets.map((b) => b.count)).to.deep.equal(stats.requests.perWindow.map((w) => w.count));
    const bucket = json.requests.buckets[0]!;
    expect(Date.parse(bucket.end) - Date.parse(bucket.start)).to.equal(HOUR * 1000);
    expect(bucket.start).to.equal(
      new Date(stats.requests.perWindow[0]!.start * 1000).toISOString().replace(".000Z", "Z"),
    );
    expect(json.slashes.byReason.worker).to.equal(stats.slashes.byReason.worker.toString());
    expect(json.liveness.byReason.timeout).to.equal(stats.liveness.byReason.timeout.toString());
    expect(json.stake.active).to.equal(stats.stake.active.toString());
    const treasury = await f.protocol.settlement.treasury();
    expect(json.parties.find((p) => p.account === treasury)?.roles).to.deep.equal(["treasury"]);
    expect(json.parties.find((p) => p.account === f.modelOwner.address)?.ownedModels).to.deep.equal(
      [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE].map((m) => f.models[m].toString()),
    );
    expect(json.models.usage.map((u) => u.modeName)).to.deep.equal(["NONE", "OPTIMISTIC", "COMMITTEE"]);
    expect(text).to.not.match(/\d+n\b/); // no bigint leaked as a number
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
