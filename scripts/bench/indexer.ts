/**
 * Persistent indexer benchmark, on Hardhat's in-process chain with the real contracts (deployed by Ignition): a
 * long history of requests (NONE finalized at submission, OPTIMISTIC finalized after their window, some left open),
 * sent in batches with automine off, with stretches of empty blocks (12 s apart) between the batches. Then:
 *
 *   1. full sync of the persistent indexer (SQLite file) from block 0, and of the in-memory indexer for comparison;
 *   2. incremental sync after a restart (a new indexer on the same file) once one more batch was mined, and a sync
 *      with nothing new;
 *   3. the statistics query from the database (SQL aggregates) and from the in-memory reducer, and whether both
 *      give the same numbers.
 *
 * It prints figures; it asserts nothing about time.
 *
 *   npx hardhat run --no-compile scripts/bench/indexer.ts
 *
 * Knobs (environment): OPG_BENCH_REQUESTS (default 5,000), OPG_BENCH_BATCH (requests per batch, 250),
 * OPG_BENCH_GAP_BLOCKS (empty blocks after each batch, 1,000), OPG_BENCH_EXTRA (requests of the incremental batch, 50).
 */
import { isDeepStrictEqual } from "node:util";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { inlineRequest } from "../../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  assignActors,
  demoModel,
  deployProtocol,
  registerModel,
  stakeNetwork,
  type Protocol,
} from "../../offchain/devnet/protocol.js";
import { PersistentIndexer } from "../../offchain/indexer/persistent.js";
import { NetworkIndexer } from "../../offchain/indexer/stats.js";

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
};

const REQUESTS = envInt("OPG_BENCH_REQUESTS", 5_000);
const BATCH = envInt("OPG_BENCH_BATCH", 250);
const GAP_BLOCKS = envInt("OPG_BENCH_GAP_BLOCKS", 1_000);
const EXTRA = envInt("OPG_BENCH_EXTRA", 50);
const BLOCK_SECONDS = 12;
/** Fixed gas terms: no estimate or fee lookup per transaction, and no transaction priced out by a rising base fee. */
const GAS = { gasLimit: 900_000, maxFeePerGas: 100n * 10n ** 9n, maxPriorityFeePerGas: 0n } as const;
const WORKERS = 4;
const STATS = { windowSeconds: 3_600 } as const;
/** One FIXED64 scalar in, one out (the contracts do not read the bytes). */
const INPUT = Uint8Array.from(Buffer.from("4f50470101" + "010001" + "00000002" + "3f80000040000000", "hex"));
const OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800600" + "00000000000f4240", "hex"));

const ms = (t0: number): number => performance.now() - t0;
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// ------------------------------------------------------------------------------------------------ history

const connection = await network.create();
const provider = connection.ethers.provider;
const signers = await connection.ethers.getSigners();
const actors = assignActors(signers, WORKERS, 0);
const protocol: Protocol = await deployProtocol(connection, { governed: false });
await stakeNetwork(protocol, actors, {
  fund: 200_000n * OPG,
  workerStake: 100_000n * OPG,
  verifierStake: 0n,
  verifierBalance: 0n,
  requesterBalance: BigInt(REQUESTS + EXTRA) * 2n * OPG,
});
const none = await registerModel(protocol, actors.modelOwner, demoModel("bench-none", Mode.NONE));
const optimistic = await registerModel(protocol, actors.modelOwner, demoModel("bench-optimistic", Mode.OPTIMISTIC));
const byAddress = new Map(actors.workers.map((w) => [w.address.toLowerCase(), w]));
const nonces = new Map<string, number>();

async function nextNonce(signer: HardhatEthersSigner): Promise<number> {
  const key = signer.address.toLowerCase();
  const nonce = nonces.get(key) ?? (await provider.getTransactionCount(signer.address, "pending"));
  nonces.set(key, nonce + 1);
  return nonce;
}

/** Mines blocks until every hash has a receipt. */
async function mineUntilIncluded(hashes: readonly string[]): Promise<void> {
  const waiting = new Set(hashes);
  while (waiting.size > 0) {
    await provider.send("evm_mine", []);
    for (const hash of [...waiting]) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (receipt === null) continue;
      if (receipt.status !== 1) throw new Error(`transaction ${hash} reverted`);
      waiting.delete(hash);
    }
  }
}

/** Optimistic results submitted in the previous batch: finalized once their window passed. */
let toFinalize: bigint[] = [];
let requested = 0;
let openLeft = 0;

/**
 * One batch: `count` requests (every 5th OPTIMISTIC, every 50th left open), the results of the others, the
 * finalization of the previous batch's OPTIMISTIC results, then `gap` empty blocks.
 */
async function batch(count: number, gap: number): Promise<void> {
  const { hub } = protocol;
  const requester = actors.requester;
  const hashes: string[] = [];
  const fromBlock = (await provider.getBlockNumber()) + 1;
  for (let i = 0; i < count; i++) {
    const model = (requested + i) % 5 === 4 ? optimistic : none;
    const tx = await hub
      .connect(requester)
      .request(inlineRequest(model, INPUT), { nonce: await nextNonce(requester), ...GAS });
    hashes.push(tx.hash);
  }
  for (const id of toFinalize) {
    const tx = await hub.connect(actors.outsider).finalize(id, { nonce: await nextNonce(actors.outsider), ...GAS });
    hashes.push(tx.hash);
  }
  await mineUntilIncluded(hashes);
  requested += count;
  const assigned = await hub.queryFilter(hub.filters.WorkerAssigned(), fromBlock, await provider.getBlockNumber());
  const submitted: string[] = [];
  toFinalize = [];
  for (const event of assigned) {
    const requestId = event.args.requestId;
    if (requestId % 50n === 0n) {
      openLeft++;
      continue; // stays open
    }
    const worker = byAddress.get(event.args.worker.toLowerCase());
    if (worker === undefined) throw new Error(`no signer for worker ${event.args.worker}`);
    const tx = await hub
      .connect(worker)
      .submitResult(requestId, OUTPUT, false, { nonce: await nextNonce(worker), ...GAS });
    submitted.push(tx.hash);
    const request = await hub.getRequest(requestId);
    if (request.modelId === optimistic) toFinalize.push(requestId);
  }
  await mineUntilIncluded(submitted);
  await provider.send("hardhat_mine", [`0x${gap.toString(16)}`, `0x${BLOCK_SECONDS.toString(16)}`]);
}

const t0 = performance.now();
await provider.send("evm_setAutomine", [false]);
for (let sent = 0; sent < REQUESTS; sent += BATCH) {
  await batch(Math.min(BATCH, REQUESTS - sent), GAP_BLOCKS);
  process.stderr.write(`\rhistory: ${Math.min(sent + BATCH, REQUESTS)} of ${REQUESTS} requests`);
}
await batch(0, 1); // the last OPTIMISTIC results
process.stderr.write("\n");
const head = await provider.getBlockNumber();
console.log(
  `history: ${fmt(REQUESTS)} requests (${fmt(openLeft)} left open) in ${fmt(head + 1)} blocks, ` +
    `built in ${fmt(ms(t0) / 1000, 1)} s`,
);

// ------------------------------------------------------------------------------------------------ measurements

const contracts = connectContracts(protocol.addresses, provider);
const dir = await mkdtemp(path.join(os.tmpdir(), "opg-bench-indexer-"));
const file = path.join(dir, "indexer.sqlite");
try {
  let t = performance.now();
  const first = await PersistentIndexer.open(contracts, { file });
  const full = await first.sync();
  const fullMs = ms(t);
  const events = first.store.eventCount();
  first.close();
  const size = (await stat(file)).size;

  t = performance.now();
  const memory = new NetworkIndexer(contracts);
  await memory.sync();
  const memoryMs = ms(t);

  // One more batch, then a restart: a new indexer on the same file catches up.
  await batch(EXTRA, 100);
  await batch(0, 1);
  t = performance.now();
  const second = await PersistentIndexer.open(contracts, { file });
  const incremental = await second.sync();
  const incrementalMs = ms(t);
  t = performance.now();
  const idle = await second.sync();
  const idleMs = ms(t);

  await memory.sync(); // the in-memory indexer catches up too, for the comparison
  const dbTimes: number[] = [];
  const memoryTimes: number[] = [];
  let fromDb = second.stats(STATS);
  let fromMemory = memory.stats(STATS);
  for (let i = 0; i < 7; i++) {
    t = performance.now();
    fromDb = second.stats(STATS);
    dbTimes.push(ms(t));
    t = performance.now();
    fromMemory = memory.stats(STATS);
    memoryTimes.push(ms(t));
  }
  const totalEvents = second.store.eventCount();
  second.close();

  console.log(
    `full sync (SQLite):        ${fmt(full.blocks)} blocks, ${fmt(events)} events in ${fmt(fullMs)} ms ` +
      `(${fmt(size / 1024 / 1024, 1)} MB file)`,
  );
  console.log(`full sync (in memory):     ${fmt(memoryMs)} ms (what every network:stats run did before)`);
  console.log(
    `incremental after restart: ${fmt(incremental.blocks)} blocks, ${fmt(incremental.events)} events in ` +
      `${fmt(incrementalMs)} ms (open + reorg check + read + store)`,
  );
  console.log(`sync with nothing new:     ${fmt(idleMs, 1)} ms`);
  console.log(
    `stats query (SQL):         ${fmt(median(dbTimes), 1)} ms median of ${dbTimes.length} over ` +
      `${fmt(totalEvents)} events; in memory ${fmt(median(memoryTimes), 2)} ms`,
  );
  console.log(
    `same statistics from the database and from memory: ${isDeepStrictEqual(fromDb, fromMemory) ? "yes" : "NO"}`,
  );
  console.log(
    `requests ${fromDb.requests.total} (finalized ${fromDb.requests.byStatus.finalized}, open ` +
      `${fromDb.requests.byStatus.open}), ${fromDb.requests.perWindow.length} hourly buckets, ` +
      `${fromDb.parties.length} parties`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
