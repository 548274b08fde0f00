/**
 * Presentation helpers for {@link NetworkStats}: time-bucket labels a person can read (dates, UTC, the bucket size
 * in words), a sparkline, and the JSON form of the statistics (bigints as decimal strings, times as ISO 8601).
 * Pure functions without Node-only APIs, so a web page can use them as the `network:stats` task does.
 */
import type { ModelUsage, NetworkStats, Party } from "./stats.js";

/** Verification modes in the hub's order (as `MODE_NAMES` of the Node-only client). */
export const MODE_LABELS = ["NONE", "OPTIMISTIC", "COMMITTEE"] as const;

const UNITS = [
  { seconds: 86_400, one: "day", many: "days" },
  { seconds: 3_600, one: "hour", many: "hours" },
  { seconds: 60, one: "min", many: "min" },
  { seconds: 1, one: "s", many: "s" },
] as const;

/** A duration in the largest unit that divides it: 3600 → "1 hour", 300 → "5 min", 172800 → "2 days", 90 → "90 s". */
export function describeDuration(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new RangeError(`not a positive whole number of seconds: ${seconds}`);
  const unit = UNITS.find((u) => seconds % u.seconds === 0) ?? UNITS[UNITS.length - 1]!;
  const n = seconds / unit.seconds;
  return `${n} ${n === 1 ? unit.one : unit.many}`;
}

/** The bucket size as a rate: 3600 → "per hour", 300 → "per 5 min", 60 → "per minute", 1 → "per second". */
export function perBucket(seconds: number): string {
  if (seconds === 60) return "per minute";
  if (seconds === 1) return "per second";
  const words = describeDuration(seconds);
  return `per ${words.startsWith("1 ") ? words.slice(2) : words}`;
}

/** Unix seconds as ISO 8601 UTC without milliseconds: "2026-12-01T07:00:00Z". */
export function isoTime(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

/** Unix seconds as "2026-12-01 07:00:05 UTC". */
export function utcTime(unix: number): string {
  return `${isoTime(unix).slice(0, 10)} ${isoTime(unix).slice(11, 19)} UTC`;
}

/**
 * The UTC interval [start, start + width) with its date: "2026-12-01 07:00–08:00" (a bucket ending at midnight ends
 * at "24:00"), seconds when the bucket needs them ("2026-12-01 07:00:30–07:01:00"), whole days as dates
 * ("2026-12-01", "2026-12-01 – 2026-12-07"), and both dates for a bucket longer than a day
 * ("2026-12-01 12:00 – 2026-12-03 12:00").
 */
export function bucketLabel(start: number, width: number): string {
  const end = start + width;
  const date = (t: number) => isoTime(t).slice(0, 10);
  if (width % 86_400 === 0 && start % 86_400 === 0) {
    return width === 86_400 ? date(start) : `${date(start)} – ${date(end - 86_400)}`;
  }
  const withSeconds = width % 60 !== 0 || start % 60 !== 0;
  const clock = (t: number) => isoTime(t).slice(11, withSeconds ? 19 : 16);
  if (date(end) === date(start)) return `${date(start)} ${clock(start)}–${clock(end)}`;
  if (end % 86_400 === 0 && width <= 86_400) {
    return `${date(start)} ${clock(start)}–${withSeconds ? "24:00:00" : "24:00"}`;
  }
  return `${date(start)} ${clock(start)} – ${date(end)} ${clock(end)}`;
}

const BARS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;

/** One character per count, scaled to the largest: zero is "▁", any other count at least "▂", the largest "█". */
export function sparkline(counts: readonly number[]): string {
  const max = Math.max(0, ...counts);
  return counts
    .map((c) => (c <= 0 || max === 0 ? BARS[0] : BARS[Math.max(1, Math.round((c / max) * (BARS.length - 1)))]!))
    .join("");
}

// ------------------------------------------------------------------------------------------------- JSON

/** `T` as JSON: bigints become decimal strings, `undefined` becomes `null`. */
export type Jsonified<T> = T extends bigint
  ? string
  : T extends undefined
    ? null
    : T extends readonly (infer U)[]
      ? Jsonified<U>[]
      : T extends object
        ? { [K in keyof T]: Jsonified<T[K]> }
        : T;

/** One time bucket: `[start, end)` in ISO 8601 UTC and unix seconds. */
export interface BucketJson {
  start: string;
  end: string;
  startUnix: number;
  count: number;
}

/** The JSON form of {@link NetworkStats} (what `network:stats --json` prints). */
export interface StatsJson {
  syncedBlock: number;
  /** The `now` of the statistics (the last synced block's time unless given), ISO 8601 UTC, and unix seconds. */
  syncedAt: string;
  now: number;
  requests: Jsonified<Omit<NetworkStats["requests"], "perWindow" | "windowSeconds">> & {
    bucketSeconds: number;
    /** The bucket size in words ("per hour"). */
    bucketSize: string;
    buckets: BucketJson[];
  };
  workers: NetworkStats["workers"];
  verifiers: NetworkStats["verifiers"];
  stake: Jsonified<NetworkStats["stake"]>;
  disputes: NetworkStats["disputes"];
  committees: NetworkStats["committees"];
  /** Fault slashes only. */
  slashes: Jsonified<NetworkStats["slashes"]>;
  /** Missed deadlines: timeouts, missing reveals, silence. */
  liveness: Jsonified<NetworkStats["liveness"]>;
  jails: NetworkStats["jails"];
  /** The fee totals; per account see `parties`. */
  fees: Jsonified<Omit<NetworkStats["fees"], "byParty">>;
  parties: Array<Jsonified<Party>>;
  models: Jsonified<Omit<NetworkStats["models"], "usage">> & {
    usage: Array<Jsonified<ModelUsage> & { modeName: string | null }>;
  };
}

/** Deep copy with bigints as strings and `undefined` as `null` (plain objects and arrays only). */
export function jsonify<T>(value: T): Jsonified<T> {
  return convert(value) as Jsonified<T>;
}

function convert(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(convert);
  if (value instanceof Map) throw new TypeError("jsonify: a Map has no defined JSON form; convert it first");
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
  }
  return value;
}

/** The statistics as a JSON value (see {@link StatsJson}); `fees.byParty` is in `parties`, with roles. */
export function statsToJson(stats: NetworkStats): StatsJson {
  const { perWindow, windowSeconds, ...requests } = stats.requests;
  const { byParty: _byParty, ...fees } = stats.fees;
  const { usage, ...models } = stats.models;
  return {
    syncedBlock: stats.syncedBlock,
    syncedAt: isoTime(stats.now),
    now: stats.now,
    requests: {
      ...jsonify(requests),
      bucketSeconds: windowSeconds,
      bucketSize: perBucket(windowSeconds),
      buckets: perWindow.map((w) => ({
        start: isoTime(w.start),
        end: isoTime(w.start + windowSeconds),
        startUnix: w.start,
        count: w.count,
      })),
    },
    workers: stats.workers,
    verifiers: stats.verifiers,
    stake: jsonify(stats.stake),
    disputes: stats.disputes,
    committees: stats.committees,
    slashes: jsonify(stats.slashes),
    liveness: jsonify(stats.liveness),
    jails: stats.jails,
    fees: jsonify(fees),
    parties: jsonify(stats.parties),
    models: {
      ...jsonify(models),
      usage: usage.map((u) => ({
        ...jsonify(u),
        modeName: u.mode === undefined ? null : (MODE_LABELS[u.mode] ?? `mode ${u.mode}`),
      })),
    },
  };
}

/** {@link statsToJson} printed with two-space indentation: the whole `network:stats --json` output. */
export function formatStatsJson(stats: NetworkStats): string {
  return JSON.stringify(statsToJson(stats), null, 2);
}
