/**
 * The network indexer's database: one SQLite file per chain and deployment (Node's built-in `node:sqlite`, no
 * native build) holding the decoded protocol events, the facts derived from them when they are stored, the sync
 * cursor and the hashes of the most recent blocks. {@link IndexerStore.stats} computes {@link NetworkStats} from
 * SQL: counts by event name, calls per time bucket (only the buckets shown are read) and per model, and running
 * totals of every amount kept as the events are stored (fees by party and by model, slashes and penalties by
 * reason, stake), so a query does not grow with the history; it gives the numbers the in-memory
 * {@link NetworkState} gives for the same events.
 *
 * Every derived row carries the block of the event it came from, so a reorg is undone by deleting everything from
 * the fork block on ({@link IndexerStore.rollback}). Derived rows only depend on earlier events (the treasury of a
 * fee split, the request a refund belongs to, the slash a jail follows), so re-indexing the new blocks after a
 * rollback gives the rows a fresh index would. Node-only: the sync loop is in `persistent.ts`.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { DatabaseSync, SQLOutputValue, StatementSync } from "node:sqlite";

import { Indexed, Result } from "ethers";

import type { ParsedEvent } from "../chain/events.js";
import {
  CREDIT_REASONS,
  FAULT_REASONS,
  LIVENESS_REASONS,
  ROLE_VERIFIER,
  ROLE_WORKER,
  TREASURY_PARTY,
  VERIFIERS_PARTY,
  assembleStats,
  caseOutcome,
  courtPenalty,
  eventArgs,
  fillWindows,
  requestWindows,
  windowRange,
  type FaultReason,
  type LivenessReason,
  type ModelRecord,
  type NetworkStats,
  type PartyRole,
  type ProtocolContract,
  type SourcedEvent,
  type StatsOptions,
  type StatsTotals,
} from "./stats.js";

/** Bumped on every change of the tables or of what is derived into them: an older file is rebuilt from scratch. */
export const SCHEMA_VERSION = 2;

/** The default database file of a deployment: `.opg/indexer/<chainId>-<hub address>.sqlite` under `root`. */
export function defaultIndexerDbFile(root: string, chainId: bigint | number | string, hub: string): string {
  return path.join(root, ".opg", "indexer", `${chainId}-${hub.toLowerCase()}.sqlite`);
}

/** The deployment a database belongs to. */
export interface StoreIdentity {
  chainId: string;
  /** The hub's address. */
  hub: string;
  /** First block indexed (the deployment block). */
  startBlock: number;
}

/** The last indexed block. */
export interface StoreCursor {
  block: number;
  hash: string;
  /** Unix seconds. */
  timestamp: number;
}

/** A block header the store keeps to notice a reorg. */
export interface StoredBlock {
  number: number;
  hash: string;
  parentHash: string;
  timestamp: number;
}

/** One stored event (its arguments as JSON values: integers as decimal strings). */
export interface StoredEvent {
  blockNumber: number;
  blockHash: string;
  logIndex: number;
  txHash: string;
  contract: ProtocolContract;
  address: string;
  name: string;
  args: Record<string, unknown> | unknown[];
}

/** What one step of a sync stores, in one transaction. */
export interface StoreBatch {
  /** The cursor block the batch continues from (`startBlock - 1` on an empty store); else nothing is written. */
  after: number;
  /** The events of blocks `after + 1 .. cursor.block`, in chain order. */
  events: readonly SourcedEvent[];
  /** Unix seconds of every block holding an `InferenceRequested`. */
  timestamps: ReadonlyMap<number, number>;
  /** Headers to keep for reorg detection (the new cursor block's among them). */
  blocks: readonly StoredBlock[];
  cursor: StoreCursor;
  /** Blocks at or below this one count as confirmed; later events are tentative. */
  confirmedBlock: number;
  /** Hashes of this many of the newest blocks are kept; older ones are dropped. */
  keepBlocks: number;
}

/** The database belongs to another chain or deployment: a wrong `--db` file, not something to overwrite. */
export class IndexerStoreMismatchError extends Error {
  override readonly name = "IndexerStoreMismatchError";

  constructor(file: string, field: string, stored: string, expected: string) {
    super(
      `${file} indexes ${field} ${stored}, not ${expected}: pass the database file of this deployment (or none, ` +
        "for the default one), or delete the file to index this deployment into it.",
    );
  }
}

/** Another process wrote to the database since this batch was read (it is read again). */
export class StoreCursorMovedError extends Error {
  override readonly name = "StoreCursorMovedError";

  constructor(expected: number, found: number) {
    super(`the indexer database moved from block ${expected} to ${found} meanwhile (another process indexes it)`);
  }
}

/** Why {@link IndexerStore.open} started the file from scratch. */
export type StoreRebuildReason = "new" | "schema" | "startBlock";

// ------------------------------------------------------------------------------------------------- sqlite

type SqliteModule = typeof import("node:sqlite");
let sqliteModule: SqliteModule | undefined;

/**
 * `node:sqlite`, loaded on first use with its one-time "SQLite is an experimental feature" warning suppressed
 * (only that warning: every other one still reaches the process's warning handlers).
 */
export function loadSqlite(): SqliteModule {
  if (sqliteModule !== undefined) return sqliteModule;
  const emitWarning = process.emitWarning;
  const filtered = function (this: typeof process, warning: string | Error, ...rest: unknown[]): void {
    const option = rest[0];
    const type = typeof option === "string" ? option : (option as { type?: unknown } | undefined)?.type;
    const text = typeof warning === "string" ? warning : warning.message;
    if (
      (type === "ExperimentalWarning" || (warning as Error).name === "ExperimentalWarning") &&
      /^SQLite\b/.test(text)
    ) {
      return;
    }
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    sqliteModule = process.getBuiltinModule("node:sqlite") as SqliteModule;
  } finally {
    process.emitWarning = emitWarning;
  }
  return sqliteModule;
}

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL, parent_hash TEXT NOT NULL,
  timestamp INTEGER NOT NULL) STRICT;
CREATE TABLE events (block INTEGER NOT NULL, log INTEGER NOT NULL, block_hash TEXT NOT NULL, tx_hash TEXT NOT NULL,
  contract TEXT NOT NULL, address TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
  PRIMARY KEY (block, log)) STRICT, WITHOUT ROWID;
CREATE INDEX events_name ON events (name);
CREATE TABLE requests (request_id TEXT PRIMARY KEY, model_id TEXT NOT NULL, requester TEXT NOT NULL,
  timestamp INTEGER NOT NULL, block INTEGER NOT NULL) STRICT;
CREATE INDEX requests_block ON requests (block);
CREATE INDEX requests_time ON requests (timestamp);
CREATE INDEX requests_model ON requests (model_id);
CREATE TABLE ledger (id INTEGER PRIMARY KEY, block INTEGER NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
  party TEXT, model_id TEXT, amount TEXT NOT NULL) STRICT;
CREATE INDEX ledger_block ON ledger (block);
CREATE TABLE totals (scope TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, key TEXT NOT NULL,
  n INTEGER NOT NULL, amount TEXT NOT NULL, first_id INTEGER NOT NULL,
  PRIMARY KEY (scope, kind, reason, key)) STRICT, WITHOUT ROWID;
CREATE TABLE latest (id INTEGER PRIMARY KEY, block INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
  value TEXT NOT NULL) STRICT;
CREATE INDEX latest_key ON latest (kind, key);
CREATE INDEX latest_block ON latest (block);
CREATE TABLE facts (block INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (kind, key, value)) STRICT, WITHOUT ROWID;
CREATE INDEX facts_block ON facts (block);
`;

/** Tables holding indexed data (everything but `meta`), each with the block column a rollback deletes by. */
const DATA_TABLES = [
  ["events", "block"],
  ["requests", "block"],
  ["ledger", "block"],
  ["latest", "block"],
  ["facts", "block"],
  ["blocks", "number"],
] as const;

/**
 * The ledger's running totals (count and sum) kept in `totals`, so a query reads one row per group instead of
 * summing the whole history: `all` per (kind, reason); `party` per (kind, account) of the non-zero amounts with an
 * account; `model` per (kind, reason, model) of the amounts of a known request. A rollback subtracts the deleted rows.
 */
type TotalScope = "all" | "party" | "model";

interface TotalDelta {
  n: number;
  amount: bigint;
  /** Ledger id of the group's first row (its first-seen order). */
  firstId: number;
}

/** Ledger kinds credited to a party (`fees.byParty`). */
const CREDIT_KINDS = ["royalty", "worker", "verifier", "treasury", "credit", "callback"] as const;
/** Fee-split kinds (per-model fees). */
const FEE_KINDS: ReadonlySet<string> = new Set(["royalty", "worker", "verifier", "treasury"]);
/** Hub events that end a request, by the ledger reason they are stored under. */
const CLOSE_REASONS: Readonly<Record<string, "finalized" | "rejected" | "expired" | "refunded">> = {
  RequestFinalized: "finalized",
  RequestRejected: "rejected",
  RequestExpired: "expired",
  RequestRefunded: "refunded",
};

// ------------------------------------------------------------------------------------------------- store

/**
 * The database of one deployment. Methods are synchronous (`node:sqlite`); {@link append} and {@link rollback}
 * each run in one transaction, so a crash leaves the last complete batch.
 */
export class IndexerStore {
  readonly file: string;
  readonly identity: StoreIdentity;
  /** Set when {@link open} started the file from scratch, with the reason. */
  readonly rebuilt: StoreRebuildReason | undefined;
  readonly #db: DatabaseSync;
  readonly #hub: string;
  readonly #statements = new Map<string, StatementSync>();
  /** Totals of the rows inserted by the running {@link append}, written at its end. */
  readonly #pendingTotals = new Map<
    string,
    { scope: TotalScope; kind: string; reason: string; key: string } & TotalDelta
  >();

  private constructor(
    file: string,
    db: DatabaseSync,
    identity: StoreIdentity,
    rebuilt: StoreRebuildReason | undefined,
  ) {
    this.file = file;
    this.#db = db;
    this.identity = identity;
    this.#hub = identity.hub.toLowerCase();
    this.rebuilt = rebuilt;
  }

  /**
   * Opens (or creates) the database of `identity`; `":memory:"` keeps it in memory. A file of an older schema or
   * another start block is rebuilt from scratch; a file of another chain or hub is refused
   * ({@link IndexerStoreMismatchError}).
   */
  static open(file: string, identity: StoreIdentity): IndexerStore {
    const { DatabaseSync } = loadSqlite();
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = new DatabaseSync(file, { timeout: 10_000 });
    try {
      db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;");
      db.aggregate("big_sum", {
        start: () => 0n,
        step: (total: bigint, value: SQLOutputValue) => total + BigInt(value as string),
        result: (total: bigint) => total.toString(),
      });
      const rebuilt = prepareSchema(db, file, identity);
      return new IndexerStore(file, db, identity, rebuilt);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** The last indexed block (undefined: nothing indexed yet). */
  cursor(): StoreCursor | undefined {
    const block = this.#meta("cursorBlock");
    if (block === undefined) return undefined;
    return { block: Number(block), hash: this.#meta("cursorHash") ?? "", timestamp: Number(this.#meta("cursorTime")) };
  }

  /** Blocks at or below this one were confirmed at the last sync (undefined: nothing indexed yet). */
  confirmedBlock(): number | undefined {
    const value = this.#meta("confirmedBlock");
    return value === undefined ? undefined : Number(value);
  }

  /** The kept block headers, newest first. */
  recentBlocks(): StoredBlock[] {
    return this.#prepare("SELECT number, hash, parent_hash, timestamp FROM blocks ORDER BY number DESC")
      .all()
      .map((row) => ({
        number: Number(row.number),
        hash: String(row.hash),
        parentHash: String(row.parent_hash),
        timestamp: Number(row.timestamp),
      }));
  }

  /** Events stored (all, or from `fromBlock` on). */
  eventCount(fromBlock = 0): number {
    return Number(this.#prepare("SELECT COUNT(*) AS n FROM events WHERE block >= ?").get(fromBlock)?.n ?? 0);
  }

  /** Events after the confirmed block: a reorg may still replace them. */
  tentativeEvents(): number {
    const confirmed = this.confirmedBlock();
    return confirmed === undefined ? 0 : this.eventCount(confirmed + 1);
  }

  /** Stored events of blocks `fromBlock..toBlock`, in chain order (at most `limit`). */
  events(filter: { fromBlock?: number; toBlock?: number; name?: string; limit?: number } = {}): StoredEvent[] {
    const rows = this.#prepare(
      "SELECT block, log, block_hash, tx_hash, contract, address, name, args FROM events " +
        "WHERE block >= ? AND block <= ? AND (? IS NULL OR name = ?) ORDER BY block, log LIMIT ?",
    ).all(
      filter.fromBlock ?? 0,
      filter.toBlock ?? Number.MAX_SAFE_INTEGER,
      filter.name ?? null,
      filter.name ?? null,
      filter.limit ?? -1,
    );
    return rows.map((row) => ({
      blockNumber: Number(row.block),
      blockHash: String(row.block_hash),
      logIndex: Number(row.log),
      txHash: String(row.tx_hash),
      contract: String(row.contract) as ProtocolContract,
      address: String(row.address),
      name: String(row.name),
      args: JSON.parse(String(row.args)) as Record<string, unknown>,
    }));
  }

  /** The treasury as of the last stored event (undefined: no `TreasurySet` seen and none seeded). */
  treasury(): string | undefined {
    return this.#latest("treasury", "");
  }

  /** Records the treasury read from the settlement contract at `block` (indexing starts after its `TreasurySet`). */
  seedTreasury(treasury: string, block: number): void {
    this.#transaction(() => {
      this.#prepare("INSERT INTO latest (block, kind, key, value) VALUES (?, 'treasury', '', ?)").run(block, treasury);
      this.#fact(block, "treasury", treasury, "");
    });
  }

  /**
   * Stores a batch: its events and what they imply, the kept headers and the new cursor, in one transaction.
   * Throws {@link StoreCursorMovedError} (writing nothing) when the cursor is no longer at `batch.after`.
   */
  append(batch: StoreBatch): void {
    this.#transaction(() => {
      const found = this.cursor()?.block ?? this.identity.startBlock - 1;
      if (found !== batch.after) throw new StoreCursorMovedError(batch.after, found);
      this.#pendingTotals.clear(); // nothing left from a failed append
      for (const event of batch.events) this.#insert(event, batch.timestamps);
      this.#flushTotals();
      const putBlock = this.#prepare(
        "INSERT OR REPLACE INTO blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)",
      );
      for (const b of batch.blocks) putBlock.run(b.number, b.hash, b.parentHash, b.timestamp);
      this.#prepare("DELETE FROM blocks WHERE number <= ?").run(batch.cursor.block - Math.max(1, batch.keepBlocks));
      this.#setCursor(batch.cursor, batch.confirmedBlock);
    });
  }

  /**
   * Deletes every event, derived row and header of block `forkBlock` and later, and moves the cursor to `cursor`
   * (the kept header of block `forkBlock - 1`). Returns how many events were deleted.
   */
  rollback(forkBlock: number, cursor: StoreCursor): number {
    let deleted = 0;
    this.#transaction(() => {
      deleted = this.eventCount(forkBlock);
      this.#subtractTotals(forkBlock);
      for (const [table, column] of DATA_TABLES) {
        this.#prepare(`DELETE FROM ${table} WHERE ${column} >= ?`).run(forkBlock);
      }
      this.#setCursor(cursor, Math.min(this.confirmedBlock() ?? cursor.block, cursor.block));
    });
    return deleted;
  }

  /** Deletes everything indexed (the identity stays): the next sync starts again at the start block. */
  reset(): void {
    this.#transaction(() => {
      for (const [table] of DATA_TABLES) this.#db.exec(`DELETE FROM ${table}`);
      this.#db.exec("DELETE FROM totals");
      this.#prepare(
        "DELETE FROM meta WHERE key IN ('cursorBlock', 'cursorHash', 'cursorTime', 'confirmedBlock')",
      ).run();
    });
  }

  /** {@link NetworkStats} of everything stored (tentative events included), with SQL aggregates. */
  stats(options: StatsOptions): NetworkStats {
    return assembleStats(this.totals(), options);
  }

  /** The aggregates {@link stats} is assembled from. */
  totals(): StatsTotals {
    const cursor = this.cursor();
    const counts = new Map<string, number>();
    for (const row of this.#prepare("SELECT name, COUNT(*) AS n FROM events GROUP BY name").all()) {
      counts.set(String(row.name), Number(row.n));
    }
    const count = (name: string): number => counts.get(name) ?? 0;

    // The ledger's running totals, groups in first-seen order.
    const ledger = new Map<string, Map<string, { n: number; total: bigint }>>();
    const byParty = new Map<string, bigint>();
    const refundsByRequester = new Map<string, bigint>();
    const perModel: Array<{ modelId: string; kind: string; reason: string; n: number; total: bigint }> = [];
    for (const row of this.#prepare("SELECT scope, kind, reason, key, n, amount FROM totals ORDER BY first_id").all()) {
      const kind = String(row.kind);
      const reason = String(row.reason);
      const key = String(row.key);
      const n = Number(row.n);
      const total = BigInt(String(row.amount));
      switch (String(row.scope) as TotalScope) {
        case "all": {
          let reasons = ledger.get(kind);
          if (reasons === undefined) ledger.set(kind, (reasons = new Map()));
          reasons.set(reason, { n, total });
          break;
        }
        case "party":
          if (kind === "close") refundsByRequester.set(key, (refundsByRequester.get(key) ?? 0n) + total);
          else if ((CREDIT_KINDS as readonly string[]).includes(kind))
            byParty.set(key, (byParty.get(key) ?? 0n) + total);
          break;
        case "model":
          perModel.push({ modelId: key, kind, reason, n, total });
          break;
      }
    }
    const entry = (kind: string, reason = "") => ledger.get(kind)?.get(reason) ?? { n: 0, total: 0n };
    const closes = (reason: string) => entry("close", reason).n;
    const byReason = <K extends string>(kind: string, keys: readonly K[]) => {
      let n = 0;
      const amounts = Object.fromEntries(keys.map((k) => [k, 0n])) as Record<K, bigint>;
      for (const [reason, e] of ledger.get(kind) ?? []) {
        n += e.n;
        amounts[reason as K] = (amounts[reason as K] ?? 0n) + e.total;
      }
      return { count: n, byReason: amounts };
    };
    const credits: Record<string, bigint> = Object.fromEntries(CREDIT_REASONS.map((r) => [r, 0n]));
    for (const [reason, e] of ledger.get("credit") ?? []) credits[reason] = (credits[reason] ?? 0n) + e.total;
    let refunds = 0n;
    for (const e of ledger.get("close")?.values() ?? []) refunds += e.total;
    const faults = byReason<FaultReason>("fault", FAULT_REASONS);
    const liveness = byReason<LivenessReason>("liveness", LIVENESS_REASONS);

    // Last values per key, and first-seen facts.
    const weights: Array<[string, bigint]> = [];
    const mode = new Map<string, number>();
    const owner = new Map<string, string>();
    const inactive = new Set<bigint>();
    const suspended = new Set<bigint>();
    for (const row of this.#prepare(
      "SELECT kind, key, value, MAX(id) AS id FROM latest " +
        "WHERE kind IN ('weight', 'mode', 'owner', 'active', 'suspended') GROUP BY kind, key ORDER BY id",
    ).all()) {
      const key = String(row.key);
      const value = String(row.value);
      switch (String(row.kind)) {
        case "weight":
          weights.push([key, BigInt(value)]);
          break;
        case "mode":
          mode.set(key, Number(value));
          break;
        case "owner":
          owner.set(key, value);
          break;
        case "active":
          if (value === "0") inactive.add(BigInt(key));
          break;
        case "suspended":
          if (value === "1") suspended.add(BigInt(key));
          break;
      }
    }
    const roles = new Map<string, Set<PartyRole>>();
    const treasuries = new Set<string>();
    const records = new Map<bigint, ModelRecord>();
    const record = (modelId: string): ModelRecord => {
      const id = BigInt(modelId);
      let m = records.get(id);
      if (m === undefined) {
        m = {
          mode: mode.get(modelId),
          owner: owner.get(modelId),
          royaltyRecipients: new Set(),
          calls: 0,
          finalized: 0,
          failed: 0,
          fees: 0n,
          royalty: 0n,
        };
        records.set(id, m);
      }
      return m;
    };
    for (const row of this.#prepare("SELECT kind, key, value FROM facts ORDER BY block").all()) {
      const key = String(row.key);
      switch (String(row.kind)) {
        case "role": {
          const set = roles.get(key);
          if (set === undefined) roles.set(key, new Set([String(row.value) as PartyRole]));
          else set.add(String(row.value) as PartyRole);
          break;
        }
        case "treasury":
          treasuries.add(key);
          break;
        case "model":
          record(key);
          break;
        case "royalty":
          record(key).royaltyRecipients.add(String(row.value));
          break;
      }
    }

    // Per model: calls, outcomes and fees of the requests indexed.
    for (const row of this.#prepare("SELECT model_id, COUNT(*) AS n FROM requests GROUP BY model_id").all()) {
      record(String(row.model_id)).calls = Number(row.n);
    }
    for (const { modelId, kind, reason, n, total } of perModel) {
      const m = record(modelId);
      if (kind === "close") {
        if (reason === "finalized") m.finalized += n;
        else m.failed += n;
      } else if (FEE_KINDS.has(kind)) {
        m.fees += total;
        if (kind === "royalty") m.royalty += total;
      }
    }

    return {
      syncedBlock: cursor?.block ?? -1,
      syncedTimestamp: cursor?.timestamp ?? 0,
      requests: count("InferenceRequested"),
      perWindow: (width, now, maxWindows) => this.#windows(width, now, maxWindows),
      closed: {
        finalized: closes("finalized"),
        rejected: closes("rejected"),
        expired: closes("expired"),
        refunded: closes("refunded"),
      },
      declines: count("WorkerDeclined"),
      weights,
      active: entry("active").total,
      unbonding: entry("unbonding").total,
      disputes: {
        opened: count("CaseOpened"),
        upheld: entry("outcome", "upheld").n,
        rejected: entry("outcome", "rejected").n,
        undecided: entry("outcome", "undecided").n,
        juries: count("JuryDrawn"),
        appeals: count("Appealed"),
      },
      committees: count("CommitteeDrawn"),
      slashed: { count: entry("slashed").n, amount: entry("slashed").total },
      faults,
      liveness: { ...liveness, timeouts: count("WorkerTimedOut") },
      jails: { faults: entry("jail", "faults").n, liveness: entry("jail", "liveness").n },
      fees: {
        royalty: entry("royalty").total,
        worker: entry("worker").total,
        verifier: entry("verifier").total,
        treasury: entry("treasury").total,
        refunds,
        callbacks: entry("callback").total,
        credits,
      },
      byParty,
      refundsByRequester,
      roles,
      treasuries,
      models: { registered: count("ModelRegistered"), records, inactive, suspended },
    };
  }

  /** Requests per time bucket, counted by SQL (whole-second widths; others are counted here). */
  #windows(width: number, now: number, maxWindows: number): Array<{ start: number; count: number }> {
    if (!Number.isSafeInteger(width) || !Number.isInteger(maxWindows)) {
      const times = this.#prepare("SELECT timestamp FROM requests")
        .all()
        .map((row) => Number(row.timestamp));
      return requestWindows(times, width, now, maxWindows);
    }
    const earliest = this.#prepare("SELECT MIN(timestamp) AS t FROM requests").get()?.t;
    if (earliest === null || earliest === undefined) return [];
    const range = windowRange(Number(earliest), width, now, maxWindows);
    const counts = new Map<number, number>();
    for (const row of this.#prepare(
      "SELECT (timestamp / ?) * ? AS start, COUNT(*) AS n FROM requests WHERE timestamp >= ? AND timestamp < ? " +
        "GROUP BY start",
    ).all(BigInt(width), BigInt(width), BigInt(range.lowest), BigInt(range.last + width))) {
      counts.set(Number(row.start), Number(row.n));
    }
    return fillWindows(range, width, counts);
  }

  // ----------------------------------------------------------------------------------------------- derivation

  /** Stores one event and what it implies (in chain order: lookups see every earlier event). */
  #insert(e: SourcedEvent, timestamps: ReadonlyMap<number, number>): void {
    const block = e.blockNumber;
    this.#prepare(
      "INSERT INTO events (block, log, block_hash, tx_hash, contract, address, name, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(block, e.logIndex, e.blockHash, e.txHash, e.source, e.address, e.name, encodeArgs(e.args));
    const { big, address, bool, bytes32Text } = eventArgs;
    const ledger = (kind: string, reason: string, party: string | null, modelId: string | null, amount: bigint) => {
      const { lastInsertRowid } = this.#prepare(
        "INSERT INTO ledger (block, kind, reason, party, model_id, amount) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(block, kind, reason, party, modelId, amount.toString());
      const delta = { n: 1, amount, firstId: Number(lastInsertRowid) };
      this.#addTotal("all", kind, reason, "", delta);
      if (party !== null && amount !== 0n) this.#addTotal("party", kind, "", party, delta);
      if (modelId !== null) this.#addTotal("model", kind, reason, modelId, delta);
    };
    const latest = (kind: string, key: string, value: string) =>
      this.#prepare("INSERT INTO latest (block, kind, key, value) VALUES (?, ?, ?, ?)").run(block, kind, key, value);
    const fact = (kind: string, key: string, value = "") => this.#fact(block, kind, key, value);
    const role = (account: string, r: PartyRole) => fact("role", account, r);
    const operatorRoles = (operator: string, roles: bigint) => {
      if ((roles & BigInt(ROLE_WORKER)) !== 0n) role(operator, "worker");
      if ((roles & BigInt(ROLE_VERIFIER)) !== 0n) role(operator, "verifier");
    };
    const request = (requestId: bigint) => {
      const row = this.#prepare("SELECT model_id, requester FROM requests WHERE request_id = ?").get(
        requestId.toString(),
      );
      return row === undefined ? undefined : { modelId: String(row.model_id), requester: String(row.requester) };
    };

    switch (`${e.source}.${e.name}`) {
      case "hub.InferenceRequested": {
        const timestamp = timestamps.get(block);
        if (timestamp === undefined) throw new Error(`no timestamp of block ${block} for its InferenceRequested`);
        const modelId = big(e, "modelId").toString();
        const requester = address(e, "requester");
        this.#prepare(
          "INSERT INTO requests (request_id, model_id, requester, timestamp, block) VALUES (?, ?, ?, ?, ?)",
        ).run(big(e, "requestId").toString(), modelId, requester, timestamp, block);
        fact("model", modelId);
        role(requester, "requester");
        break;
      }
      case "hub.RequestFinalized":
      case "hub.RequestRejected":
      case "hub.RequestExpired":
      case "hub.RequestRefunded": {
        const r = request(big(e, "requestId"));
        const refund = e.name === "RequestFinalized" ? 0n : big(e, "refund");
        ledger("close", CLOSE_REASONS[e.name]!, r?.requester ?? null, r?.modelId ?? null, refund);
        break;
      }
      case "hub.WorkerTimedOut": {
        const penalty = big(e, "penalty");
        if (penalty !== 0n) ledger("liveness", "timeout", null, null, penalty);
        role(address(e, "worker"), "worker");
        break;
      }
      case "settlement.FeeSplitPaid": {
        const r = request(big(e, "requestId"));
        const modelId = r?.modelId ?? null;
        const royalty = big(e, "royalty");
        const recipient = address(e, "royaltyRecipient");
        const worker = address(e, "worker");
        ledger("royalty", "", recipient, modelId, royalty);
        ledger("worker", "", worker, modelId, big(e, "workerPay"));
        ledger("verifier", "", VERIFIERS_PARTY, modelId, big(e, "verifierPay"));
        // The event does not name the treasury (a settlement parameter): take it from the last `TreasurySet`.
        ledger("treasury", "", this.treasury() ?? TREASURY_PARTY, modelId, big(e, "treasuryPay"));
        role(worker, "worker");
        if (modelId !== null && royalty > 0n) fact("royalty", modelId, recipient);
        break;
      }
      case "settlement.Credited":
        ledger("credit", bytes32Text(e, "reason"), address(e, "account"), null, big(e, "amount"));
        break;
      case "settlement.FeeCredited": {
        const account = address(e, "account");
        ledger("callback", "", account, null, big(e, "amount"));
        role(account, "callback-deliverer");
        break;
      }
      case "settlement.TreasurySet": {
        const treasury = address(e, "treasury");
        latest("treasury", "", treasury);
        fact("treasury", treasury);
        break;
      }
      case "court.ChallengerJoined":
        role(address(e, "challenger"), "challenger");
        break;
      case "court.CaseResolved": {
        const outcome = caseOutcome(big(e, "outcome"));
        if (outcome !== undefined) ledger("outcome", outcome, null, null, 0n);
        break;
      }
      case "court.Penalised": {
        const penalty = courtPenalty(bytes32Text(e, "reason"));
        const amount = big(e, "amount");
        if (amount !== 0n) ledger(penalty.kind, penalty.reason, null, null, amount);
        break;
      }
      case "committee.SilencePenalised": {
        const amount = big(e, "amount");
        if (amount !== 0n) ledger("liveness", "silence", null, null, amount);
        break;
      }
      case "staking.Staked":
        ledger("active", "", null, null, big(e, "amount"));
        operatorRoles(address(e, "operator"), big(e, "roles"));
        break;
      case "staking.RolesUpdated":
        operatorRoles(address(e, "operator"), big(e, "roles"));
        break;
      case "staking.UnbondingStarted": {
        const amount = big(e, "amount");
        ledger("active", "", null, null, -amount);
        ledger("unbonding", "", null, null, amount);
        break;
      }
      case "staking.StakeWithdrawn":
        ledger("unbonding", "", null, null, -big(e, "amount"));
        break;
      case "staking.Slashed": {
        const fromActive = big(e, "fromActive");
        const fromUnbonding = big(e, "fromUnbonding");
        ledger("active", "", null, null, -fromActive);
        ledger("unbonding", "", null, null, -fromUnbonding);
        if (fromActive + fromUnbonding > 0n) ledger("slashed", "", null, null, fromActive + fromUnbonding);
        latest("lastSlash", "", `${e.txHash} ${address(e, "slasher").toLowerCase()}`);
        break;
      }
      case "staking.Jailed": {
        // Staking emits `Jailed` right after the `Slashed` of the same `slash` call: the hub's are for timeouts.
        const [txHash, slasher] = (this.#latest("lastSlash", "") ?? " ").split(" ");
        ledger("jail", txHash === e.txHash && slasher === this.#hub ? "liveness" : "faults", null, null, 0n);
        break;
      }
      case "staking.WeightUpdated":
        latest("weight", `${big(e, "role")}:${address(e, "operator")}`, big(e, "tickets").toString());
        break;
      case "registry.ModelRegistered": {
        const modelId = big(e, "modelId").toString();
        fact("model", modelId);
        latest("mode", modelId, Number(big(e, "mode")).toString());
        latest("owner", modelId, address(e, "owner"));
        break;
      }
      case "registry.ModelOwnershipTransferred": {
        const modelId = big(e, "modelId").toString();
        fact("model", modelId);
        latest("owner", modelId, address(e, "newOwner"));
        break;
      }
      case "registry.ModelRoyaltyUpdated": {
        const modelId = big(e, "modelId").toString();
        fact("model", modelId);
        fact("royalty", modelId, address(e, "recipient"));
        break;
      }
      case "registry.ModelActiveSet":
        latest("active", big(e, "modelId").toString(), bool(e, "active") ? "1" : "0");
        break;
      case "registry.ModelSuspended":
        latest("suspended", big(e, "modelId").toString(), "1");
        break;
      case "registry.ModelResumed":
      case "registry.ModelUriUpdated":
        // Both lift a suspension (a new decline epoch starts).
        latest("suspended", big(e, "modelId").toString(), "0");
        break;
      default:
        // counted by name only (CaseOpened, JuryDrawn, Appealed, CommitteeDrawn, WorkerDeclined)
        break;
    }
  }

  #addTotal(scope: TotalScope, kind: string, reason: string, key: string, delta: TotalDelta): void {
    const id = `${scope}\u0000${kind}\u0000${reason}\u0000${key}`;
    const pending = this.#pendingTotals.get(id);
    if (pending === undefined) this.#pendingTotals.set(id, { scope, kind, reason, key, ...delta });
    else {
      pending.n += delta.n;
      pending.amount += delta.amount;
    }
  }

  /** Adds the running append's totals to the stored ones. */
  #flushTotals(): void {
    const get = this.#prepare("SELECT n, amount FROM totals WHERE scope = ? AND kind = ? AND reason = ? AND key = ?");
    const put = this.#prepare(
      "INSERT INTO totals (scope, kind, reason, key, n, amount, first_id) VALUES (?, ?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (scope, kind, reason, key) DO UPDATE SET n = excluded.n, amount = excluded.amount",
    );
    try {
      for (const t of this.#pendingTotals.values()) {
        const row = get.get(t.scope, t.kind, t.reason, t.key);
        const n = Number(row?.n ?? 0) + t.n;
        const amount = BigInt(String(row?.amount ?? "0")) + t.amount;
        put.run(t.scope, t.kind, t.reason, t.key, n, amount.toString(), t.firstId);
      }
    } finally {
      this.#pendingTotals.clear();
    }
  }

  /** Takes the ledger rows of block `forkBlock` and later out of the totals (before they are deleted). */
  #subtractTotals(forkBlock: number): void {
    const groups: Array<{ scope: TotalScope; sql: string }> = [
      {
        scope: "all",
        sql: "SELECT kind, reason, '' AS key, COUNT(*) AS n, big_sum(amount) AS total FROM ledger WHERE block >= ? GROUP BY kind, reason",
      },
      {
        scope: "party",
        sql:
          "SELECT kind, '' AS reason, party AS key, COUNT(*) AS n, big_sum(amount) AS total FROM ledger " +
          "WHERE block >= ? AND party IS NOT NULL AND amount <> '0' GROUP BY kind, party",
      },
      {
        scope: "model",
        sql:
          "SELECT kind, reason, model_id AS key, COUNT(*) AS n, big_sum(amount) AS total FROM ledger " +
          "WHERE block >= ? AND model_id IS NOT NULL GROUP BY kind, reason, model_id",
      },
    ];
    const get = this.#prepare("SELECT n, amount FROM totals WHERE scope = ? AND kind = ? AND reason = ? AND key = ?");
    const update = this.#prepare(
      "UPDATE totals SET n = ?, amount = ? WHERE scope = ? AND kind = ? AND reason = ? AND key = ?",
    );
    const remove = this.#prepare("DELETE FROM totals WHERE scope = ? AND kind = ? AND reason = ? AND key = ?");
    for (const { scope, sql } of groups) {
      for (const row of this.#prepare(sql).all(forkBlock)) {
        const ids = [scope, String(row.kind), String(row.reason), String(row.key)] as const;
        const stored = get.get(...ids);
        if (stored === undefined) throw new Error(`indexer totals lack ${ids.join("/")}: rebuild the database`);
        const n = Number(stored.n) - Number(row.n);
        if (n <= 0) remove.run(...ids);
        else update.run(n, (BigInt(String(stored.amount)) - BigInt(String(row.total))).toString(), ...ids);
      }
    }
  }

  #fact(block: number, kind: string, key: string, value: string): void {
    this.#prepare("INSERT OR IGNORE INTO facts (block, kind, key, value) VALUES (?, ?, ?, ?)").run(
      block,
      kind,
      key,
      value,
    );
  }

  #latest(kind: string, key: string): string | undefined {
    const row = this.#prepare("SELECT value FROM latest WHERE kind = ? AND key = ? ORDER BY id DESC LIMIT 1").get(
      kind,
      key,
    );
    return row === undefined ? undefined : String(row.value);
  }

  #meta(key: string): string | undefined {
    const row = this.#prepare("SELECT value FROM meta WHERE key = ?").get(key);
    return row === undefined ? undefined : String(row.value);
  }

  #setCursor(cursor: StoreCursor, confirmedBlock: number): void {
    const put = this.#prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    put.run("cursorBlock", String(cursor.block));
    put.run("cursorHash", cursor.hash);
    put.run("cursorTime", String(cursor.timestamp));
    put.run("confirmedBlock", String(confirmedBlock));
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #transaction(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

// ------------------------------------------------------------------------------------------------- helpers

/** Creates the tables when the file is new, of another schema version or another start block. */
function prepareSchema(db: DatabaseSync, file: string, identity: StoreIdentity): StoreRebuildReason | undefined {
  // Checked and rebuilt under the write lock: two processes opening a new file at once create it once.
  db.exec("BEGIN IMMEDIATE");
  try {
    const reason = rebuildReason(db, file, identity);
    if (reason !== undefined) {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .all()
        .map((row) => String(row.name));
      for (const table of tables) db.exec(`DROP TABLE IF EXISTS "${table.replace(/"/g, '""')}"`);
      db.exec(SCHEMA);
      const put = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?)");
      put.run("schema", String(SCHEMA_VERSION));
      put.run("chainId", identity.chainId);
      put.run("hub", identity.hub);
      put.run("startBlock", String(identity.startBlock));
    }
    db.exec("COMMIT");
    return reason;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

/** Why the file must be created from scratch (undefined: it can be resumed); throws for another deployment's. */
function rebuildReason(db: DatabaseSync, file: string, identity: StoreIdentity): StoreRebuildReason | undefined {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
  const meta = new Map<string, string>();
  if (hasMeta) {
    for (const row of db.prepare("SELECT key, value FROM meta").all()) meta.set(String(row.key), String(row.value));
  }
  const schema = meta.get("schema");
  if (schema === undefined) return "new";
  if (schema !== String(SCHEMA_VERSION)) return "schema";
  const chainId = meta.get("chainId") ?? "";
  if (chainId !== identity.chainId) throw new IndexerStoreMismatchError(file, "chain", chainId, identity.chainId);
  const hub = meta.get("hub") ?? "";
  if (hub.toLowerCase() !== identity.hub.toLowerCase()) {
    throw new IndexerStoreMismatchError(file, "the deployment of hub", hub, identity.hub);
  }
  return meta.get("startBlock") === String(identity.startBlock) ? undefined : "startBlock";
}

/** An event's arguments as JSON: named arguments as an object, integers as decimal strings. */
export function encodeArgs(args: ParsedEvent["args"]): string {
  return JSON.stringify(plain(args));
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Indexed) return value.hash;
  if (value instanceof Result) {
    let named: Record<string, unknown> | undefined;
    if (value.length > 0) {
      try {
        named = value.toObject(false);
      } catch {
        named = undefined; // unnamed values (an array): keep the list
      }
    }
    if (named === undefined) return Array.from(value, plain);
    return Object.fromEntries(Object.entries(named).map(([k, v]) => [k, plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}
