/**
 * `network:stats`: network health computed only from on-chain events (the indexer a web page reuses). By default
 * the events are kept in an SQLite database per deployment (`.opg/indexer/<chainId>-<hub>.sqlite`), so a run only
 * reads the blocks since the last one; `--no-db` reads the whole history into memory instead.
 */
import path from "node:path";

import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { IndexerStoreMismatchError, defaultIndexerDbFile } from "../../offchain/indexer/db.js";
import { PersistentIndexer, type ReorgReport } from "../../offchain/indexer/persistent.js";
import {
  MODE_LABELS,
  bucketLabel,
  describeDuration,
  formatStatsJson,
  isoTime,
  perBucket,
  sparkline,
  utcTime,
} from "../../offchain/indexer/report.js";
import {
  NetworkIndexer,
  TREASURY_PARTY,
  VERIFIERS_PARTY,
  type FaultReason,
  type LivenessReason,
  type NetworkStats,
  type Party,
  type PartyRole,
  type SyncProgress,
} from "../../offchain/indexer/stats.js";
import { TaskInputError, openProtocol, type TaskContext } from "./context.js";

export interface StatsArgs {
  deployment: string;
  window: number;
  buckets: number;
  json: boolean;
  /** Database file ("" for the default one). */
  db: string;
  /** Read everything into memory, no database. */
  noDb: boolean;
  /** Events of the newest blocks that count as tentative (the database's reorg depth). */
  confirmations: number;
}

/** Progress and warnings go to stderr: stdout holds the report only (with --json: one JSON document). */
const note = (line: string): void => void process.stderr.write(`network:stats: ${line}\n`);

export async function statsAction(args: StatsArgs, hre: HardhatRuntimeEnvironment) {
  if (!(args.window > 0)) {
    throw new TaskInputError(
      `--window is the bucket width in seconds, e.g. 3600 (per hour) or 300 (per 5 min); got ${args.window}`,
    );
  }
  if (!(args.buckets > 0)) {
    throw new TaskInputError(`--buckets is how many time buckets the table shows, e.g. 12; got ${args.buckets}`);
  }
  if (!Number.isSafeInteger(args.confirmations) || args.confirmations < 0) {
    throw new TaskInputError(`--confirmations is a number of blocks, 0 or more (e.g. 12); got ${args.confirmations}`);
  }
  if (args.noDb && args.db !== "") throw new TaskInputError("--db and --no-db exclude each other: pick one");
  const ctx = await openProtocol(hre, { deployment: args.deployment });
  const stats = args.noDb ? await inMemoryStats(ctx, args) : await databaseStats(ctx, args);
  if (args.json) {
    process.stdout.write(`${formatStatsJson(stats)}\n`);
    return;
  }
  printStats(stats, { buckets: args.buckets });
}

const onProgress = (p: SyncProgress): void => {
  if (p.syncedBlock < p.toBlock) note(`read blocks ${p.fromBlock}..${p.syncedBlock} of ..${p.toBlock}`);
};

function warnIfEmpty(events: number, fromBlock: number, toBlock: number): void {
  if (events > 0) return;
  note(
    `warning: no protocol events in blocks ${fromBlock}..${toBlock}; if you expected some, check that --network ` +
      "is the network the deployment is on",
  );
}

/** Every event from the deployment block on, read into memory. */
async function inMemoryStats({ contracts }: TaskContext, args: StatsArgs): Promise<NetworkStats> {
  const indexer = new NetworkIndexer(contracts, { startBlock: contracts.addresses.fromBlock, onProgress });
  const { fromBlock, toBlock, events } = await indexer.sync();
  warnIfEmpty(events, fromBlock, toBlock);
  return indexer.stats({ windowSeconds: args.window });
}

/** The persistent indexer: catch up from the database's cursor, then compute the statistics in the database. */
async function databaseStats({ contracts, chainId, root }: TaskContext, args: StatsArgs): Promise<NetworkStats> {
  const file = args.db !== "" ? path.resolve(args.db) : defaultIndexerDbFile(root, chainId, contracts.addresses.hub);
  const inside = path.relative(process.cwd(), file);
  const shown = inside !== "" && !inside.startsWith("..") && !path.isAbsolute(inside) ? inside : file;
  let indexer: PersistentIndexer;
  try {
    indexer = await PersistentIndexer.open(contracts, {
      file,
      startBlock: contracts.addresses.fromBlock,
      confirmations: args.confirmations,
      onProgress,
      onReorg: (r) => note(describeReorg(r, shown, args.confirmations)),
    });
  } catch (error) {
    if (error instanceof IndexerStoreMismatchError) throw new TaskInputError(error.message.replace(/\.$/, ""));
    throw error;
  }
  try {
    if (indexer.rebuilt === "schema" || indexer.rebuilt === "startBlock") {
      const why = indexer.rebuilt === "schema" ? "was written by another version" : "starts at another block";
      note(`${shown} ${why}: indexing again from block ${contracts.addresses.fromBlock}`);
    }
    const result = await indexer.sync();
    const span = result.blocks === 0 ? "" : ` (blocks ${result.fromBlock}..${result.toBlock})`;
    const tentative =
      result.tentativeEvents > 0
        ? `; ${result.tentativeEvents} of them in the last ${args.confirmations} blocks (tentative)`
        : "";
    note(
      `caught up ${result.blocks} ${result.blocks === 1 ? "block" : "blocks"}${span}, ${result.events} new events; ` +
        `${indexer.store.eventCount()} events in ${shown}${tentative}`,
    );
    warnIfEmpty(indexer.store.eventCount(), contracts.addresses.fromBlock, indexer.syncedBlock);
    return indexer.stats({ windowSeconds: args.window });
  } finally {
    indexer.close();
  }
}

function describeReorg(r: ReorgReport, file: string, confirmations: number): string {
  if (r.kind === "rebuild") {
    return (
      `warning: none of the blocks kept in ${file} is on the chain any more (a reorg deeper than the kept window, ` +
      `or a restarted local chain): its ${r.events} events were dropped, indexing again from block ${r.forkBlock}`
    );
  }
  const depth = r.beyondConfirmations ? `, deeper than --confirmations ${confirmations}` : "";
  return `reorg: blocks ${r.forkBlock}..${r.previousBlock} were replaced (${r.events} events dropped${depth}); indexing the new ones`;
}

export interface FormatOptions {
  /** Rows of the time-bucket table (the most recent buckets). Default 12. */
  buckets?: number;
  /** Buckets in the sparkline (the most recent). Default 48. */
  sparkBuckets?: number;
  /** Rows of the fees-by-party table. Default 20. */
  parties?: number;
}

/** Prints {@link formatStats} (the bucket width is `stats.requests.windowSeconds`). */
export function printStats(stats: NetworkStats, options: FormatOptions = {}): void {
  for (const line of formatStats(stats, options)) console.log(line);
}

const FAULT_LABELS: Record<FaultReason, string> = {
  worker: "wrong result",
  defender: "defended a wrong result",
  challenger: "lost challenge",
  minority: "minority vote",
  other: "other",
};

const LIVENESS_LABELS: Record<LivenessReason, string> = {
  timeout: "worker timeout",
  nonReveal: "juror did not reveal",
  silence: "committee member silent",
};

/** The report as lines: a summary, the time-bucket table and sparkline, per-model usage, and fees by named party. */
export function formatStats(stats: NetworkStats, options: FormatOptions = {}): string[] {
  const out: string[] = [];
  const r = stats.requests;
  const b = r.byStatus;
  out.push(
    `OPG network at block ${stats.syncedBlock}, ${utcTime(stats.now)} (times in UTC; OPG rounded to ${SHOWN_DECIMALS} decimals, exact in --json)`,
  );
  out.push(
    `  requests       ${r.total} (finalized ${b.finalized}, rejected ${b.rejected}, expired ${b.expired}, refunded ${b.refunded}, open ${b.open})`,
  );
  out.push(...formatBuckets(stats, options.buckets ?? 12, options.sparkBuckets ?? 48));

  const m = stats.models;
  out.push(`  models         ${m.registered} registered (${m.active} active, ${m.suspended} suspended)`);
  out.push(...formatUsage(stats));
  out.push(`  operators      ${stats.workers.active} active workers, ${stats.verifiers.active} active verifiers`);
  out.push(
    `  stake          ${opg(stats.stake.active)} OPG bonded, ${opg(stats.stake.unbonding)} OPG unbonding; sortition ${stats.stake.workerWeight} worker / ${stats.stake.verifierWeight} verifier tickets`,
  );
  const d = stats.disputes;
  out.push(
    `  disputes       ${d.opened} opened (${d.upheld} upheld, ${d.rejected} worker wrong, ${d.undecided} undecided, ${d.open} open); ${count(d.juries, "jury", "juries")}, ${count(d.appeals, "appeal")}`,
  );
  out.push(`  committees     ${stats.committees.drawn} drawn`);

  const s = stats.slashes;
  out.push(
    `  fault slashes  ${count(s.count, "slash", "slashes")}, ${opg(s.amount)} OPG${reasons(s.byReason, FAULT_LABELS)}; ${stats.jails.faults} jailed`,
  );
  const l = stats.liveness;
  out.push(
    `  liveness       ${count(l.timeouts, "timeout")}, ${count(r.declines, "decline")} (no penalty); ${count(l.count, "penalty", "penalties")}, ${opg(l.amount)} OPG${reasons(l.byReason, LIVENESS_LABELS)}; ${stats.jails.liveness} jailed`,
  );
  const f = stats.fees;
  out.push(
    `  fees (OPG)     royalty ${opg(f.royalty)}, workers ${opg(f.worker)}, verifiers ${opg(f.verifier)}, treasury ${opg(f.treasury)}, refunds ${opg(f.refunds)}, callbacks ${opg(f.callbacks)}`,
  );
  out.push(...formatParties(stats.parties, options.parties ?? 20));
  return out;
}

/** The table of the last `rows` time buckets with their dates, then a sparkline of the last `spark` buckets. */
function formatBuckets(stats: NetworkStats, rows: number, spark: number): string[] {
  const width = stats.requests.windowSeconds;
  const all = stats.requests.perWindow;
  const rate = perBucket(width);
  if (all.length === 0) return [`  calls ${rate}  no requests yet`];
  const shown = all.slice(-Math.max(1, rows));
  const earlier = all.slice(0, all.length - shown.length).reduce((n, w) => n + w.count, 0);
  const span = shown.length < all.length ? `last ${describeDuration(shown.length * width)}` : "since the first request";
  const out = [`  calls ${rate} (${span})`];
  const countWidth = Math.max(...shown.map((w) => String(w.count).length));
  const current = (w: { start: number }) => stats.now >= w.start && stats.now < w.start + width;
  for (const w of shown) {
    const calls = `${String(w.count).padStart(countWidth)} ${w.count === 1 ? "call" : "calls"}`;
    out.push(`    ${bucketLabel(w.start, width)}  ${calls}${current(w) ? "  (so far)" : ""}`.trimEnd());
  }
  if (earlier > 0) out.push(`    earlier: ${count(earlier, "call")} since ${utcTime(all[0]!.start)}`);
  if (all.length > 1) {
    const recent = all.slice(-Math.max(2, spark));
    const peak = Math.max(...recent.map((w) => w.count));
    const first = recent[0]!.start;
    out.push(
      `    trend  ${sparkline(recent.map((w) => w.count))}  ${recent.length} buckets ${rate} from ${isoTime(first).slice(0, 16).replace("T", " ")}; peak ${peak}`,
    );
  }
  return out;
}

/** Per-model usage: model id, mode, calls, finalized, failed, fees. */
function formatUsage(stats: NetworkStats): string[] {
  const usage = stats.models.usage;
  if (usage.length === 0) return [];
  const rows = usage.map((u) => [
    `#${u.modelId}`,
    u.mode === undefined ? "?" : (MODE_LABELS[u.mode] ?? `mode ${u.mode}`),
    String(u.calls),
    String(u.finalized),
    String(u.failed),
    opg(u.fees),
  ]);
  return table(["model", "mode", "calls", "finalized", "failed", "fees OPG"], rows, [
    false,
    false,
    true,
    true,
    true,
    true,
  ]);
}

/** Fees by party: who (address), what (roles, with the models it owns or receives royalties of), how much. */
function formatParties(parties: readonly Party[], limit: number): string[] {
  if (parties.length === 0) return ["  fees by party  none yet"];
  const shown = parties.slice(0, Math.max(1, limit));
  const out = ["  fees by party (credits in the settlement contract; refunds went back to the requester's balance)"];
  const rows = shown.map((p) => [
    partyName(p.account),
    roleText(p),
    p.earned === 0n ? "-" : opg(p.earned),
    p.refunded === 0n ? "-" : opg(p.refunded),
  ]);
  out.push(...table(["party", "role(s)", "earned OPG", "refunded OPG"], rows, [false, false, true, true]));
  if (parties.length > shown.length) out.push(`    … ${parties.length - shown.length} more (all are in --json)`);
  if (shown.some((p) => p.account === VERIFIERS_PARTY)) {
    out.push(`    ${partyName(VERIFIERS_PARTY)}: the committee seats' fee-split pay (the event names no verifier)`);
  }
  return out;
}

function partyName(account: string): string {
  if (account === VERIFIERS_PARTY) return "verifiers (pooled)";
  if (account === TREASURY_PARTY) return "treasury (address not known)";
  return account;
}

const ROLE_LABELS: Record<PartyRole, string> = {
  treasury: "treasury",
  "model-owner": "model owner",
  "royalty-recipient": "royalty recipient",
  worker: "worker",
  verifier: "verifier",
  challenger: "challenger",
  requester: "requester",
  "callback-deliverer": "callback deliverer",
};

function roleText(p: Party): string {
  const ids = (models: readonly bigint[]) => models.map((id) => `#${id}`).join(", ");
  return p.roles
    .map((role) => {
      if (role === "model-owner") return `${ROLE_LABELS[role]} (${ids(p.ownedModels)})`;
      if (role === "royalty-recipient") return `${ROLE_LABELS[role]} (${ids(p.royaltyModels)})`;
      return ROLE_LABELS[role];
    })
    .join(", ");
}

/** Reasons with a non-zero amount: ": wrong result 10, minority vote 0.5" (empty when there are none). */
function reasons<K extends string>(byReason: Record<K, bigint>, labels: Record<K, string>): string {
  const parts = (Object.keys(labels) as K[])
    .filter((k) => byReason[k] > 0n)
    .map((k) => `${labels[k]} ${opg(byReason[k])}`);
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`;
}

const SHOWN_DECIMALS = 6;
const UNIT = 10n ** BigInt(18 - SHOWN_DECIMALS);

/**
 * An OPG amount for a person: rounded to 6 decimals (half up), trailing zeros dropped ("12", "1.05", "33.263333");
 * a non-zero amount that rounds to zero is "<0.000001". The exact wei are in `--json`.
 */
function opg(wei: bigint): string {
  const negative = wei < 0n;
  const abs = negative ? -wei : wei;
  const rounded = ((abs + UNIT / 2n) / UNIT) * UNIT;
  if (rounded === 0n && abs > 0n) return `${negative ? ">-" : "<"}0.${"0".repeat(SHOWN_DECIMALS - 1)}1`;
  const text = ethers.formatEther(rounded);
  return `${negative ? "-" : ""}${text.endsWith(".0") ? text.slice(0, -2) : text}`;
}

/** "1 timeout", "2 timeouts". */
function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * A table indented by four spaces: text columns left-aligned, number columns (`numeric`) right-aligned with their
 * decimal points in line.
 */
function table(header: readonly string[], rows: readonly string[][], numeric: readonly boolean[]): string[] {
  const columns = header.map((_, c) => {
    const values = rows.map((row) => row[c] ?? "");
    return numeric[c] === true ? alignDecimals(values) : values;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...columns[c]!.map((v) => v.length)));
  const line = (cells: readonly string[]) =>
    `    ${cells.map((text, c) => (numeric[c] === true ? text.padStart(widths[c]!) : text.padEnd(widths[c]!))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map((_, r) => line(columns.map((column) => column[r]!)))];
}

/** Pads numbers so that their decimal points line up ("12", "1.05" → "12   ", " 1.05"); "-" stays in the units column. */
function alignDecimals(values: readonly string[]): string[] {
  const split = values.map((v) => {
    const dot = v.indexOf(".");
    return dot < 0 ? [v, ""] : [v.slice(0, dot), v.slice(dot)];
  });
  const intWidth = Math.max(...split.map(([i]) => i!.length));
  const fracWidth = Math.max(...split.map(([, f]) => f!.length));
  return split.map(([i, f]) => `${i!.padStart(intWidth)}${f!.padEnd(fracWidth)}`);
}
