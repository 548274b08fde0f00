/**
 * Node throughput benchmark on the multi-process local network (offchain/devnet/multiprocess.ts, as `npm run
 * network` runs it): for 1, 2 and 4 worker processes it starts the chain (Hardhat's JSON-RPC server in this
 * process, wall-clock block timestamps, automine plus a block every second), deploys the protocol with Ignition,
 * registers the demo models and starts every worker, verifier and keeper as its own OS process running the task an
 * operator runs (`hardhat worker|verifier|keeper --network localhost ...`). Then, per mode (NONE, COMMITTEE,
 * OPTIMISTIC, in that order, on the same iris-linear model), one requester keeps a fixed number of requests in
 * flight until a fixed number reached a terminal state, and the benchmark reports:
 *
 *   - inferences/s: Finalized requests / wall time from the first request sent to the last one Finalized;
 *   - latency p50/p99: wall ms from sending the request transaction to seeing its RequestFinalized event;
 *   - gas and transactions per inference as spent: the gasUsed of every transaction mined during the measured
 *     interval (every account: requester, workers, verifiers, keeper; reverted ones included), read from the
 *     receipts, divided by the Finalized requests;
 *   - CPU of each process group over the interval (chain + requester, workers, verifiers, keeper; /proc);
 *   - the worker's overhead over a bare onnxruntime `session.run` on the same model (timed here before any
 *     network runs, and from the workers' own `job.submitted` computeMs).
 *
 * OPTIMISTIC and COMMITTEE run with short windows (`shortWindowParameters`: every window and the response timeout
 * at the contracts' 60-second minimum, as the soak uses). An OPTIMISTIC request is final only after its challenge
 * window, so its throughput is in-flight-bound (inferences/s ≈ in flight / latency): it runs as one wave of
 * requests all in flight, and its latency and gas are the figures that mean something. COMMITTEE ends when every
 * seat has revealed, so its latency is the draw, commit and reveal round trips.
 *
 * It prints figures; it asserts nothing about time. Ctrl-C stops every node process (SIGINT, they drain) and the
 * chain. Node logs stay in .opg/bench/workers-<n>/logs/<node>.log until the next run.
 *
 *   npm run bench:nodes                          (or: npx hardhat run --no-compile scripts/bench/throughput.ts)
 *   OPG_BENCH_JSON=1 npm run bench:nodes         (JSON on stdout; progress on stderr)
 *
 * Knobs (environment):
 *   OPG_BENCH_WORKERS                worker process counts, default "1,2,4"
 *   OPG_BENCH_MODES                  modes, default "none,committee,optimistic"
 *   OPG_BENCH_REQUESTS               NONE requests measured per configuration, default 256
 *   OPG_BENCH_IN_FLIGHT              NONE requests in flight, default 64
 *   OPG_BENCH_COMMITTEE_REQUESTS     default 96;  OPG_BENCH_COMMITTEE_IN_FLIGHT  default 32
 *   OPG_BENCH_OPTIMISTIC_REQUESTS    default 64;  OPG_BENCH_OPTIMISTIC_IN_FLIGHT default 64 (one wave)
 *   OPG_BENCH_SEQUENTIAL             NONE requests one at a time with 1 worker, for the overhead figure, default 30
 *   OPG_BENCH_VERIFIERS              verifier processes, default 3 (the committee size)
 *   OPG_BENCH_POLL_MS                node poll interval (`--poll-ms`), default 100
 *   OPG_BENCH_CONCURRENCY            jobs each node runs at once (`--concurrency`), default 8
 *   OPG_BENCH_WINDOW_S               every verification window and the response timeout, default 60 (the minimum)
 *   OPG_BENCH_WATCH_MS               how often the requester polls for terminal events, default 20
 *   OPG_BENCH_BLOCK_GAS, OPG_BENCH_BLOCK_SECONDS   the real chain of the bound estimate, default 30,000,000 and 12
 *   OPG_BENCH_LOGS=1                 print the node processes' output (always in their log files)
 */
import { readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { Interface } from "ethers";
import { network } from "hardhat";
import ort from "onnxruntime-node";

import { PARAMETER_DEFAULTS } from "../../ignition/defaults.js";
import { encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import { requestInference } from "../../offchain/devnet/lifecycle.js";
import { LogReader, TERMINAL_EVENTS, gasSpent, percentile } from "../../offchain/devnet/measure.js";
import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  shortWindowParameters,
  type MultiProcessNetwork,
} from "../../offchain/devnet/multiprocess.js";
import type { NetworkModel } from "../../offchain/devnet/network.js";
import { Mode, OPG, Status, depositAs, type Protocol } from "../../offchain/devnet/protocol.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime, defaultSessionOptions } from "../../offchain/model/runtime.js";
import { sha256Hex } from "../../offchain/model/store.js";

// ------------------------------------------------------------------------------------------------ knobs

const envInt = (name: string, fallback: number, min = 1): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${raw}`);
  return value;
};
const envList = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

const WORKER_COUNTS = envList("OPG_BENCH_WORKERS", "1,2,4").map((s) => {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < 1 || n > 8) throw new Error(`OPG_BENCH_WORKERS: ${s} is not 1..8`);
  return n;
});
const MODE_ORDER = [Mode.NONE, Mode.COMMITTEE, Mode.OPTIMISTIC];
const MODES = envList("OPG_BENCH_MODES", "none,committee,optimistic").map((s) => {
  const mode = Mode[s.toUpperCase() as keyof typeof Mode];
  if (mode === undefined) throw new Error(`OPG_BENCH_MODES: unknown mode ${s} (none, committee, optimistic)`);
  return mode;
});
MODES.sort((a, b) => MODE_ORDER.indexOf(a) - MODE_ORDER.indexOf(b));

interface Load {
  requests: number;
  inFlight: number;
  /** Requests (as many in flight) before the measured ones: model caches, sessions, first-call paths. */
  warmup: number;
}
const LOAD: Record<Mode, Load> = {
  [Mode.NONE]: {
    requests: envInt("OPG_BENCH_REQUESTS", 256),
    inFlight: envInt("OPG_BENCH_IN_FLIGHT", 64),
    warmup: 16,
  },
  [Mode.COMMITTEE]: {
    requests: envInt("OPG_BENCH_COMMITTEE_REQUESTS", 96),
    inFlight: envInt("OPG_BENCH_COMMITTEE_IN_FLIGHT", 32),
    warmup: 3,
  },
  // No warm-up: it would cost a whole window, and the model (the same bytes in every mode) is warm by then.
  [Mode.OPTIMISTIC]: {
    requests: envInt("OPG_BENCH_OPTIMISTIC_REQUESTS", 64),
    inFlight: envInt("OPG_BENCH_OPTIMISTIC_IN_FLIGHT", 64),
    warmup: 0,
  },
};
const SEQUENTIAL = envInt("OPG_BENCH_SEQUENTIAL", 30, 0);
const VERIFIERS = envInt("OPG_BENCH_VERIFIERS", 3);
const POLL_MS = envInt("OPG_BENCH_POLL_MS", 100);
const CONCURRENCY = envInt("OPG_BENCH_CONCURRENCY", 8);
const WINDOW_S = envInt("OPG_BENCH_WINDOW_S", 60, 60);
const WATCH_MS = envInt("OPG_BENCH_WATCH_MS", 20);
const BLOCK_GAS = envInt("OPG_BENCH_BLOCK_GAS", 30_000_000);
const BLOCK_SECONDS = envInt("OPG_BENCH_BLOCK_SECONDS", 12);
const JSON_OUT = process.env.OPG_BENCH_JSON === "1";
const NODE_LOGS = process.env.OPG_BENCH_LOGS === "1";
/**
 * A request's gas depends on the worker draw, which depends on state at mining time: with requests in flight an
 * estimate can fall short (ethers adds no margin). A fixed limit also saves an estimateGas call per request.
 */
const REQUEST_GAS_LIMIT = 1_000_000n;
/** After the last request of a run is final: lets the nodes' last transactions (a lost finalize race) be mined. */
const SETTLE_MS = 3_000;
const BARE_ITERATIONS = 5_000;
const BARE_WARMUP = 500;

// ------------------------------------------------------------------------------------------------ helpers

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms
const startedAt = now();
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const progress = (message: string) =>
  process.stderr.write(`[${((now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
const int = (n: number) => Math.round(n).toLocaleString("en-US");

/** CPU seconds (user + system) of processes, from /proc (Linux); NaN elsewhere. */
class CpuClock {
  static readonly TICKS_PER_SECOND = 100; // USER_HZ on Linux

  /** utime + stime of every process, with its parent, in ticks. */
  static async snapshot(): Promise<Map<number, { ppid: number; ticks: number }>> {
    const table = new Map<number, { ppid: number; ticks: number }>();
    const entries = await readdir("/proc").catch(() => [] as string[]);
    await Promise.all(
      entries
        .filter((e) => /^\d+$/.test(e))
        .map(async (pid) => {
          const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
          if (stat === null) return;
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
          table.set(Number(pid), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
        }),
    );
    return table;
  }

  /** CPU seconds of `pid` and (optionally) every descendant of it in `table`. */
  static seconds(table: Map<number, { ppid: number; ticks: number }>, pid: number, tree: boolean): number {
    if (!table.has(pid)) return Number.NaN;
    let ticks = table.get(pid)!.ticks;
    if (tree) {
      const children = new Map<number, number[]>();
      for (const [p, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), p]);
      const stack = [...(children.get(pid) ?? [])];
      while (stack.length > 0) {
        const p = stack.pop()!;
        ticks += table.get(p)!.ticks;
        stack.push(...(children.get(p) ?? []));
      }
    }
    return ticks / CpuClock.TICKS_PER_SECOND;
  }

  /** Busy and total CPU seconds of the whole machine (every process, other users' included). */
  static async machine(): Promise<{ busy: number; total: number }> {
    const text = await readFile("/proc/stat", "utf8").catch(() => "");
    const fields = (text.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
    if (fields.length < 5) return { busy: Number.NaN, total: Number.NaN };
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = fields[3]! + fields[4]!; // idle + iowait
    return { busy: (total - idle) / CpuClock.TICKS_PER_SECOND, total: total / CpuClock.TICKS_PER_SECOND };
  }
}

type Group = "chain+requester" | "workers" | "verifiers" | "keeper";
const GROUPS: readonly Group[] = ["chain+requester", "workers", "verifiers", "keeper"];

/** CPU seconds per process group now (the chain and the requester are this process; the nodes are their trees). */
async function cpuByGroup(net: MultiProcessNetwork): Promise<Record<Group | "machine", number>> {
  const table = await CpuClock.snapshot();
  const out: Record<Group | "machine", number> = {
    "chain+requester": CpuClock.seconds(table, process.pid, false),
    workers: 0,
    verifiers: 0,
    keeper: 0,
    machine: (await CpuClock.machine()).busy,
  };
  for (const node of net.group.nodes) {
    if (node.pid === undefined) continue;
    const group: Group = node.spec.name.startsWith("worker")
      ? "workers"
      : node.spec.name.startsWith("verifier")
        ? "verifiers"
        : "keeper";
    out[group] += CpuClock.seconds(table, node.pid, true);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ Ctrl-C

/** The network running now, stopped once (by the run, or by a signal). */
let current: { net: MultiProcessNetwork; deploymentId: string; stopped?: Promise<void> } | null = null;
const root = process.cwd();

function stopCurrent(): Promise<void> {
  if (current === null) return Promise.resolve();
  const running = current;
  running.stopped ??= (async () => {
    await running.net.stop();
    await removeIgnitionJournal(root, running.deploymentId);
  })();
  return running.stopped;
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130); // a second Ctrl-C: children are SIGKILLed on exit (processes.ts)
    interrupted = true;
    progress(`${signal}: stopping the node processes (they drain) and the chain; Ctrl-C again to kill them`);
    void stopCurrent().finally(() => process.exit(130));
  });
}

// ------------------------------------------------------------------------------------------------ requests

interface Sample {
  requestId: bigint;
  sentAt: number;
  doneAt: number;
  status: Status;
}

/** Follows the hub's terminal events; wall time at which each request was first seen terminal. */
class TerminalWatcher {
  readonly #seen = new Map<bigint, { status: Status; at: number }>();
  readonly #waiters = new Map<bigint, () => void>();
  readonly #reader: LogReader;
  #running = true;
  #failure: unknown = null;
  readonly #loop: Promise<void>;

  constructor(protocol: Protocol, fromBlock: number) {
    this.#reader = new LogReader(
      protocol.provider,
      [{ address: protocol.addresses.hub, interface: protocol.hub.interface }],
      fromBlock,
    );
    this.#loop = this.#run();
  }

  async wait(requestId: bigint, timeoutMs: number): Promise<{ status: Status; at: number }> {
    const deadline = now() + timeoutMs;
    while (!this.#seen.has(requestId)) {
      if (this.#failure !== null) throw this.#failure;
      if (now() > deadline) throw new Error(`request ${requestId} not terminal ${timeoutMs} ms after it was sent`);
      await new Promise<void>((resolve) => {
        this.#waiters.set(requestId, resolve);
        setTimeout(resolve, 1_000);
      });
    }
    return this.#seen.get(requestId)!;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        const logs = await this.#reader.poll();
        const at = now();
        for (const { event } of logs) {
          const status = TERMINAL_EVENTS[event.name];
          if (status === undefined) continue;
          const id = event.args[0] as bigint;
          if (this.#seen.has(id)) continue;
          this.#seen.set(id, { status, at });
          this.#waiters.get(id)?.();
          this.#waiters.delete(id);
        }
      } catch (error) {
        this.#failure = error;
        for (const resolve of this.#waiters.values()) resolve();
        return;
      }
      await sleep(WATCH_MS);
    }
  }
}

interface Requester {
  protocol: Protocol;
  signer: Protocol["deployer"];
  model: NetworkModel;
  input: Uint8Array;
  fee: bigint;
  timeoutMs: number;
}

/** Keeps `inFlight` requests open until `total` reached a terminal state. */
async function closedLoop(
  r: Requester,
  total: number,
  inFlight: number,
): Promise<{ samples: Sample[]; wallMs: number }> {
  const watcher = new TerminalWatcher(r.protocol, (await r.protocol.provider.getBlockNumber()) + 1);
  const samples: Sample[] = [];
  let issued = 0;
  const t0 = now();
  const lane = async () => {
    while (issued < total && !interrupted) {
      issued++;
      const sentAt = now();
      const { requestId } = await requestInference(r.protocol, r.signer, r.model.id, r.input, {
        maxFee: r.fee,
        gasLimit: REQUEST_GAS_LIMIT,
      });
      const { status, at } = await watcher.wait(requestId, r.timeoutMs);
      samples.push({ requestId, sentAt, doneAt: at, status });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
  } finally {
    await watcher.stop();
  }
  return { samples, wallMs: now() - t0 };
}

// ------------------------------------------------------------------------------------------------ one run

interface RunResult {
  mode: string;
  workers: number;
  requests: number;
  inFlight: number;
  finalized: number;
  /** Other terminal states reached (none expected: every node is honest). */
  otherTerminal: Record<string, number>;
  wallSeconds: number;
  inferencesPerSecond: number;
  latencyMs: { p50: number; p99: number; mean: number; min: number; max: number };
  gas: {
    total: string;
    perInference: number;
    transactions: number;
    transactionsPerInference: number;
    reverted: number;
    /** Reverted transactions by sender role and function: "verifiers drawCommittee" → count. */
    revertedCalls: Record<string, number>;
    /** Gas the reverted transactions burnt, per inference (part of perInference). */
    revertedGasPerInference: number;
    blocks: number;
    /** Gas and transactions per inference by who sent them. */
    bySender: Record<string, { gasPerInference: number; transactionsPerInference: number }>;
  };
  /** Share of one core each process group used over the run (200 % = both cores of a 2-core machine). */
  cpuPercent: Record<Group | "machine", number>;
  /** CPU time of all the benchmark's processes (chain, requester, nodes) per Finalized request. */
  cpuMsPerInference: number;
  /** The workers' computeMs (read request, event and model + model store + runtime.run) in this run. */
  workerComputeMsP50: number;
}

/** The worker's own timing of each job it served (`job.submitted ... computeMs=`), tagged by the run it fell in. */
let phase = "setup";
/** "<n>w": the configuration whose nodes are running, for the warning counts. */
let configuration = "";
const computeMs: Array<{ phase: string; value: number }> = [];
const nodeWarnings = new Map<string, number>();
function onNodeLine(line: string): void {
  if (NODE_LOGS) process.stderr.write(line + "\n");
  const name = line.slice(1, line.indexOf("]"));
  if (name.startsWith("worker") && line.includes(" job.submitted ")) {
    const match = / computeMs=([\d.]+)/.exec(line);
    if (match !== null) computeMs.push({ phase, value: Number(match[1]) });
  }
  const key = `${configuration}/${name}`;
  if (/ (warn|error) +\[/.test(line)) nodeWarnings.set(key, (nodeWarnings.get(key) ?? 0) + 1);
}

async function measure(
  net: MultiProcessNetwork,
  r: Requester,
  workers: number,
  load: { requests: number; inFlight: number },
  label: string,
): Promise<RunResult> {
  const provider = net.connection.ethers.provider;
  const { actors } = net.deployed;
  const signers = await net.connection.ethers.getSigners();
  const keeper = signers[4 + actors.workers.length + actors.verifiers.length]!.address.toLowerCase();
  const roleOf = (address: string): string => {
    if (address === actors.requester.address.toLowerCase()) return "requester";
    if (actors.workers.some((w) => w.address.toLowerCase() === address)) return "workers";
    if (actors.verifiers.some((v) => v.address.toLowerCase() === address)) return "verifiers";
    if (address === keeper) return "keeper";
    return "other";
  };

  phase = label;
  const firstBlock = (await provider.getBlockNumber()) + 1;
  const cpuBefore = await cpuByGroup(net);
  const { samples, wallMs } = await closedLoop(r, load.requests, load.inFlight);
  const cpuAfter = await cpuByGroup(net);
  await sleep(SETTLE_MS);
  const lastBlock = await provider.getBlockNumber();
  const spent = await gasSpent(provider, firstBlock, lastBlock);

  const finalized = samples.filter((s) => s.status === Status.Finalized);
  const latencies = finalized.map((s) => s.doneAt - s.sentAt).sort((a, b) => a - b);
  const otherTerminal: Record<string, number> = {};
  for (const s of samples) {
    if (s.status !== Status.Finalized) otherTerminal[Status[s.status]] = (otherTerminal[Status[s.status]] ?? 0) + 1;
  }
  const n = Math.max(1, finalized.length);
  const byRole = new Map<string, { gas: bigint; transactions: number }>();
  for (const [sender, tally] of spent.bySender) {
    const role = roleOf(sender);
    const entry = byRole.get(role) ?? { gas: 0n, transactions: 0 };
    entry.gas += tally.gasUsed;
    entry.transactions += tally.transactions;
    byRole.set(role, entry);
  }
  const revertedCalls: Record<string, number> = {};
  const { hub, committee, optimistic, court } = net.deployed.protocol;
  for (const tx of spent.revertedTransactions) {
    let fn = tx.selector;
    const interfaces: Interface[] = [hub.interface, committee.interface, optimistic.interface, court.interface];
    for (const iface of interfaces) {
      const fragment = iface.getFunction(tx.selector);
      if (fragment !== null) {
        fn = fragment.name;
        break;
      }
    }
    const key = `${roleOf(tx.from)} ${fn}`;
    revertedCalls[key] = (revertedCalls[key] ?? 0) + 1;
  }
  const seconds = wallMs / 1000;
  const cpuPercent = {} as Record<Group | "machine", number>;
  for (const key of [...GROUPS, "machine"] as const) {
    cpuPercent[key] = (100 * (cpuAfter[key] - cpuBefore[key])) / seconds;
  }
  return {
    mode: Mode[r.model.mode],
    workers,
    requests: load.requests,
    inFlight: Math.min(load.inFlight, load.requests),
    finalized: finalized.length,
    otherTerminal,
    wallSeconds: seconds,
    inferencesPerSecond: finalized.length / seconds,
    latencyMs: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      mean: latencies.reduce((sum, l) => sum + l, 0) / Math.max(1, latencies.length),
      min: latencies[0] ?? 0,
      max: latencies.at(-1) ?? 0,
    },
    gas: {
      total: spent.gasUsed.toString(),
      perInference: Number(spent.gasUsed) / n,
      transactions: spent.transactions,
      transactionsPerInference: spent.transactions / n,
      reverted: spent.reverted,
      revertedCalls,
      revertedGasPerInference: Number(spent.revertedTransactions.reduce((sum, t) => sum + t.gasUsed, 0n)) / n,
      blocks: spent.blocks,
      bySender: Object.fromEntries(
        [...byRole.entries()].map(([role, e]) => [
          role,
          { gasPerInference: Number(e.gas) / n, transactionsPerInference: e.transactions / n },
        ]),
      ),
    },
    cpuPercent,
    cpuMsPerInference: (1000 * GROUPS.reduce((sum, g) => sum + cpuAfter[g] - cpuBefore[g], 0)) / n,
    workerComputeMsP50: median(computeMs.filter((c) => c.phase === label).map((c) => c.value)),
  };
}

// ------------------------------------------------------------------------------------------------ bare onnxruntime

const irisDemo = buildDemoModels().find((m) => m.name === "iris-linear");
if (irisDemo === undefined) throw new Error("no iris-linear demo model");
const input = encodeTensors([irisDemo.exampleInput]);
const loadAtStart = os.loadavg();

progress("timing bare onnxruntime and ModelRuntime.run on iris-linear (nothing else running)");
const bareSession = await ort.InferenceSession.create(irisDemo.bytes, defaultSessionOptions());
const exampleInput = irisDemo.exampleInput as TensorData;
const feeds = {
  [bareSession.inputNames[0]!]: new ort.Tensor("float32", Float32Array.from(exampleInput.data as number[]), [
    ...exampleInput.shape,
  ]),
};
const bareMs: number[] = [];
for (let i = 0; i < BARE_WARMUP + BARE_ITERATIONS; i++) {
  const t = now();
  await bareSession.run(feeds);
  if (i >= BARE_WARMUP) bareMs.push(now() - t);
}
await bareSession.release();
const runtime = new ModelRuntime();
const loaded = await runtime.load(`0x${sha256Hex(irisDemo.bytes)}`, irisDemo.bytes);
const runtimeMs: number[] = [];
for (let i = 0; i < BARE_WARMUP + BARE_ITERATIONS; i++) {
  const t = now();
  const outcome = await runtime.run(loaded, input, irisDemo.outputDecimals);
  if (i >= BARE_WARMUP) runtimeMs.push(now() - t);
  if (outcome.kind !== "ok") throw new Error(`iris-linear failed: ${outcome.code} ${outcome.detail}`);
}
await runtime.close();

// ------------------------------------------------------------------------------------------------ the runs

const results: RunResult[] = [];
const launches: Array<{ workers: number; processes: number; launchSeconds: number }> = [];
let sequential: { samples: Sample[]; wallMs: number; computeMsP50: number } | null = null;
const benchDir = path.join(root, ".opg", "bench");
await rm(benchDir, { recursive: true, force: true });

for (const workers of WORKER_COUNTS) {
  if (interrupted) break;
  const dir = path.join(benchDir, `workers-${workers}`);
  const deploymentId = `opg-bench-${process.pid}-${Date.now()}`;
  const processes = workers + VERIFIERS + 1;
  configuration = `${workers}w`;
  progress(`${workers} worker(s): chain, deployment and ${processes} node processes starting`);
  const t0 = now();
  const net = await launchMultiProcessNetwork({
    networkManager: network,
    root,
    dir,
    port: 0,
    workers,
    verifiers: VERIFIERS,
    keepers: 1,
    models: "demo",
    parameters: await shortWindowParameters(WINDOW_S),
    deploymentId,
    pollMs: POLL_MS,
    concurrency: CONCURRENCY,
    print: onNodeLine,
  });
  current = { net, deploymentId };
  try {
    if (interrupted) break;
    await net.untilStarted(180_000);
    launches.push({ workers, processes, launchSeconds: (now() - t0) / 1000 });
    const { protocol, actors, models } = net.deployed;
    const maxLifecycleMs = Number(await protocol.hub.maxLifecycleDuration()) * 1000 + 60_000;
    const requesterFor = async (mode: Mode): Promise<Requester> => {
      const model = models.find((m) => m.name === "iris-linear" && m.mode === mode);
      if (model === undefined) throw new Error(`the network registered no iris-linear ${Mode[mode]} model`);
      const [modelFee, protocolFee] = await protocol.hub.quote(model.id);
      return {
        protocol,
        signer: actors.requester,
        model,
        input,
        fee: modelFee + protocolFee,
        timeoutMs: maxLifecycleMs,
      };
    };
    // Fees for every request of this network, on top of the 1,000 OPG it deposited.
    const count = MODES.reduce((sum, m) => sum + LOAD[m].requests + LOAD[m].warmup, 0) + SEQUENTIAL;
    await depositAs(protocol, actors.requester, BigInt(count) * 2n * OPG);

    for (const mode of MODES) {
      if (interrupted) break;
      const r = await requesterFor(mode);
      const load = LOAD[mode];
      if (load.warmup > 0) {
        progress(`${workers} worker(s), ${Mode[mode]}: ${load.warmup} warm-up requests`);
        phase = "warmup";
        await closedLoop(r, load.warmup, Math.min(load.warmup, load.inFlight));
      }
      if (mode === Mode.NONE && workers === 1 && SEQUENTIAL > 0) {
        progress(`1 worker, NONE: ${SEQUENTIAL} requests one at a time (worker overhead)`);
        phase = "sequential";
        const run = await closedLoop(r, SEQUENTIAL, 1);
        sequential = {
          ...run,
          computeMsP50: median(computeMs.filter((c) => c.phase === "sequential").map((c) => c.value)),
        };
      }
      progress(
        `${workers} worker(s), ${Mode[mode]}: ${load.requests} requests, ${Math.min(load.inFlight, load.requests)} in flight`,
      );
      const result = await measure(net, r, workers, load, `${Mode[mode]}-${workers}`);
      results.push(result);
      progress(
        `  ${result.finalized}/${result.requests} finalized, ${result.inferencesPerSecond.toFixed(2)} inferences/s, ` +
          `p50 ${int(result.latencyMs.p50)} ms, p99 ${int(result.latencyMs.p99)} ms, ${int(result.gas.perInference)} gas/inference`,
      );
    }
  } catch (error) {
    if (!interrupted) throw error; // else: the signal stopped the network under the run's feet
  } finally {
    progress(`${workers} worker(s): stopping the node processes and the chain`);
    await stopCurrent();
    current = null;
  }
}
if (interrupted) await new Promise(() => undefined); // the signal handler exits once everything stopped
const totalSeconds = (now() - startedAt) / 1000;

// ------------------------------------------------------------------------------------------------ report

const a = median(bareMs);
const b = median(runtimeMs);
const seqLatencies = (sequential?.samples ?? []).map((s) => s.doneAt - s.sentAt).sort((x, y) => x - y);
const gasOf = (mode: string) => {
  const rows = results.filter((r) => r.mode === mode);
  return rows.length === 0 ? Number.NaN : rows.reduce((sum, r) => sum + r.gas.perInference, 0) / rows.length;
};
const realChain = MODES.map((mode) => {
  const gas = gasOf(Mode[mode]);
  const perBlock = Math.floor(BLOCK_GAS / gas);
  return { mode: Mode[mode], gasPerInference: gas, perBlock, perSecond: perBlock / BLOCK_SECONDS };
});

if (JSON_OUT) {
  console.log(
    JSON.stringify(
      {
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), loadAtStart, loadAtEnd: os.loadavg() },
        settings: {
          verifiers: VERIFIERS,
          keepers: 1,
          pollMs: POLL_MS,
          concurrency: CONCURRENCY,
          windowSeconds: WINDOW_S,
          load: Object.fromEntries(MODES.map((m) => [Mode[m], LOAD[m]])),
        },
        launches,
        results,
        overhead: {
          bareSessionRunMs: a,
          modelRuntimeRunMs: b,
          workerComputeMs: sequential?.computeMsP50 ?? null,
          oneInFlight:
            sequential === null
              ? null
              : {
                  requests: sequential.samples.length,
                  inferencesPerSecond: sequential.samples.length / (sequential.wallMs / 1000),
                  latencyP50Ms: percentile(seqLatencies, 50),
                  latencyP99Ms: percentile(seqLatencies, 99),
                },
        },
        realChain: { blockGas: BLOCK_GAS, blockSeconds: BLOCK_SECONDS, modes: realChain },
        nodeWarnings: Object.fromEntries(nodeWarnings),
        totalSeconds,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

const cpus = os.cpus();
const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
console.log("\nOPG node throughput benchmark (multi-process local network)\n");
console.log(
  `Machine     ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; ` +
    `load average ${loads(loadAtStart)} at start, ${loads(os.loadavg())} at the end`,
);
console.log(`Runtime     Node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? "?"}`);
console.log(
  "Chain       Hardhat's JSON-RPC server (EDR) in this process, automine (one block per transaction) plus a block\n" +
    "            every second, wall-clock timestamps; the protocol deployed by Ignition.",
);
console.log(
  `Nodes       per configuration: N worker + ${VERIFIERS} verifier + 1 keeper OS processes, each running the operator's\n` +
    `            task (hardhat worker|verifier|keeper --poll-ms ${POLL_MS} --concurrency ${CONCURRENCY}), over HTTP to the chain.`,
);
console.log(
  `Windows     challenge, draw, commit and reveal windows and the response timeout: ${WINDOW_S} s (the contracts' minimum).`,
);
console.log(
  "Requests    iris-linear (input [1,4] float32), one requester account, a closed loop: a new request as soon as one\n" +
    "            is final; latency = request transaction sent → RequestFinalized seen (polled every " +
    `${WATCH_MS} ms).`,
);

console.log("\n1. Throughput, latency and gas per inference as spent\n");
const header =
  "  mode        workers  in flight  finalized  inferences/s  p50 latency  p99 latency  gas/inference  tx/inference";
console.log(header);
for (const r of results) {
  const other = Object.entries(r.otherTerminal)
    .map(([s, c]) => `${s} ${c}`)
    .join(", ");
  console.log(
    `  ${r.mode.padEnd(10)}  ${String(r.workers).padStart(7)}  ${String(r.inFlight).padStart(9)}  ` +
      `${`${r.finalized}/${r.requests}`.padStart(9)}  ${r.inferencesPerSecond.toFixed(2).padStart(12)}  ` +
      `${`${int(r.latencyMs.p50)} ms`.padStart(11)}  ${`${int(r.latencyMs.p99)} ms`.padStart(11)}  ` +
      `${int(r.gas.perInference).padStart(13)}  ${r.gas.transactionsPerInference.toFixed(2).padStart(12)}` +
      (other === "" ? "" : `  (${other})`),
  );
}

console.log("\n  Where the gas and the CPU go (gas per inference by sender; CPU in % of one core over the run):\n");
console.log(
  "  mode        workers   requester    workers  verifiers   keeper  reverted tx  │ CPU: chain+req  workers  verifiers  keeper  machine  ms/inference",
);
for (const r of results) {
  const g = (role: string) => int(r.gas.bySender[role]?.gasPerInference ?? 0).padStart(9);
  const c = (key: Group | "machine") => `${Math.round(r.cpuPercent[key])} %`;
  console.log(
    `  ${r.mode.padEnd(10)}  ${String(r.workers).padStart(7)}  ${g("requester")}  ${g("workers")}  ${g("verifiers")}  ` +
      `${g("keeper")}  ${String(r.gas.reverted).padStart(11)}  │ ${c("chain+requester").padStart(13)}  ` +
      `${c("workers").padStart(7)}  ${c("verifiers").padStart(9)}  ${c("keeper").padStart(6)}  ${c("machine").padStart(7)}  ` +
      `${r.cpuMsPerInference.toFixed(0).padStart(12)}`,
  );
}
for (const r of results.filter((x) => x.gas.reverted > 0)) {
  const calls = Object.entries(r.gas.revertedCalls)
    .sort((x, y) => y[1] - x[1])
    .map(([call, n]) => `${call} ×${n}`)
    .join(", ");
  console.log(
    `  reverted, ${r.mode} with ${r.workers} worker(s): ${calls} ` +
      `(${int(r.gas.revertedGasPerInference)} gas per inference)`,
  );
}
console.log(
  "\n  'machine' is every process on the machine (other users' included); 100 % is one core, this machine has " +
    `${cpus.length}.\n  'ms/inference': CPU time of the benchmark's own processes (chain, requester, every node) per inference.`,
);

const none = results.filter((r) => r.mode === "NONE");
if (none.length > 0) {
  const cpuMs = none.reduce((sum, r) => sum + r.cpuMsPerInference, 0) / none.length;
  const busy = none.map((r) => Math.round(r.cpuPercent.machine));
  console.log(
    "\n  NONE is capacity-bound (final in the worker's submitResultBatch). What bounds it on this machine:\n" +
      `  - the cores: the machine was ${Math.min(...busy)}–${Math.max(...busy)} % busy of ${cpus.length * 100} % during the NONE runs; the ` +
      "chain (EDR, in this process),\n" +
      "    the requester and every node process share them, and the benchmark's own processes spent " +
      `${cpuMs.toFixed(0)} ms of CPU\n    per inference: ≈ ${((cpus.length * 1000) / cpuMs).toFixed(0)} ` +
      `inferences/s if they had all ${cpus.length} cores to themselves (idle verifiers and the keeper poll too);`,
  );
  const one = none.find((r) => r.workers === 1);
  if (one !== undefined) {
    console.log(
      `  - one worker: at most --concurrency (${CONCURRENCY}) jobs at once, each ≈ ${int((CONCURRENCY * 1000) / one.inferencesPerSecond)} ms ` +
        "of wall time (chain reads, the 200 ms\n" +
        `    batching window, the receipt), so ≈ ${one.inferencesPerSecond.toFixed(0)} inferences/s per worker ` +
        "process whatever the cores (OPG_BENCH_CONCURRENCY).",
    );
  }
}
const committee = results.filter((r) => r.mode === "COMMITTEE");
if (committee.length > 0) {
  const busy = committee.map((r) => Math.round(r.cpuPercent.machine));
  const cpuMs = committee.reduce((sum, r) => sum + r.cpuMsPerInference, 0) / committee.length;
  console.log(
    `\n  COMMITTEE is capacity-bound here too: its ${WINDOW_S}-s commit and reveal windows bound the latency only when a member\n` +
      "  stays silent; with every member answering, the round ends at the last reveal, so its latency is round trips\n" +
      `  (draw after one block, commit, reveal, finalize). The cores bind first (${Math.min(...busy)}–${Math.max(...busy)} % busy): with ` +
      `${VERIFIERS} verifiers,\n  every verifier sits on every committee and re-executes, commits and reveals; ` +
      `${cpuMs.toFixed(0)} ms of CPU per inference.\n  Adding workers adds processes, not committee capacity.`,
  );
}
const optimistic = results.filter((r) => r.mode === "OPTIMISTIC");
if (optimistic.length > 0) {
  console.log(
    "\n  OPTIMISTIC is in-flight-bound, not capacity-bound: a result is final only once its challenge window is over,\n" +
      "  so inferences/s = in flight / mean latency (Little's law), whatever the cores; one wave of requests measures\n" +
      "  its latency and gas per inference, which are the figures that mean something:",
  );
  for (const r of optimistic) {
    console.log(
      `    ${r.workers} worker(s): ${r.inFlight} in flight / mean ${(r.latencyMs.mean / 1000).toFixed(1)} s = ` +
        `${(r.inFlight / (r.latencyMs.mean / 1000)).toFixed(2)} inferences/s (measured ${r.inferencesPerSecond.toFixed(2)})`,
    );
  }
}

console.log(
  `\n2. Bounds on a real chain: block gas / gas per inference (${int(BLOCK_GAS)} gas per ${BLOCK_SECONDS}-s block)\n`,
);
for (const c of realChain) {
  console.log(
    `  ${c.mode.padEnd(10)} ${int(c.gasPerInference).padStart(9)} gas/inference → ${int(c.perBlock).padStart(4)} inferences per block, ` +
      `${c.perSecond.toFixed(1).padStart(5)} inferences/s for the whole network`,
  );
}
const optimisticBound = realChain.find((c) => c.mode === "OPTIMISTIC");
if (optimisticBound !== undefined) {
  const window = PARAMETER_DEFAULTS.OptimisticModule.challengeWindow;
  console.log(
    `  OPTIMISTIC reaches that rate only with ≥ ${int(optimisticBound.perSecond * window)} requests in flight (Little's law ` +
      `over the default ${window}-s challenge\n  window), each holding its worker's collateral until final.`,
  );
}
console.log(
  "  A network's inferences share every block with all other traffic; a real chain's block time also adds to every\n" +
    "  latency (a request and its result are at least two blocks apart).",
);

const WIDTH = 80;
const row = (label: string, value: number, ratio = "") =>
  console.log(`  ${label.padEnd(WIDTH)} ${`${value.toFixed(3)} ms`.padStart(11)}  ${ratio}`.trimEnd());
console.log("\n3. Worker overhead per inference over a bare onnxruntime call (iris-linear, medians)\n");
row(`(a) bare session.run: warm session, prebuilt feeds (n=${bareMs.length})`, a);
row(
  `(b) ModelRuntime.run: decode + validate + run + canonicalise/encode (n=${runtimeMs.length})`,
  b,
  `b/a = ${(b / a).toFixed(1)}`,
);
if (sequential !== null) {
  const c = sequential.computeMsP50;
  const d = percentile(seqLatencies, 50);
  row(
    `(c) worker process, computeMs: request, event and model reads + store + run (n=${sequential.samples.length})`,
    c,
    `c/a = ${(c / a).toFixed(0)}`,
  );
  row(`(d) end to end, one request in flight: request tx → RequestFinalized seen`, d, `d/a = ${(d / a).toFixed(0)}`);
  console.log(
    `\n  (a), (b): ${BARE_ITERATIONS} iterations after ${BARE_WARMUP} warm-up ones in this process, before any network runs.\n` +
      `  (c), (d): 1 worker process, ${sequential.samples.length} NONE requests one at a time ` +
      `(${(sequential.samples.length / (sequential.wallMs / 1000)).toFixed(2)} inferences/s, p99 ${int(percentile(seqLatencies, 99))} ms);\n` +
      "  (c) is the worker's own timing in its job.submitted log line; (d) adds the request transaction, the worker's\n" +
      `  poll (every ${POLL_MS} ms), the batching window of submitResult (200 ms) and its transaction, and the requester's poll.`,
  );
}
const underLoad = results.filter((r) => r.mode === "NONE" && Number.isFinite(r.workerComputeMsP50));
if (underLoad.length > 0) {
  console.log(
    "  Worker computeMs p50 under the NONE load: " +
      underLoad.map((r) => `${r.workers} worker(s) ${r.workerComputeMsP50.toFixed(1)} ms`).join(", ") +
      ".",
  );
}

console.log(
  `\nNetwork launches (chain, deployment, node processes up): ` +
    launches.map((l) => `${l.workers} worker(s) ${l.launchSeconds.toFixed(0)} s`).join(", ") +
    ".",
);
const warned = [...nodeWarnings.entries()].filter(([, n]) => n > 0);
console.log(
  warned.length === 0
    ? "Node warnings and errors: none."
    : `Node warnings and errors (see .opg/bench/workers-<n>/logs/): ${warned.map(([name, n]) => `${name} ${n}`).join(", ")}.`,
);
console.log(`Total benchmark time ${totalSeconds.toFixed(0)} s.`);
process.exit(0);
