/**
 * Where a transaction's gas goes, from its `debug_traceTransaction` struct logs: per contract, the gas of its own
 * opcodes in a few categories (new storage slots, slot updates, cold and warm reads, events, the other opcodes)
 * plus what each call into another contract costs the caller (account access and the call itself), and the
 * intrinsic and calldata gas of the transaction. Used by `scripts/bench/gas.ts` (`OPG_BENCH_PROFILE=1`).
 */

/** One entry of a struct-log trace (the fields used here). */
export interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

export const CATEGORIES = ["newSlots", "slotUpdates", "coldReads", "warmReads", "calls", "events", "other"] as const;
export type Category = (typeof CATEGORIES)[number];
export type Breakdown = Record<Category, number>;

export interface GasProfile {
  gasUsed: number;
  /** 21,000 plus 4 gas per zero and 16 per non-zero calldata byte. */
  intrinsic: number;
  /** Per contract (by the name given for its address), its own opcodes. */
  byContract: Map<string, Breakdown>;
  /** Refunds and anything the trace does not account for: gasUsed − intrinsic − Σ opcodes. */
  unaccounted: number;
}

const CALLS = new Set(["CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"]);
const SSTORE_NEW_SLOT = 20_000; // EIP-2200: zero to non-zero

function emptyBreakdown(): Breakdown {
  return { newSlots: 0, slotUpdates: 0, coldReads: 0, warmReads: 0, calls: 0, events: 0, other: 0 };
}

function category(op: string, cost: number): Category {
  if (op === "SSTORE") return cost >= SSTORE_NEW_SLOT ? "newSlots" : "slotUpdates";
  if (op === "SLOAD") return cost >= 2_100 ? "coldReads" : "warmReads";
  if (op.startsWith("LOG")) return "events";
  return "other";
}

/** Calldata and base cost of a transaction (EIP-2028). */
export function intrinsicGas(input: string): number {
  const bytes = Buffer.from(input.replace(/^0x/, ""), "hex");
  let gas = 21_000;
  for (const byte of bytes) gas += byte === 0 ? 4 : 16;
  return gas;
}

/**
 * Splits a trace into categories per contract. `to` is the transaction's target; `nameOf` names an address
 * (lower-case hex). A call's cost to its caller is what the caller's gas drops by across the call minus what the
 * callee's opcodes used.
 */
export function profileTrace(
  logs: readonly StructLog[],
  to: string,
  input: string,
  gasUsed: number,
  nameOf: (address: string) => string,
): GasProfile {
  const byContract = new Map<string, Breakdown>();
  const add = (who: string, cat: Category, gas: number) => {
    const entry = byContract.get(who) ?? emptyBreakdown();
    entry[cat] += gas;
    byContract.set(who, entry);
  };
  // `frames[d]` is the contract running at depth d + 1. Each call still open waits for its return to learn its cost:
  // the caller's gas across the call minus what the callee's opcodes used (summed while they run).
  const frames: string[] = [nameOf(to.toLowerCase())];
  const open: { depth: number; who: string; gasBefore: number; callee: number }[] = [];
  let total = 0;
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i]!;
    while (open.length > 0 && open[open.length - 1]!.depth >= log.depth) {
      const call = open.pop()!;
      const overhead = Math.max(0, call.gasBefore - log.gas - call.callee);
      add(call.who, "calls", overhead);
      total += overhead;
      if (open.length > 0) open[open.length - 1]!.callee += call.callee + overhead;
    }
    const who = frames[log.depth - 1] ?? "?";
    const next = logs[i + 1];
    if (CALLS.has(log.op) && next !== undefined && next.depth === log.depth + 1) {
      const stack = log.stack ?? [];
      const target = `0x${BigInt(stack[stack.length - 2] ?? "0")
        .toString(16)
        .padStart(40, "0")}`;
      frames[log.depth] = nameOf(target);
      open.push({ depth: log.depth, who, gasBefore: log.gas, callee: 0 });
      continue;
    }
    const cat = CALLS.has(log.op) ? "calls" : category(log.op, log.gasCost);
    add(who, cat, log.gasCost);
    total += log.gasCost;
    if (open.length > 0) open[open.length - 1]!.callee += log.gasCost;
  }
  const intrinsic = intrinsicGas(input);
  return { gasUsed, intrinsic, byContract, unaccounted: gasUsed - intrinsic - total };
}

/** Sums the breakdowns of every contract. */
export function totalBreakdown(profile: GasProfile): Breakdown {
  const sum = emptyBreakdown();
  for (const entry of profile.byContract.values()) for (const cat of CATEGORIES) sum[cat] += entry[cat];
  return sum;
}

/** Divides every figure by `n` (a batch's per-inference share). */
export function scaleProfile(profile: GasProfile, n: number): GasProfile {
  const byContract = new Map<string, Breakdown>();
  for (const [who, entry] of profile.byContract) {
    const scaled = emptyBreakdown();
    for (const cat of CATEGORIES) scaled[cat] = entry[cat] / n;
    byContract.set(who, scaled);
  }
  return {
    gasUsed: profile.gasUsed / n,
    intrinsic: profile.intrinsic / n,
    byContract,
    unaccounted: profile.unaccounted / n,
  };
}

/** Adds profiles (the transactions of one step). */
export function mergeProfiles(profiles: readonly GasProfile[]): GasProfile {
  const byContract = new Map<string, Breakdown>();
  let gasUsed = 0;
  let intrinsic = 0;
  let unaccounted = 0;
  for (const profile of profiles) {
    gasUsed += profile.gasUsed;
    intrinsic += profile.intrinsic;
    unaccounted += profile.unaccounted;
    for (const [who, entry] of profile.byContract) {
      const sum = byContract.get(who) ?? emptyBreakdown();
      for (const cat of CATEGORIES) sum[cat] += entry[cat];
      byContract.set(who, sum);
    }
  }
  return { gasUsed, intrinsic, byContract, unaccounted };
}
