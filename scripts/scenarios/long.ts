/**
 * Long scenario on Hardhat's in-process chain (not part of `npm test`): a local OPG network with real contracts and
 * real ONNX models serves a stream of mixed requests — every mode, both demo models, malformed inputs — while two
 * workers cheat on part of their jobs, one verifier is lazy (attests without computing), one worker and one verifier talk to the chain through an RPC that fails
 * intermittently, and nodes are restarted (cleanly, killed between rounds, and crashed right after broadcasting).
 *
 * Afterwards every request is checked against the model run directly, and the chain's records against each other.
 * It prints a summary and exits non-zero on any inconsistency.
 *
 *   npm run test:long                         (OPG_LONG_REQUESTS=60 by default, OPG_LONG_LOGS=1 prints node logs)
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { BrowserProvider, ethers as ethersLib, type ContractTransaction, type Signer } from "ethers";
import { network } from "hardhat";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { TxSender } from "../../offchain/chain/sender.js";
import { OpgClient } from "../../offchain/client/client.js";
import { DType, encodeTensors } from "../../offchain/codec/tensor.js";
import { startLocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, Outcome, Status, TERMINAL_STATUSES } from "../../offchain/devnet/protocol.js";
import { decodeErrorResult } from "../../offchain/model/errorResult.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";
import { compareOutputs } from "../../offchain/model/tolerance.js";
import { cheatingTamperer, lazyVerifier } from "../../offchain/node/cheats.js";
import { createVerifier, createWorker } from "../../offchain/node/factory.js";
import { createLogger, memoryLogger, type Logger } from "../../offchain/node/logger.js";
import type { NodeRunner } from "../../offchain/node/runner.js";

const REQUESTS = Number(process.env.OPG_LONG_REQUESTS ?? 60);
const WORKERS = 6;
const VERIFIERS = 6;
const CHEATERS = new Map([
  [4, 0.5],
  [5, 0.6],
]); // worker index → share of jobs it cheats on
const FLAKY_WORKER = 1;
const FLAKY_VERIFIER = 2;
/** Attests and votes "agree" without computing (cheats.ts `lazyVerifier`); honest majorities out-vote it. */
const LAZY_VERIFIER = 5;
const BATCH = 8;
const STEP_SECONDS = 10;
const TICKS_PER_STEP = 2;
const MAX_ROUNDS = 400;

const started = Date.now();
const connection = await network.create();
const { networkHelpers } = connection;
const dir = await mkdtemp(path.join(os.tmpdir(), "opg-long-"));
const memory = memoryLogger();
const logger: Logger =
  process.env.OPG_LONG_LOGS === undefined ? memory : createLogger("long", { pretty: true, level: "info" });
const problems: string[] = [];
const problem = (text: string) => {
  problems.push(text);
  console.log(`  ✗ ${text}`);
};

console.log(`OPG long scenario: ${REQUESTS} requests, ${WORKERS} workers (2 cheat), ${VERIFIERS} verifiers (1 lazy)`);
const net = await startLocalNetwork(connection, { dir, logger, workers: WORKERS, verifiers: VERIFIERS });
const { hub, staking, settlement, court, optimistic, committee } = net.protocol;
const client = new OpgClient(net.contracts.addresses, net.actors.requester);

// ------------------------------------------------------------------------------------------------ our nodes

const flaky = new FlakyEip1193Provider(connection.provider, { failureRate: 0.05, seed: 2024, maxConsecutive: 2 });
flaky.injector.enabled = false;
const flakyProvider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
const stateDir = path.join(dir, "nodes");
const fastRetry = { retries: 6, baseDelayMs: 2, maxDelayMs: 20 };

class CrashAfterBroadcast extends TxSender {
  override async send(populate: () => Promise<ContractTransaction>, label: string) {
    const receipt = await super.send(populate, label);
    if (label.startsWith("submitResult")) throw new Error(`simulated crash after broadcasting ${label}`);
    return receipt;
  }
}

async function signerOf(index: number, role: "worker" | "verifier"): Promise<Signer> {
  const local = role === "worker" ? net.actors.workers[index]! : net.actors.verifiers[index]!;
  const isFlaky = role === "worker" ? index === FLAKY_WORKER : index === FLAKY_VERIFIER;
  return isFlaky ? flakyProvider.getSigner(local.address) : local;
}

async function build(role: "worker" | "verifier", index: number, crash = false): Promise<NodeRunner> {
  const wasFlaky = flaky.injector.enabled;
  flaky.injector.enabled = false; // wiring a node up is not what this scenario tests
  try {
    return await assemble(role, index, crash);
  } finally {
    flaky.injector.enabled = wasFlaky;
  }
}

async function assemble(role: "worker" | "verifier", index: number, crash: boolean): Promise<NodeRunner> {
  const signer = await signerOf(index, role);
  const options = {
    errorInterfaces: [
      hub.interface,
      staking.interface,
      settlement.interface,
      optimistic.interface,
      committee.interface,
      court.interface,
    ],
    pollIntervalMs: 10,
    retry: fastRetry,
  };
  const config = {
    contracts: connectContracts(net.contracts.addresses, signer),
    signer,
    logger: logger.child(`${role}-${index}`),
    stateDir,
    cacheDir: path.join(dir, "cache"),
    runtime: net.runtime,
    store: new ModelStore({ cacheDir: path.join(dir, "cache") }),
    pollIntervalMs: 20,
    concurrency: 4,
    sender: crash ? new CrashAfterBroadcast(signer, options) : new TxSender(signer, options),
  };
  return role === "worker"
    ? createWorker({ ...config, tamper: cheatingTamperer(CHEATERS.get(index) ?? 0) })
    : index === LAZY_VERIFIER
      ? createVerifier({ ...config, sampleRate: 0, ballot: lazyVerifier })
      : createVerifier({ ...config, sampleRate: 1 });
}

const workers: NodeRunner[] = [];
for (let i = 0; i < WORKERS; i++) workers.push(await build("worker", i));
const verifiers: NodeRunner[] = [];
for (let i = 0; i < VERIFIERS; i++) verifiers.push(await build("verifier", i));
flaky.injector.enabled = true;

const restarts: string[] = [];
/** Round → what happens to which node before that round. */
const events = new Map<number, () => Promise<void>>([
  [6, async () => void (workers[0] = await build("worker", 0, true))], // its submissions "crash" after broadcast
  [
    7,
    async () => {
      workers[0] = await build("worker", 0); // restarted on the same state
      restarts.push("worker-0 crashed after broadcasting, restarted");
    },
  ],
  [
    14,
    async () => {
      await workers[2]!.stop(); // clean shutdown, then a new process
      workers[2] = await build("worker", 2);
      restarts.push("worker-2 stopped cleanly, restarted");
    },
  ],
  [
    22,
    async () => {
      verifiers[0] = await build("verifier", 0); // killed between rounds (no stop)
      restarts.push("verifier-0 killed, restarted");
    },
  ],
  [
    30,
    async () => {
      workers[FLAKY_WORKER] = await build("worker", FLAKY_WORKER);
      verifiers[FLAKY_VERIFIER] = await build("verifier", FLAKY_VERIFIER);
      restarts.push("flaky worker and verifier killed, restarted");
    },
  ],
]);

// ------------------------------------------------------------------------------------------------ requests

let seed = 7;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed / 2 ** 31;
};
interface Sent {
  id: bigint;
  model: (typeof net.models)[number];
  input: Uint8Array;
  kind: "ok" | "decode" | "schema";
}
const sent: Sent[] = [];
function makeInput(m: (typeof net.models)[number], i: number): { input: Uint8Array; kind: Sent["kind"] } {
  if (i % 11 === 5) return { input: Uint8Array.from([1, 2, 3, i & 0xff]), kind: "decode" };
  if (i % 11 === 9) {
    return {
      input: encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 7], data: [1, 2, 3, 4, 5, 6, 7] }]),
      kind: "schema",
    };
  }
  const width = m.exampleInput.shape[1] ?? 1;
  const data =
    m.name === "xor-mlp"
      ? [random() < 0.5 ? 0 : 1, random() < 0.5 ? 0 : 1]
      : Array.from({ length: width }, () => Math.round((0.5 + random() * 7) * 10) / 10);
  return { input: encodeTensors([{ ...m.exampleInput, data }]), kind: "ok" };
}

async function sendBatch(): Promise<void> {
  for (let k = 0; k < BATCH && sent.length < REQUESTS; k++) {
    const i = sent.length;
    const m = net.models[i % net.models.length]!;
    const { input, kind } = makeInput(m, i);
    const { requestId } = await client.request(m.id, input, { autoDeposit: true });
    sent.push({ id: requestId, model: m, input, kind });
  }
}

// ------------------------------------------------------------------------------------------------ run

const TERMINAL = TERMINAL_STATUSES;
let rounds = 0;
let roundErrors = 0;
let reassigned = 0;
for (; rounds < MAX_ROUNDS; rounds++) {
  await events.get(rounds)?.();
  if (rounds % 3 === 0) await sendBatch();
  for (let t = 0; t < TICKS_PER_STEP; t++) {
    for (const node of [...workers, ...verifiers]) {
      try {
        await node.tick();
      } catch {
        roundErrors++; // a flaky RPC failed the round; the next one picks it up
      }
    }
  }
  const records = await Promise.all(sent.map((s) => hub.getRequest(s.id)));
  if (sent.length === REQUESTS && records.every((r) => TERMINAL.has(r.status))) break;
  // The requester's client does this when a worker misses its deadline (OpgClient.wait).
  const now = BigInt(await networkHelpers.time.latest());
  for (const [i, r] of records.entries()) {
    if (r.status === BigInt(Status.Requested) && now > r.deadline) {
      await (await hub.connect(net.actors.requester).reassign(sent[i]!.id)).wait();
      reassigned++;
    }
  }
  await networkHelpers.time.increase(STEP_SECONDS);
  if (rounds % 20 === 0) process.stdout.write(`  round ${rounds}: ${sent.length} requests sent\n`);
}
flaky.injector.enabled = false;
await Promise.all([...workers, ...verifiers].map((n) => n.stop()));

// ------------------------------------------------------------------------------------------------ checks

console.log(`\nChecking ${sent.length} requests…`);
const reference = new ModelRuntime();
const demos = new Map(buildDemoModels().map((d) => [d.name, d]));
const cheaters = new Set([...CHEATERS.keys()].map((i) => net.actors.workers[i]!.address));
const byStatus = new Map<string, number>();
const byMode = new Map<string, number>();
let disputes = 0;
let errorResults = 0;
let caught = 0;
let unverifiedCheats = 0;

for (const s of sent) {
  const record = await client.status(s.id);
  byStatus.set(record.status, (byStatus.get(record.status) ?? 0) + 1);
  byMode.set(record.mode, (byMode.get(record.mode) ?? 0) + 1);
  if (record.dispute !== null) disputes++;
  const label = `#${s.id} (${s.model.name} ${Mode[s.model.mode]}, ${s.kind})`;
  const submissions = await hub.queryFilter(hub.filters.ResultSubmitted(s.id));
  if (submissions.length > 1) problem(`${label}: ${submissions.length} ResultSubmitted events`);

  const demo = demos.get(s.model.name)!;
  const loaded = await reference.load(`0x${sha256Hex(demo.bytes)}`, demo.bytes);
  const expected = await reference.run(loaded, s.input, demo.outputDecimals);
  const posted = record.output === null ? null : ethersLib.getBytes(record.output.bytes);
  const agrees = posted !== null && compareOutputs(expected.output, posted, demo.tolerance).agree;

  switch (record.status) {
    case "Finalized":
      if (!agrees && record.mode === "NONE" && cheaters.has(record.worker ?? "")) {
        unverifiedCheats++; // NONE mode is backed by the worker's stake only: nobody re-checks it
      } else if (!agrees) {
        problem(`${label}: finalized a result that differs from the model's output`);
      }
      if (record.output?.isError === true) {
        errorResults++;
        const code = decodeErrorResult(posted ?? new Uint8Array());
        if (expected.kind !== "error" || code !== expected.code) problem(`${label}: wrong error result ${code}`);
      } else if (expected.kind === "error") {
        problem(`${label}: malformed input finalized as an output`);
      }
      if (record.settlement?.kind !== "finalized") problem(`${label}: finalized without a fee split`);
      if (record.stages.length !== 5) problem(`${label}: ${record.stages.length} stages instead of 5`);
      break;
    case "Rejected":
      caught++;
      if (agrees) problem(`${label}: a correct result was rejected (worker ${record.worker})`);
      if (!cheaters.has(record.worker ?? "")) problem(`${label}: honest worker ${record.worker} lost a dispute`);
      if (record.settlement?.kind !== "refunded") problem(`${label}: rejected without refund`);
      break;
    case "Expired":
      problem(`${label}: expired (every assigned worker missed its deadline)`);
      break;
    case "Refunded":
      problem(`${label}: refunded (verification undecided, or no committee could be drawn)`);
      break;
    default:
      problem(`${label}: not settled (${record.status})`);
  }
}

// Operators: only cheaters lose disputes; an honest worker is jailed only for a missed deadline.
const timedOut = new Set((await hub.queryFilter(hub.filters.WorkerTimedOut())).map((e) => e.args.worker));
// Jail is a timestamp: "jailed" here means jailed at some point (a fault), whether or not the jail is over.
const jailed: string[] = [];
for (const [i, w] of net.actors.workers.entries()) {
  const op = await staking.getOperator(w.address);
  const wasJailed = op.jailedUntil > 0n;
  if (wasJailed) jailed.push(`worker-${i}${cheaters.has(w.address) ? " (cheater)" : ""}`);
  if (wasJailed && !cheaters.has(w.address) && !timedOut.has(w.address)) problem(`honest worker-${i} was jailed`);
}
for (const [i, v] of net.actors.verifiers.entries()) {
  if ((await staking.getOperator(v.address)).jailedUntil > 0n) problem(`verifier-${i} was jailed`);
}
const lostDisputes = (await court.queryFilter(court.filters.CaseResolved())).filter(
  (e) => e.args.outcome === BigInt(Outcome.Upheld),
).length;
if (lostDisputes > 0) problem(`${lostDisputes} dispute(s) upheld a worker: an honest result was challenged`);

// The requester paid exactly the finalized requests' fees.
const fees = await Promise.all(
  sent.map(async (s) => {
    const r = await hub.getRequest(s.id);
    return r.status === BigInt(Status.Finalized) ? r.modelFee + r.protocolFee : 0n;
  }),
);
const spent = fees.reduce((a, b) => a + b, 0n);
const deposits = await settlement.queryFilter(settlement.filters.Deposited(net.actors.requester.address));
const deposited = deposits.reduce((a, e) => a + e.args.amount, 0n);
const balance = await settlement.balanceOf(net.actors.requester.address);
if (balance !== deposited - spent) {
  problem(`requester balance ${balance} != deposited ${deposited} - spent ${spent}`);
}

// ------------------------------------------------------------------------------------------------ summary

const fmt = (m: Map<string, number>) => [...m.entries()].map(([k, v]) => `${k} ${v}`).join(", ");
const entries = memory.entries;
console.log(`
Summary
  requests            ${sent.length} (${fmt(byMode)})
  outcome             ${fmt(byStatus)}
  error results       ${errorResults} finalized (malformed input, confirmed by verifiers)
  disputes            ${disputes} opened, ${caught} cheats caught and refunded
  unverified cheats   ${unverifiedCheats} (NONE mode: no verification by design)
  simulated crashes   ${entries.filter((e) => /simulated crash/.test(String(e.fields["error"]))).length} submissions
  jailed workers      ${jailed.join(", ") || "none"}
  reassignments       ${reassigned} (workers timed out: ${timedOut.size})
  restarts            ${restarts.length}: ${restarts.join("; ")}
  flaky RPC           ${flaky.stats.failures} injected failures in ${flaky.stats.calls} calls, ${roundErrors} failed rounds
  node log            ${entries.filter((e) => e.level === "error").length} errors, ${entries.filter((e) => e.event === "job.failed").length} job retries
  rounds              ${rounds} (${STEP_SECONDS} s of chain time each), ${((Date.now() - started) / 1000).toFixed(1)} s
  inconsistencies     ${problems.length}`);

await net.stop();
await reference.close();
await connection.close();
await rm(dir, { recursive: true, force: true });
if (problems.length > 0) {
  console.error(`\nFAILED: ${problems.length} inconsistencies`);
  process.exitCode = 1;
} else {
  console.log("\nOK: every request settled consistently");
}
