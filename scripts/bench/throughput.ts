/**
 * Node throughput benchmark, on Hardhat's in-process chain with the real contracts (deployed by Ignition) and real
 * onnxruntime sessions:
 *
 *   1. end-to-end inferences per second, with latency p50/p99, for NONE-mode requests served by 1, 2 and 4 workers
 *      running their real loops (`start()`), while a requester keeps a fixed number of requests in flight;
 *   2. the worker's per-inference overhead over a bare onnxruntime `session.run` on the same model.
 *
 * It prints figures; it asserts nothing about time.
 *
 *   npm run bench:nodes
 *
 * Knobs (environment): OPG_BENCH_REQUESTS (per configuration, default 200), OPG_BENCH_IN_FLIGHT (16),
 * OPG_BENCH_POLL_MS (node poll interval, 25), OPG_BENCH_CONCURRENCY (jobs per worker, 8).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";

import { network } from "hardhat";
import ort from "onnxruntime-node";

import { encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import { JsonStateFile } from "../../offchain/chain/stateFile.js";
import { startLocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, OPG, ROLE_WORKER, depositAs } from "../../offchain/devnet/protocol.js";
import { execute, loadRequestContext } from "../../offchain/node/jobs.js";
import { createLogger, type LogFields, type Logger } from "../../offchain/node/logger.js";
import type { WorkerNode } from "../../offchain/node/worker.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { defaultSessionOptions } from "../../offchain/model/runtime.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
};

const REQUESTS = envInt("OPG_BENCH_REQUESTS", 200);
const IN_FLIGHT = envInt("OPG_BENCH_IN_FLIGHT", 16);
const POLL_MS = envInt("OPG_BENCH_POLL_MS", 25);
const CONCURRENCY = envInt("OPG_BENCH_CONCURRENCY", 8);
const WORKER_COUNTS = [1, 2, 4] as const;
const WARMUP_REQUESTS = IN_FLIGHT; // per configuration, not measured
const WATCH_MS = 5; // how often the requester looks for RequestFinalized
const SEQUENTIAL_JOBS = 60; // one request at a time, for the uncontended per-job worker path
const BARE_ITERATIONS = 5_000;
const BARE_WARMUP = 500;

// ------------------------------------------------------------------------------------------------ helpers

const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms
const startedAt = now();

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))); // nearest rank
  return sorted[rank - 1] as number;
}
const median = (values: readonly number[]): number => quantile(values, 0.5);
const ms = (value: number, digits = 3): string => `${value.toFixed(digits)} ms`;
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

const progress = (message: string) =>
  process.stderr.write(`[${((now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);

/** Node loops keep the process alive: on any failure, report it and exit instead of hanging. */
function fail(error: unknown): never {
  console.error("\nbenchmark failed:", error);
  process.exit(1);
}

/** Warns and errors go to the console; `job.submitted` entries are captured for their computeMs. */
function capturingLogger(base: Logger, onSubmitted: (fields: LogFields) => void): Logger {
  return {
    debug: (event, fields) => base.debug(event, fields),
    info: (event, fields) => {
      if (event === "job.submitted" && fields !== undefined) onSubmitted(fields);
      base.info(event, fields);
    },
    warn: (event, fields) => base.warn(event, fields),
    error: (event, fields) => base.error(event, fields),
    child: (component) => capturingLogger(base.child(component), onSubmitted),
  };
}

// ------------------------------------------------------------------------------------------------ setup

const loadAtStart = os.loadavg();
const connection = await network.create();
const { ethers } = connection;
const dir = await mkdtemp(path.join(os.tmpdir(), "opg-bench-nodes-"));
const computeMs: Array<{ phase: string; value: number }> = [];
const runJobMs: Array<{ phase: string; value: number }> = [];
let phase = "setup";
const logger = capturingLogger(createLogger("bench", { pretty: true, level: "warn" }), (fields) => {
  if (typeof fields["computeMs"] === "number") computeMs.push({ phase, value: fields["computeMs"] });
});

const net = await startLocalNetwork(connection, {
  dir,
  logger,
  workers: Math.max(...WORKER_COUNTS),
  verifiers: 0, // NONE mode involves no verifier
  pollIntervalMs: POLL_MS,
  concurrency: CONCURRENCY,
});
const { hub, staking } = net.protocol;
const requester = net.actors.requester;
const iris = net.models.find((m) => m.name === "iris-linear" && m.mode === Mode.NONE);
if (iris === undefined) throw new Error("the local network registered no iris-linear NONE model");
const irisDemo = buildDemoModels().find((m) => m.name === "iris-linear");
if (irisDemo === undefined) throw new Error("no iris-linear demo model");
const input = encodeTensors([iris.exampleInput]);
const [modelFee, protocolFee] = await hub.quote(iris.id);
const fee = modelFee + protocolFee;
const expected = WORKER_COUNTS.length * (REQUESTS + WARMUP_REQUESTS) + SEQUENTIAL_JOBS + REQUESTS + 8;
await depositAs(net.protocol, requester, fee * BigInt(expected)); // on top of the network's 1,000 OPG
const requesterHub = hub.connect(requester);

// Time every job of every worker (the node's own loop calls runJob; this wraps it per instance).
type RunJob = (key: string) => Promise<void>;
for (const worker of net.workers) {
  const node = worker as unknown as { runJob: RunJob };
  const original = node.runJob.bind(worker);
  node.runJob = async (key) => {
    const startPhase = phase; // a job belongs to the phase it started in
    const t0 = now();
    await original(key);
    runJobMs.push({ phase: startPhase, value: now() - t0 });
  };
}

// Only the workers of the current configuration are sortition candidates: the others leave the worker role.
const workerSigners = net.actors.workers;
for (const signer of workerSigners.slice(1)) await (await staking.connect(signer).setRoles(0)).wait();
const started = new Set<WorkerNode>();
async function activate(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const signer = workerSigners[i]!;
    if ((await staking.getOperator(signer.address)).roles !== BigInt(ROLE_WORKER)) {
      await (await staking.connect(signer).setRoles(ROLE_WORKER)).wait();
    }
    const node = net.workers[i]!;
    if (!started.has(node)) {
      await node.start();
      started.add(node);
    }
  }
  const eligible = await Promise.all(workerSigners.map((w) => staking.isEligible(w.address, ROLE_WORKER)));
  const count2 = eligible.filter(Boolean).length;
  if (count2 !== count) throw new Error(`expected ${count} eligible workers, found ${count2}`);
}

// ------------------------------------------------------------------------------------------------ requester

/** Watches RequestFinalized logs and resolves the waiter of each request id when its event is first seen. */
class FinalizationWatcher {
  readonly seenAt = new Map<bigint, number>();
  readonly #waiters = new Map<bigint, () => void>();
  #cursor = -1;
  #running = true;
  readonly #loop: Promise<void>;

  constructor(fromBlock: number) {
    this.#cursor = fromBlock - 1;
    this.#loop = this.#run();
  }

  wait(requestId: bigint): Promise<void> {
    if (this.seenAt.has(requestId)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.set(requestId, resolve));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const filter = hub.filters.RequestFinalized();
    while (this.#running) {
      const head = await ethers.provider.getBlockNumber().catch(fail);
      if (head > this.#cursor) {
        const events = await hub.queryFilter(filter, this.#cursor + 1, head).catch(fail);
        const t = now();
        this.#cursor = head;
        for (const event of events) {
          const id = event.args.requestId;
          if (this.seenAt.has(id)) continue;
          this.seenAt.set(id, t);
          this.#waiters.get(id)?.();
          this.#waiters.delete(id);
        }
      }
      await sleep(WATCH_MS);
    }
  }
}

interface Sample {
  requestId: bigint;
  sentAt: number;
  finalizedAt: number;
}

/**
 * A request's gas depends on the workers it draws, and the draw on its id: with requests in flight, an estimate sees
 * another id than the one mined and can fall a few hundred gas short (ethers adds no margin). A fixed, generous
 * limit avoids that and an estimateGas call per request (gas used is what it is; the limit costs nothing here).
 */
const REQUEST_GAS_LIMIT = 1_000_000n;
const requestGas: number[] = [];

/** Sends one NONE-mode request; resolves with its id and the time the transaction was sent. */
async function sendRequest(): Promise<{ requestId: bigint; sentAt: number }> {
  const sentAt = now();
  const tx = await requesterHub.request(
    {
      modelId: iris!.id,
      input,
      inputUri: "",
      inputHash: ethers.ZeroHash,
      callbackGasLimit: 0,
      maxFee: fee,
    },
    { gasLimit: REQUEST_GAS_LIMIT },
  );
  const receipt = await tx.wait();
  if (receipt !== null) requestGas.push(Number(receipt.gasUsed));
  for (const log of receipt?.logs ?? []) {
    const parsed = hub.interface.parseLog(log);
    if (parsed?.name === "InferenceRequested") return { requestId: parsed.args.requestId as bigint, sentAt };
  }
  throw new Error(`transaction ${tx.hash} made no request`);
}

/** Keeps `inFlight` requests open until `total` have been finalized. */
async function closedLoop(total: number, inFlight: number): Promise<{ samples: Sample[]; wallMs: number }> {
  const watcher = new FinalizationWatcher((await ethers.provider.getBlockNumber()) + 1);
  const samples: Sample[] = [];
  let issued = 0;
  const t0 = now();
  const lane = async () => {
    while (issued < total) {
      issued++;
      const { requestId, sentAt } = await sendRequest();
      await watcher.wait(requestId);
      samples.push({ requestId, sentAt, finalizedAt: watcher.seenAt.get(requestId)! });
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane)).catch(fail);
  const wallMs = now() - t0;
  await watcher.stop();
  return { samples, wallMs };
}

// ------------------------------------------------------------------------------------------------ 2a, 2b: bare

// Run before any node loop starts, so nothing else competes for the CPU.
progress("network up; timing bare onnxruntime and ModelRuntime.run");
phase = "micro";
const bareSession = await ort.InferenceSession.create(irisDemo.bytes, defaultSessionOptions());
const irisInput = iris.exampleInput as TensorData;
const feeds = {
  [bareSession.inputNames[0]!]: new ort.Tensor("float32", Float32Array.from(irisInput.data as number[]), [
    ...irisInput.shape,
  ]),
};
const bareMs: number[] = [];
for (let i = 0; i < BARE_WARMUP + BARE_ITERATIONS; i++) {
  const t = now();
  await bareSession.run(feeds);
  if (i >= BARE_WARMUP) bareMs.push(now() - t);
}
await bareSession.release();

const contentHash = `0x${sha256Hex(irisDemo.bytes)}`;
const loaded = await net.runtime.load(contentHash, irisDemo.bytes); // the runtime the workers share
const runtimeMs: number[] = [];
for (let i = 0; i < BARE_WARMUP + BARE_ITERATIONS; i++) {
  const t = now();
  const outcome = await net.runtime.run(loaded, input, irisDemo.outputDecimals);
  if (i >= BARE_WARMUP) runtimeMs.push(now() - t);
  if (outcome.kind !== "ok") throw new Error(`iris-linear failed: ${outcome.code} ${outcome.detail}`);
}

// ------------------------------------------------------------------------------------------------ 2c: worker path

await activate(1).catch(fail);
progress("one worker, requests one at a time (worker path)");
phase = "warmup";
await closedLoop(WARMUP_REQUESTS, 1);
phase = "sequential";
const sequential = await closedLoop(SEQUENTIAL_JOBS, 1);
const seqRunJob = runJobMs.filter((r) => r.phase === "sequential").map((r) => r.value);
const seqCompute = computeMs.filter((r) => r.phase === "sequential").map((r) => r.value);

// Where the worker's time goes, read in isolation on a request it already served (same calls as #serve).
phase = "breakdown";
const probeId = sequential.samples.at(-1)!.requestId;
const probeHub = hub.connect(workerSigners[0]!);
const probeRegistry = net.protocol.registry.connect(workerSigners[0]!);
const store = new ModelStore({ cacheDir: path.join(dir, "cache") });
const breakdown = {
  getRequest: [] as number[],
  chainTime: [] as number[],
  context: [] as number[],
  execute: [] as number[],
  persist: [] as number[],
};
// The worker persists its whole job table (every job it ever had) as one JSON file, atomically with fsync.
const workerState = { jobs: { ...net.workers[0]!.jobs } };
const stateProbe = new JsonStateFile(path.join(dir, "state", "probe.json"), workerState);
const stateJobs = Object.keys(workerState.jobs).length;
for (let i = 0; i < 30 + SEQUENTIAL_JOBS; i++) {
  let t = now();
  await probeHub.getRequest(probeId);
  const a = now() - t;
  t = now();
  const context = await loadRequestContext(probeHub, probeRegistry, probeId);
  const b = now() - t;
  t = now();
  await execute(context, store, net.runtime, { maxOutputBytes: 16_384n });
  const c = now() - t;
  t = now();
  await ethers.provider.getBlock("latest");
  const d = now() - t;
  t = now();
  await stateProbe.save(workerState);
  const e = now() - t;
  if (i < 30) continue;
  breakdown.getRequest.push(a);
  breakdown.context.push(b);
  breakdown.execute.push(c);
  breakdown.chainTime.push(d);
  breakdown.persist.push(e);
}

// ------------------------------------------------------------------------------------------------ 1: throughput

interface ConfigResult {
  workers: number;
  samples: Sample[];
  wallMs: number;
  blocks: number;
  /** Gas of every transaction in the run's blocks (requests, results, keeper calls), per finalized inference. */
  gasPerInference: number;
  perWorker: number[];
  runJobP50: number;
  computeP50: number;
}
const results: ConfigResult[] = [];
for (const count of WORKER_COUNTS) {
  await activate(count).catch(fail);
  progress(`${count} worker(s): ${WARMUP_REQUESTS} warm-up + ${REQUESTS} measured requests, ${IN_FLIGHT} in flight`);
  phase = `warmup-${count}`;
  await closedLoop(WARMUP_REQUESTS, IN_FLIGHT);
  phase = `run-${count}`;
  const firstBlock = await ethers.provider.getBlockNumber();
  const { samples, wallMs } = await closedLoop(REQUESTS, IN_FLIGHT);
  const lastBlock = await ethers.provider.getBlockNumber();
  const blocks = lastBlock - firstBlock;
  // Everything on this chain is the protocol's traffic, so the gas of the run's blocks is what the network spent.
  let gasSpent = 0n;
  for (let b = firstBlock + 1; b <= lastBlock; b++) gasSpent += (await ethers.provider.getBlock(b))?.gasUsed ?? 0n;
  const served = await Promise.all(samples.map(async (s) => (await hub.getRequest(s.requestId)).worker));
  const perWorker = workerSigners.slice(0, count).map((w) => served.filter((a) => a === w.address).length);
  results.push({
    workers: count,
    samples,
    wallMs,
    blocks,
    gasPerInference: Number(gasSpent) / samples.length,
    perWorker,
    runJobP50: median(runJobMs.filter((r) => r.phase === phase).map((r) => r.value)),
    computeP50: median(computeMs.filter((r) => r.phase === phase).map((r) => r.value)),
  });
}

phase = "stopping";
await net.stop();

// The chain's own ceiling in this process: the same requester with no node running (requests stay unserved).
progress(`nodes stopped: ${REQUESTS} requests with ${IN_FLIGHT} in flight and no worker loop (chain ceiling)`);
let ceilingIssued = 0;
const ceilingStart = now();
await Promise.all(
  Array.from({ length: IN_FLIGHT }, async () => {
    while (ceilingIssued < REQUESTS) {
      ceilingIssued++;
      await sendRequest();
    }
  }),
).catch(fail);
const ceilingTxPerSecond = REQUESTS / ((now() - ceilingStart) / 1000);
await rm(dir, { recursive: true, force: true });
const totalSeconds = (now() - startedAt) / 1000;

// ------------------------------------------------------------------------------------------------ report

const cpus = os.cpus();
console.log("\nOPG node throughput benchmark\n");
console.log(
  `Machine        ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
    `${os.platform()} ${os.arch()}`,
);
console.log(
  `Load average   ${loadAtStart.map((l) => l.toFixed(2)).join(" ")} at start, ` +
    `${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at the end (1, 5, 15 min; other processes share the cores)`,
);
console.log(`Runtime        Node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? "?"}`);
console.log(
  "Chain          Hardhat in-process (EDR) chain, real contracts deployed by Ignition; automine is on, so every\n" +
    "               transaction is mined alone in its own block (no batching into blocks, no block time).",
);
console.log(
  `Model          iris-linear (model #${iris.id}, NONE mode: final at submission), input [1,4] float32, ` +
    `fee ${ethers.formatEther(fee)} OPG`,
);
console.log(
  `Nodes          workers run their real loops (start()): poll every ${POLL_MS} ms, up to ${CONCURRENCY} jobs ` +
    "in flight each,\n" +
    "               shared onnxruntime session (1 intra-op thread); workers outside the configuration hold no worker\n" +
    "               role (setRoles(0)), so the active ones are the only sortition candidates; no verifier nodes.",
);
console.log(
  `Requester      one account, ${IN_FLIGHT} requests in flight (closed loop), ${REQUESTS} measured requests per ` +
    `configuration\n               after ${WARMUP_REQUESTS} warm-up requests; latency = request tx sent → ` +
    `RequestFinalized observed\n               (the requester polls logs every ${WATCH_MS} ms).`,
);

console.log("\n1. End-to-end NONE-mode throughput and latency\n");
console.log(
  "  workers  inferences/s   p50 latency   p99 latency   blocks/s   gas/inference   jobs per worker    worker job p50",
);
for (const r of results) {
  const latencies = r.samples.map((s) => s.finalizedAt - s.sentAt);
  console.log(
    `  ${String(r.workers).padStart(7)}  ${(r.samples.length / (r.wallMs / 1000)).toFixed(1).padStart(12)}  ` +
      `${ms(median(latencies), 1).padStart(12)}  ${ms(quantile(latencies, 0.99), 1).padStart(12)}  ` +
      `${(r.blocks / (r.wallMs / 1000)).toFixed(1).padStart(9)}   ${Math.round(r.gasPerInference).toLocaleString("en-US").padStart(13)}   ` +
      `${r.perWorker.join("/").padEnd(17)}  ` +
      `${ms(r.runJobP50, 1).padStart(14)}`,
  );
}
console.log(
  `\n  Chain ceiling, same process with no node running: ${ceilingTxPerSecond.toFixed(1)} request tx/s ` +
    `(${IN_FLIGHT} in flight), i.e.\n  about ${(ceilingTxPerSecond / 2).toFixed(1)} inferences/s at two transactions ` +
    "each if a submitResult cost as much as a request.",
);
const seqLatency = sequential.samples.map((s) => s.finalizedAt - s.sentAt);
console.log(
  `\n  For reference, one request in flight (1 worker, n=${seqLatency.length}): ` +
    `${(seqLatency.length / (sequential.wallMs / 1000)).toFixed(1)} inferences/s, latency p50 ` +
    `${ms(median(seqLatency), 1)}, p99 ${ms(quantile(seqLatency, 0.99), 1)}.`,
);
console.log(
  "  Every inference is two transactions, so two blocks (request, submitResult), and blocks/s counts all blocks\n" +
    "  mined in the window. Chain, requester and all workers share this one Node process (its event loop) and the\n" +
    "  machine's cores. 'worker job p50' is the worker's whole job (runJob) under this load; compare 2(c).",
);

const a = median(bareMs);
const b = median(runtimeMs);
const c1 = median(seqCompute);
const c2 = median(seqRunJob);
const WIDTH = 78;
const row = (label: string, value: number, ratio = "") =>
  console.log(`  ${label.padEnd(WIDTH)} ${ms(value).padStart(10)}  ${ratio}`.trimEnd());
console.log("\n2. Worker overhead per inference over a bare onnxruntime call (iris-linear, medians)\n");
row(`(a) bare session.run: warm session, prebuilt feeds (n=${bareMs.length})`, a);
row(
  `(b) ModelRuntime.run: decode + validate + run + canonicalise/encode (n=${runtimeMs.length})`,
  b,
  `b/a = ${(b / a).toFixed(1)}`,
);
row(
  `(c) worker job without the submission: computeMs in job.submitted (n=${seqCompute.length})`,
  c1,
  `c/a = ${(c1 / a).toFixed(0)}`,
);
row(
  `(c) full worker job: runJob, chain reads to submitResult receipt (n=${seqRunJob.length})`,
  c2,
  `c/a = ${(c2 / a).toFixed(0)}`,
);
console.log(
  `\n  (a) and (b): ${BARE_ITERATIONS} iterations after ${BARE_WARMUP} warm-up ones, before any node loop runs.\n` +
    `  (c): ${SEQUENTIAL_JOBS} requests served one at a time by one worker in its real loop (no queueing, after\n` +
    `  ${WARMUP_REQUESTS} warm-up requests); computeMs = read request, event and model from the chain + model store +\n` +
    "  runtime.run; runJob is timed around the node's own runJob.",
);

const getRequestP50 = median(breakdown.getRequest);
const chainTimeP50 = median(breakdown.chainTime);
const contextP50 = median(breakdown.context);
const executeP50 = median(breakdown.execute);
const persistP50 = median(breakdown.persist);
const accounted = 3 * getRequestP50 + chainTimeP50 + contextP50 + executeP50 + 2 * persistP50;
console.log("\n  Where the full worker job goes (each step timed alone, medians, summed as runJob calls them):\n");
row(`3 × hub.getRequest (status checks before run, before and after submit)`, 3 * getRequestP50);
row(`1 × chainTime: getBlock("latest")`, chainTimeP50);
row(`loadRequestContext: getRequest + queryFilter(InferenceRequested) + getModel`, contextP50);
row(`execute: model store (read cached file + sha256) + runtime.load (hit) + run`, executeP50);
row(`2 × state-file persist (${stateJobs} jobs as JSON, write + fsync + rename)`, 2 * persistP50);
row(`rest: submitResult via TxSender (estimateGas, fee data, send, receipt)`, Math.max(0, c2 - accounted));
console.log("\n  The state file holds every job the worker ever had, so each persist grows with the worker's history.");
const gasCounts = new Map<number, number>();
for (const gas of requestGas) gasCounts.set(gas, (gasCounts.get(gas) ?? 0) + 1);
const gasValues = [...gasCounts.entries()].sort((x, y) => x[0] - y[0]);
console.log(
  `\n  Gas used per request tx (n=${requestGas.length}): ` +
    gasValues.map(([gas, count]) => `${gas} ×${count}`).join(", ") +
    ".\n  It depends on the workers drawn (which depend on the request id), so the requester sets a fixed gas limit:\n" +
    "  with requests in flight, an exact estimate (ethers adds no margin) can fall short and run out of gas.",
);
console.log(`\nTotal benchmark time ${totalSeconds.toFixed(0)} s.`);
