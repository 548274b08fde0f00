/**
 * The observatory's numbers from `GET /api/observatory`: the indexer's `NetworkStats` (offchain/indexer/stats.ts)
 * in the JSON form of `network:stats --json` (`statsToJson` of offchain/indexer/report.ts), bigints as decimal
 * strings.
 */
import type { NetworkStats } from "../../../offchain/indexer/stats.js";
import type { ObservatoryResponse } from "./api.js";

export interface PartyView {
  account: string;
  roles: string[];
  earned: bigint;
  refunded: bigint;
}

export interface ModelUsageView {
  modelId: string;
  mode: string | null;
  calls: number;
  finalized: number;
  failed: number;
  fees: bigint;
  royalty: bigint;
}

export interface ObservatoryView {
  syncedBlock: number;
  head: number;
  confirmations: number;
  /** Unix seconds the statistics were computed for. */
  now: number;
  requests: {
    total: number;
    windowSeconds: number;
    buckets: Array<{ start: number; count: number }>;
    byStatus: NetworkStats["requests"]["byStatus"];
    declines: number;
  };
  workers: number;
  verifiers: number;
  stake: { active: bigint; unbonding: bigint; workerWeight: bigint; verifierWeight: bigint };
  disputes: NetworkStats["disputes"];
  committees: number;
  slashes: { count: number; amount: bigint; byReason: Record<string, bigint> };
  liveness: { timeouts: number; count: number; amount: bigint; byReason: Record<string, bigint> };
  jails: NetworkStats["jails"];
  fees: {
    royalty: bigint;
    worker: bigint;
    verifier: bigint;
    treasury: bigint;
    refunds: bigint;
    callbacks: bigint;
    credits: Record<string, bigint>;
  };
  parties: PartyView[];
  models: { registered: number; active: number; suspended: number; usage: ModelUsageView[] };
}

/** The answer does not have the statistics' shape (another server version). */
export class ObservatoryFormatError extends Error {
  override readonly name = "ObservatoryFormatError";
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;
const obj = (value: unknown): Json => (isObject(value) ? value : {});
const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0));
const big = (value: unknown): bigint => {
  if (typeof value === "bigint") return value;
  if (typeof value === "number") return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return 0n;
};
const bigRecord = (value: unknown): Record<string, bigint> =>
  Object.fromEntries(Object.entries(obj(value)).map(([k, v]) => [k, big(v)]));

export function readObservatory(response: ObservatoryResponse): ObservatoryView {
  if (!isObject(response.stats) || !isObject(response.stats["requests"])) {
    throw new ObservatoryFormatError("the server's /api/observatory answer has no statistics (stats.requests)");
  }
  const stats = response.stats;
  const requests = obj(stats["requests"]);
  const windowSeconds = num(requests["bucketSeconds"] ?? 60);
  const buckets = (Array.isArray(requests["buckets"]) ? requests["buckets"] : []).map((b) => {
    const bucket = obj(b);
    return { start: num(bucket["startUnix"]), count: num(bucket["count"]) };
  });
  const byStatus = obj(requests["byStatus"]);
  const stake = obj(stats["stake"]);
  const disputes = obj(stats["disputes"]);
  const slashes = obj(stats["slashes"]);
  const liveness = obj(stats["liveness"]);
  const jails = obj(stats["jails"]);
  const fees = obj(stats["fees"]);
  const models = obj(stats["models"]);

  return {
    syncedBlock: response.syncedBlock,
    head: response.head,
    confirmations: response.confirmations,
    now: num(stats["now"]),
    requests: {
      total: num(requests["total"]),
      windowSeconds,
      buckets,
      byStatus: {
        finalized: num(byStatus["finalized"]),
        rejected: num(byStatus["rejected"]),
        expired: num(byStatus["expired"]),
        refunded: num(byStatus["refunded"]),
        open: num(byStatus["open"]),
      },
      declines: num(requests["declines"]),
    },
    workers: num(obj(stats["workers"])["active"]),
    verifiers: num(obj(stats["verifiers"])["active"]),
    stake: {
      active: big(stake["active"]),
      unbonding: big(stake["unbonding"]),
      workerWeight: big(stake["workerWeight"]),
      verifierWeight: big(stake["verifierWeight"]),
    },
    disputes: {
      opened: num(disputes["opened"]),
      upheld: num(disputes["upheld"]),
      rejected: num(disputes["rejected"]),
      undecided: num(disputes["undecided"]),
      open: num(disputes["open"]),
      juries: num(disputes["juries"]),
      appeals: num(disputes["appeals"]),
    },
    committees: num(obj(stats["committees"])["drawn"]),
    slashes: { count: num(slashes["count"]), amount: big(slashes["amount"]), byReason: bigRecord(slashes["byReason"]) },
    liveness: {
      timeouts: num(liveness["timeouts"]),
      count: num(liveness["count"]),
      amount: big(liveness["amount"]),
      byReason: bigRecord(liveness["byReason"]),
    },
    jails: { faults: num(jails["faults"]), liveness: num(jails["liveness"]) },
    fees: {
      royalty: big(fees["royalty"]),
      worker: big(fees["worker"]),
      verifier: big(fees["verifier"]),
      treasury: big(fees["treasury"]),
      refunds: big(fees["refunds"]),
      callbacks: big(fees["callbacks"]),
      credits: bigRecord(fees["credits"]),
    },
    parties: readParties(stats),
    models: {
      registered: num(models["registered"]),
      active: num(models["active"]),
      suspended: num(models["suspended"]),
      usage: (Array.isArray(models["usage"]) ? models["usage"] : []).map((u) => {
        const usage = obj(u);
        const mode = usage["modeName"];
        return {
          modelId: String(usage["modelId"]),
          mode: typeof mode === "string" ? mode : null,
          calls: num(usage["calls"]),
          finalized: num(usage["finalized"]),
          failed: num(usage["failed"]),
          fees: big(usage["fees"]),
          royalty: big(usage["royalty"]),
        };
      }),
    },
  };
}

/** Parties with their roles and what they earned or were refunded. */
function readParties(stats: Json): PartyView[] {
  return (Array.isArray(stats["parties"]) ? stats["parties"] : []).map((p) => {
    const party = obj(p);
    return {
      account: String(party["account"]),
      roles: Array.isArray(party["roles"]) ? party["roles"].map(String) : [],
      earned: big(party["earned"]),
      refunded: big(party["refunded"]),
    };
  });
}
