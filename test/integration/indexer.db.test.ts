/**
 * The persistent network indexer (offchain/indexer/db.ts, persistent.ts): statistics from SQL equal to the in-memory
 * reducer's on the same chain, persistence and resume (only new blocks are read after a restart), schema and
 * deployment checks, and reorgs on Hardhat's in-process chain (evm_snapshot, blocks with events, evm_revert, other
 * blocks with other events): within the confirmation depth, deeper but inside the kept window, deeper than the
 * window (rebuild), and a reorg while a batch is read.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { BrowserProvider, encodeBytes32String } from "ethers";
import { network } from "hardhat";

import { connectContracts, type ProtocolContracts } from "../../offchain/chain/deployment.js";
import type { Eip1193Provider } from "../../offchain/chain/flakyProvider.js";
import {
  IndexerStore,
  IndexerStoreMismatchError,
  SCHEMA_VERSION,
  defaultIndexerDbFile,
  loadSqlite,
} from "../../offchain/indexer/db.js";
import { PersistentIndexer, type PersistentIndexerOptions } from "../../offchain/indexer/persistent.js";
import { formatStatsJson } from "../../offchain/indexer/report.js";
import { NetworkIndexer, type NetworkStats, type StatsOptions } from "../../offchain/indexer/stats.js";
import {
  mined,
  passTime,
  pickChallenger,
  requestInference,
  runCommittee,
  runJury,
  submitAsWorker,
} from "../../offchain/devnet/lifecycle.js";
import { Mode, Status, demoModel, registerModel } from "../../offchain/devnet/protocol.js";
import { INPUT, MODEL_FEE, OUTPUT, hubFixture, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { loadFixture } = connection.networkHelpers;

const HOUR = 3_600;
const STATS: StatsOptions = { windowSeconds: HOUR };

let dir: string;
let files = 0;
/** A new database file in this file's temporary folder. */
const dbFile = () => path.join(dir, `indexer-${++files}.sqlite`);

before(async function () {
  dir = await mkdtemp(path.join(os.tmpdir(), "opg-indexer-db-"));
});

after(async function () {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Counts the JSON-RPC calls that pass through it. */
class CountingProvider implements Eip1193Provider {
  readonly calls: Array<{ method: string; params: readonly unknown[] }> = [];
  /** Runs once before the first `eth_getLogs` is forwarded (to change the chain in the middle of a read). */
  beforeFirstGetLogs: (() => Promise<void>) | undefined;

  constructor(readonly inner: Eip1193Provider) {}

  async request(args: { readonly method: string; readonly params?: readonly unknown[] | object }): Promise<unknown> {
    this.calls.push({ method: args.method, params: Array.isArray(args.params) ? args.params : [] });
    if (args.method === "eth_getLogs" && this.beforeFirstGetLogs !== undefined) {
      const hook = this.beforeFirstGetLogs;
      this.beforeFirstGetLogs = undefined;
      await hook();
    }
    return this.inner.request(args);
  }

  /** The block ranges of every `eth_getLogs`. */
  logRanges(): Array<{ from: number; to: number }> {
    return this.calls
      .filter((c) => c.method === "eth_getLogs")
      .map((c) => {
        const filter = c.params[0] as { fromBlock: string; toBlock: string };
        return { from: Number(filter.fromBlock), to: Number(filter.toBlock) };
      });
  }
}

/** The protocol's contracts through a call-counting provider without a request cache. */
function counted(f: HubFixture): { contracts: ProtocolContracts; rpc: CountingProvider } {
  const rpc = new CountingProvider(connection.provider);
  const provider = new BrowserProvider(rpc, undefined, { cacheTimeout: -1 });
  return { contracts: connectContracts(f.protocol.addresses, provider), rpc };
}

function contractsOf(f: HubFixture): ProtocolContracts {
  return connectContracts(f.protocol.addresses, connection.ethers.provider);
}

async function openIndexer(
  f: HubFixture,
  options: Partial<PersistentIndexerOptions> = {},
  contracts: ProtocolContracts = contractsOf(f),
): Promise<PersistentIndexer> {
  return PersistentIndexer.open(contracts, { file: dbFile(), confirmations: 2, reorgWindow: 4, ...options });
}

/** Statistics of a fresh in-memory index of the chain as it is now. */
async function freshStats(f: HubFixture, options: StatsOptions = STATS): Promise<NetworkStats> {
  const indexer = new NetworkIndexer(contractsOf(f));
  await indexer.sync();
  return indexer.stats(options);
}

/** Statistics of a fresh database index of the chain as it is now. */
async function freshDbStats(f: HubFixture): Promise<NetworkStats> {
  const indexer = await openIndexer(f);
  try {
    await indexer.sync();
    return indexer.stats(STATS);
  } finally {
    indexer.close();
  }
}

async function submitted(f: HubFixture, mode: Mode): Promise<bigint> {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[mode], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

/** An OPTIMISTIC result challenged by one verifier; the jury votes `uphold` (undefined: silent in every round). */
async function disputed(f: HubFixture, uphold: boolean | undefined): Promise<void> {
  const requestId = await submitted(f, Mode.OPTIMISTIC);
  const challenger = await pickChallenger(f.protocol, f.verifiers, requestId);
  await mined(f.protocol.optimistic.connect(challenger).challenge(requestId));
  await runJury(f.protocol, f.book, requestId, () => uphold);
  if (uphold === undefined) await runJury(f.protocol, f.book, requestId, () => undefined); // the appeal round
  await mined(f.protocol.hub.connect(f.outsider).finalize(requestId));
}

/**
 * Every kind of event the statistics count: requests left open, finalized in each mode, declined, disputed (worker
 * right, worker wrong, juries silent), expired after timeouts; a silent committee member and a minority juror; a
 * royalty recipient, a new model owner, a deactivated model; an operator unbonding.
 */
async function scenarioFixture(): Promise<HubFixture> {
  const f = await hubFixture(connection);
  const { hub, registry } = f.protocol;
  await mined(registry.connect(f.modelOwner).setRoyalty(f.models[Mode.NONE], f.outsider.address, 1_000));
  await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT); // stays open
  await submitted(f, Mode.NONE);
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
  let silent: string | undefined;
  await runCommittee(f.protocol, f.book, committee, (member) => {
    silent ??= member; // the first member stays silent, the others agree
    return member === silent ? undefined : true;
  });
  const round = await f.protocol.committee.roundOf(committee);
  if (round.agreeSeats >= round.quorum) await mined(hub.connect(f.outsider).finalize(committee));
  else await mined(f.protocol.committee.connect(f.outsider).escalate(committee));

  const minority = await submitted(f, Mode.OPTIMISTIC);
  await mined(
    f.protocol.optimistic.connect(await pickChallenger(f.protocol, f.verifiers, minority)).challenge(minority),
  );
  const jurors = new Set<string>();
  await runJury(f.protocol, f.book, minority, (juror) => {
    jurors.add(juror);
    return jurors.size !== 1; // the first juror votes against the others
  });
  await mined(hub.connect(f.outsider).finalize(minority));

  await disputed(f, true);
  await disputed(f, false);
  await disputed(f, undefined);
  const expired = (await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId;
  for (;;) {
    const req = await hub.getRequest(expired);
    if (req.status !== BigInt(Status.Requested)) break;
    await passTime(f.protocol, req.deadline);
    await mined(hub.connect(f.outsider).reassign(expired));
  }
  await mined(registry.connect(f.modelOwner).transferModelOwnership(f.models[Mode.COMMITTEE], f.outsider.address));
  const retired = await registerModel(f.protocol, f.modelOwner, demoModel("retired", Mode.NONE, MODEL_FEE));
  await mined(registry.connect(f.modelOwner).setActive(retired, false));
  await mined(f.protocol.staking.connect(f.verifiers[3]!).unstake(100n * 10n ** 18n));
  return f;
}

/** A network that can still serve requests: a few finalized, one declined and left open, a royalty recipient. */
async function liveFixture(): Promise<HubFixture> {
  const f = await hubFixture(connection);
  await mined(f.protocol.registry.connect(f.modelOwner).setRoyalty(f.models[Mode.NONE], f.outsider.address, 1_000));
  await submitted(f, Mode.NONE);
  await submitted(f, Mode.NONE);
  const { requestId, worker } = await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT);
  await mined(f.protocol.hub.connect(f.book.get(worker)).decline(requestId, encodeBytes32String("uri-unreachable")));
  return f;
}

/** Blocks with events on a freshly reverted branch: `requests` NONE requests, each submitted (2 blocks each). */
async function requestsOnNone(f: HubFixture, requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) await submitted(f, Mode.NONE);
}

async function snapshot(): Promise<string> {
  return (await connection.provider.request({ method: "evm_snapshot", params: [] })) as string;
}

async function revert(id: string): Promise<void> {
  const ok = await connection.provider.request({ method: "evm_revert", params: [id] });
  if (ok !== true) throw new Error(`evm_revert ${id} failed`);
}

async function head(): Promise<number> {
  return connection.ethers.provider.getBlockNumber();
}

describe("PersistentIndexer: SQLite store, incremental catch-up, reorgs", function () {
  describe("statistics from the database", function () {
    it("equal the in-memory reducer's on a scripted network with every kind of event", async function () {
      const f = await loadFixture(scenarioFixture);
      const indexer = await openIndexer(f);
      await indexer.sync();
      const db = indexer.stats(STATS);
      const memory = await freshStats(f);
      expect(db).to.deep.equal(memory);
      expect(formatStatsJson(db)).to.equal(formatStatsJson(memory)); // same order of parties, reasons and keys
      // The scenario reaches every part of the statistics (panels are drawn at random: some outcomes vary).
      const { byStatus } = memory.requests;
      expect([byStatus.open, byStatus.rejected, byStatus.refunded].every((n) => n >= 1)).to.equal(true);
      expect(byStatus.expired).to.equal(1);
      expect(memory.requests.declines).to.equal(1);
      expect(memory.slashes.byReason.worker > 0n).to.equal(true);
      expect(memory.liveness.byReason.nonReveal > 0n && memory.liveness.byReason.timeout > 0n).to.equal(true);
      expect(memory.jails.faults > 0 && memory.jails.liveness > 0).to.equal(true);
      expect(memory.models.registered - memory.models.active).to.equal(1);
      expect(memory.stake.unbonding > 0n).to.equal(true);
      expect(memory.parties.find((p) => p.account === f.outsider.address)?.roles).to.include.members([
        "model-owner",
        "royalty-recipient",
      ]);
      indexer.close();
    });

    it("equal the in-memory reducer's for other bucket widths, a given now and fewer windows", async function () {
      const f = await loadFixture(scenarioFixture);
      const indexer = await openIndexer(f);
      await indexer.sync();
      const last = (await connection.ethers.provider.getBlock("latest"))!.timestamp;
      for (const options of [
        { windowSeconds: 60 },
        { windowSeconds: 86_400 },
        { windowSeconds: 300, now: last + 7_200, maxWindows: 5 },
        { windowSeconds: 90.5 }, // not whole seconds: counted outside SQL
      ]) {
        expect(indexer.stats(options), JSON.stringify(options)).to.deep.equal(await freshStats(f, options));
      }
      indexer.close();
    });

    it("stores each event with its block hash, transaction, contract, name and arguments as JSON", async function () {
      const f = await loadFixture(scenarioFixture);
      const indexer = await openIndexer(f);
      await indexer.sync();
      const [requested] = indexer.store.events({ name: "InferenceRequested", limit: 1 });
      expect(requested).to.not.equal(undefined);
      const block = (await connection.ethers.provider.getBlock(requested!.blockNumber))!;
      expect(requested).to.deep.include({ blockHash: block.hash, contract: "hub", address: f.protocol.addresses.hub });
      expect(block.transactions).to.include(requested!.txHash);
      const args = requested!.args as Record<string, unknown>;
      expect(args.requestId).to.equal("1"); // integers as decimal strings
      expect(args.modelId).to.equal(f.models[Mode.OPTIMISTIC].toString());
      expect(args.requester).to.equal(f.requester.address);
      const drawn = indexer.store.events({ name: "JuryDrawn", limit: 1 })[0]!.args as Record<string, unknown>;
      expect(drawn.seats).to.be.an("array").that.is.not.empty; // address[] stays a list
      indexer.close();
    });
  });

  describe("persistence", function () {
    it("resumes after a restart from the stored cursor and reads only the blocks after it", async function () {
      const f = await loadFixture(liveFixture);
      const file = dbFile();
      const first = await openIndexer(f, { file });
      const full = await first.sync();
      expect(full.fromBlock).to.equal(0);
      expect(full.blocks).to.equal((await head()) + 1);
      first.close();

      await requestsOnNone(f, 2);
      const { contracts, rpc } = counted(f);
      const second = await openIndexer(f, { file }, contracts);
      expect(second.rebuilt).to.equal(undefined);
      const caughtUp = await second.sync();
      expect(caughtUp).to.deep.include({ fromBlock: full.toBlock + 1, toBlock: await head(), blocks: 4 });
      expect(caughtUp.events).to.be.greaterThan(0);
      const ranges = rpc.logRanges();
      expect(ranges.length).to.be.greaterThan(0);
      for (const range of ranges) expect(range.from, JSON.stringify(range)).to.be.greaterThan(full.toBlock);
      expect(second.stats(STATS)).to.deep.equal(await freshStats(f));

      rpc.calls.length = 0;
      const idle = await second.sync();
      expect(idle).to.deep.include({ blocks: 0, events: 0 });
      expect(rpc.logRanges()).to.deep.equal([]); // nothing new: no log read at all
      second.close();
    });

    it("keeps the hashes of the newest confirmations + reorgWindow blocks and counts tentative events", async function () {
      const f = await loadFixture(scenarioFixture);
      const indexer = await openIndexer(f, { confirmations: 3, reorgWindow: 5 });
      const result = await indexer.sync();
      const kept = indexer.store.recentBlocks().map((b) => b.number);
      const top = await head();
      expect(kept).to.deep.equal(Array.from({ length: 8 }, (_, i) => top - i));
      for (const b of indexer.store.recentBlocks()) {
        expect(b.hash).to.equal((await connection.ethers.provider.getBlock(b.number))!.hash);
      }
      expect(result.tentativeEvents).to.equal(indexer.store.eventCount(top - 2));
      expect(indexer.store.confirmedBlock()).to.equal(top - 3);
      indexer.close();
    });

    it("lets two indexers sync one file at once: each goes on from the other's stored batches", async function () {
      const f = await loadFixture(scenarioFixture);
      const file = dbFile();
      const one = await openIndexer(f, { file, batchBlocks: 16 });
      const two = await openIndexer(f, { file, batchBlocks: 16 });
      const [a, b] = await Promise.all([one.sync(), two.sync()]);
      expect(a.events + b.events).to.equal(one.store.eventCount()); // every event stored once
      expect(one.stats(STATS)).to.deep.equal(await freshStats(f));
      expect(two.stats(STATS)).to.deep.equal(one.stats(STATS));
      one.close();
      two.close();
    });

    it("rebuilds a database of another schema version from scratch", async function () {
      const f = await loadFixture(scenarioFixture);
      const file = dbFile();
      const first = await openIndexer(f, { file });
      await first.sync();
      first.close();
      const { DatabaseSync } = loadSqlite();
      const raw = new DatabaseSync(file);
      raw.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(String(SCHEMA_VERSION - 1));
      raw.close();
      const { contracts, rpc } = counted(f);
      const second = await openIndexer(f, { file }, contracts);
      expect(second.rebuilt).to.equal("schema");
      expect(second.syncedBlock).to.equal(-1);
      expect((await second.sync()).fromBlock).to.equal(0);
      expect(Math.min(...rpc.logRanges().map((r) => r.from))).to.equal(0);
      expect(second.stats(STATS)).to.deep.equal(await freshStats(f));
      second.close();
    });

    it("test_revert_open_databaseOfAnotherDeployment", async function () {
      const file = dbFile();
      const hub = "0x000000000000000000000000000000000000dEaD";
      IndexerStore.open(file, { chainId: "31337", hub, startBlock: 0 }).close();
      const other = "0x000000000000000000000000000000000000bEEF";
      expect(() => IndexerStore.open(file, { chainId: "31337", hub: other, startBlock: 0 })).to.throw(
        IndexerStoreMismatchError,
        /indexes the deployment of hub 0x0+dEaD, not 0x0+bEEF/,
      );
      expect(() => IndexerStore.open(file, { chainId: "1", hub, startBlock: 0 })).to.throw(
        IndexerStoreMismatchError,
        /indexes chain 31337, not 1/,
      );
      const reopened = IndexerStore.open(file, { chainId: "31337", hub, startBlock: 0 });
      expect(reopened.rebuilt).to.equal(undefined);
      reopened.close();
    });

    it("names the default file after the chain id and the hub address", function () {
      expect(defaultIndexerDbFile("/repo", 31337n, "0xAbC0000000000000000000000000000000000001")).to.equal(
        path.join("/repo", ".opg", "indexer", "31337-0xabc0000000000000000000000000000000000001.sqlite"),
      );
    });

    it("loads node:sqlite without printing its ExperimentalWarning", async function () {
      const { spawnSync } = await import("node:child_process");
      const script =
        'import { loadSqlite } from "./offchain/indexer/db.ts"; const { DatabaseSync } = loadSqlite(); ' +
        'new DatabaseSync(":memory:").close(); process.emitWarning("still shown", "ExperimentalWarning");';
      const tsx = path.join(process.cwd(), "node_modules", "tsx", "dist", "cli.mjs");
      const run = spawnSync(process.execPath, [tsx, "--eval", script], { cwd: process.cwd(), encoding: "utf8" });
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stderr).to.not.include("SQLite is an experimental feature");
      expect(run.stderr).to.include("ExperimentalWarning: still shown"); // other warnings still reach stderr
    });
  });

  describe("reorgs on the in-process chain (evm_snapshot, evm_revert)", function () {
    it("rolls back a reorg within the confirmation depth and equals a fresh index of the new branch", async function () {
      const f = await loadFixture(liveFixture);
      const indexer = await openIndexer(f, { confirmations: 6, reorgWindow: 4 });
      await indexer.sync();
      const fork = (await head()) + 1;
      const id = await snapshot();
      await requestsOnNone(f, 2); // old branch: blocks fork..fork+3
      await indexer.sync();
      const oldBranch = indexer.stats(STATS);
      await revert(id);
      await mined(f.protocol.registry.connect(f.modelOwner).setRoyalty(f.models[Mode.OPTIMISTIC], f.workers[0]!, 500));
      await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
      await requestsOnNone(f, 2); // new branch: blocks fork..fork+5, other events
      const result = await indexer.sync();
      expect(result.reorg).to.deep.include({
        kind: "rollback",
        forkBlock: fork,
        previousBlock: fork + 3,
        depth: 4,
        beyondConfirmations: false,
      });
      expect(result.reorg!.events).to.be.greaterThan(0);
      const stats = indexer.stats(STATS);
      expect(stats).to.deep.equal(await freshStats(f));
      expect(stats).to.deep.equal(await freshDbStats(f));
      expect(stats.requests.total).to.equal(oldBranch.requests.total + 1);
      indexer.close();
    });

    it("rolls back a reorg deeper than the confirmation depth inside the kept window, and says so", async function () {
      const f = await loadFixture(liveFixture);
      const reorgs: unknown[] = [];
      const indexer = await openIndexer(f, { confirmations: 1, reorgWindow: 8, onReorg: (r) => reorgs.push(r) });
      await indexer.sync();
      const fork = (await head()) + 1;
      const id = await snapshot();
      await requestsOnNone(f, 2);
      await indexer.sync();
      await revert(id);
      await requestInference(f.protocol, f.requester, f.models[Mode.COMMITTEE], INPUT); // a shorter branch
      const result = await indexer.sync();
      expect(result.reorg).to.deep.include({ kind: "rollback", forkBlock: fork, depth: 4, beyondConfirmations: true });
      expect(reorgs).to.deep.equal([result.reorg]);
      expect(indexer.syncedBlock).to.equal(fork);
      expect(indexer.stats(STATS)).to.deep.equal(await freshStats(f));
      indexer.close();
    });

    it("rebuilds from the start block after a reorg deeper than the kept window", async function () {
      const f = await loadFixture(liveFixture);
      const id = await snapshot();
      await requestsOnNone(f, 3); // 6 blocks on the old branch
      const { contracts, rpc } = counted(f);
      const indexer = await openIndexer(f, { confirmations: 1, reorgWindow: 2 }, contracts); // keeps 3 headers
      await indexer.sync();
      const indexed = indexer.store.eventCount();
      await revert(id);
      await requestsOnNone(f, 1);
      rpc.calls.length = 0;
      const result = await indexer.sync();
      expect(result.reorg).to.deep.include({ kind: "rebuild", forkBlock: 0, events: indexed });
      expect(result.fromBlock).to.equal(0);
      expect(Math.min(...rpc.logRanges().map((r) => r.from))).to.equal(0);
      expect(indexer.stats(STATS)).to.deep.equal(await freshStats(f));
      indexer.close();
    });

    it("drops a batch whose blocks were replaced while it was read, and reads the new branch", async function () {
      const f = await loadFixture(liveFixture);
      const { contracts, rpc } = counted(f);
      const indexer = await openIndexer(f, { confirmations: 2, reorgWindow: 8 }, contracts);
      await indexer.sync();
      const id = await snapshot();
      await requestsOnNone(f, 1); // the branch the headers are read from
      rpc.beforeFirstGetLogs = async () => {
        await revert(id);
        await requestInference(f.protocol, f.requester, f.models[Mode.OPTIMISTIC], INPUT);
        await requestsOnNone(f, 1); // the branch the logs are read from
      };
      const result = await indexer.sync();
      expect(rpc.beforeFirstGetLogs).to.equal(undefined); // the chain did change during the read
      expect(result.reorg).to.equal(undefined); // the stored blocks were never replaced
      expect(indexer.syncedBlock).to.equal(await head());
      expect(indexer.stats(STATS)).to.deep.equal(await freshStats(f));
      indexer.close();
    });
  });
});
