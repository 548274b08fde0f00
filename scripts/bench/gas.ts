/**
 * Gas benchmark of the v2 protocol: gas used by every step of a request's life and the total per verified inference
 * in each mode, in steady state (accounts, credits and sortition already warm, as on a running network), one
 * transaction per step and batched. Also a challenged OPTIMISTIC request through the court.
 *
 *   npm run bench:gas                      (table)
 *   OPG_BENCH_JSON=1 npm run bench:gas     (machine-readable; `hardhat run` takes no script arguments)
 *   OPG_BENCH_PROFILE=1 npm run bench:gas  (also: where the gas of each NONE and OPTIMISTIC step goes, per contract
 *                                           and per kind of cost, from debug_traceTransaction)
 *
 * Sortition alone (a draw and a stake change at 1k, 10k and 100k operators) is `scripts/bench/sortition.ts`.
 */
import type { ContractTransactionReceipt } from "ethers";
import { network } from "hardhat";

import {
  SignerBook,
  inlineRequest,
  mined,
  passTime,
  requestInference,
  runCommittee,
  runJury,
  submitAsWorker,
  uniqueMembers,
} from "../../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  ROLE_VERIFIER,
  ROLE_WORKER,
  demoModel,
  deployProtocol,
  depositAs,
  fund,
  registerModel,
  advanceSnapshot,
  stakeAs,
} from "../../offchain/devnet/protocol.js";
import {
  CATEGORIES,
  type GasProfile,
  type StructLog,
  mergeProfiles,
  profileTrace,
  scaleProfile,
  totalBreakdown,
} from "./traceGas.js";

/** Targets of issue 7 (gas per verified inference). */
const TARGETS = {
  none: 220_000n,
  optimistic: 250_000n,
  optimisticBatched: 130_000n,
  committee: 800_000n,
} as const;
const SAMPLES = 4;
const BATCH = 20;
const json = process.argv.includes("--json") || process.env.OPG_BENCH_JSON === "1";
const profile = process.env.OPG_BENCH_PROFILE === "1";
const log = (line: string) => {
  if (!json) console.log(line);
};

// A 3-class classifier output and a 4-float input in the canonical tensor encoding (docs/TENSOR_ENCODING.md).
const OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800602" + "0000000100000003" + "00".repeat(24), "hex"));
const INPUT = Uint8Array.from(Buffer.from("4f50470101" + "010002" + "0000000100000004" + "3f800000".repeat(4), "hex"));

const connection = await network.create();
const { ethers } = connection;
const signers = await ethers.getSigners();
const [, requester, modelOwner, ...operators] = signers;
if (requester === undefined || modelOwner === undefined) throw new Error("need at least 3 accounts");
const workers = operators.slice(0, 4);
const verifiers = operators.slice(4, 14);
const book = new SignerBook(signers);

const protocol = await deployProtocol(connection, { governed: true });
await fund(protocol, [requester, ...workers, ...verifiers], 100_000n * OPG);
for (const worker of workers) await stakeAs(protocol, worker, 10_000n * OPG, ROLE_WORKER);
for (const verifier of verifiers) {
  await stakeAs(protocol, verifier, 5_000n * OPG, ROLE_VERIFIER);
  await depositAs(protocol, verifier, 1_000n * OPG);
}
await depositAs(protocol, requester, 10_000n * OPG);
await advanceSnapshot(protocol); // panels see the stakes above from now on
const models = {
  [Mode.NONE]: await registerModel(protocol, modelOwner, demoModel("bench-none", Mode.NONE)),
  [Mode.OPTIMISTIC]: await registerModel(protocol, modelOwner, demoModel("bench-optimistic", Mode.OPTIMISTIC)),
  [Mode.COMMITTEE]: await registerModel(protocol, modelOwner, demoModel("bench-committee", Mode.COMMITTEE)),
};
const maxFee = 10n * OPG;

const samples = new Map<string, bigint[]>();
/** The transactions of the last sample of each profiled step, and how many inferences they served. */
const lastSample = new Map<string, { receipts: readonly ContractTransactionReceipt[]; inferences: number }>();
function record(
  step: string,
  gasUsed: bigint,
  measure: boolean,
  receipts: readonly ContractTransactionReceipt[] = [],
  inferences = 1,
): void {
  if (!measure) return;
  const list = samples.get(step) ?? [];
  list.push(gasUsed);
  samples.set(step, list);
  if (receipts.length > 0) lastSample.set(step, { receipts, inferences });
}
function average(step: string): bigint {
  const list = samples.get(step);
  if (list === undefined || list.length === 0) throw new Error(`no samples for ${step}`);
  return list.reduce((a, b) => a + b, 0n) / BigInt(list.length);
}

async function none(measure: boolean): Promise<void> {
  const { requestId, receipt } = await requestInference(protocol, requester!, models[Mode.NONE], INPUT, { maxFee });
  record("none.request", receipt.gasUsed, measure, [receipt]);
  const submitted = await submitAsWorker(protocol, book, requestId, OUTPUT);
  record("none.submitResult (final)", submitted.gasUsed, measure, [submitted]);
}

async function optimistic(measure: boolean): Promise<void> {
  const { requestId, receipt } = await requestInference(protocol, requester!, models[Mode.OPTIMISTIC], INPUT, {
    maxFee,
  });
  record("optimistic.request", receipt.gasUsed, measure, [receipt]);
  const submitted = await submitAsWorker(protocol, book, requestId, OUTPUT);
  record("optimistic.submitResult", submitted.gasUsed, measure, [submitted]);
  await passTime(protocol, (await protocol.hub.getRequest(requestId)).deadline);
  const finalized = await mined(protocol.hub.finalize(requestId));
  record("optimistic.finalize", finalized.gasUsed, measure, [finalized]);
}

async function optimisticBatched(measure: boolean): Promise<void> {
  const batch = Array.from({ length: BATCH }, () => inlineRequest(models[Mode.OPTIMISTIC], INPUT, { maxFee }));
  const requested = await mined(protocol.hub.connect(requester!).requestBatch(batch));
  record("batched.requestBatch (per request)", requested.gasUsed / BigInt(BATCH), measure, [requested], BATCH);
  const byWorker = new Map<string, bigint[]>();
  for (const log of requested.logs) {
    const parsed = protocol.hub.interface.parseLog(log);
    if (parsed?.name !== "WorkerAssigned") continue;
    const worker = (parsed.args.worker as string).toLowerCase();
    byWorker.set(worker, [...(byWorker.get(worker) ?? []), parsed.args.requestId as bigint]);
  }
  let submitGas = 0n;
  const submits: ContractTransactionReceipt[] = [];
  for (const [worker, ids] of byWorker) {
    const receipt = await mined(
      protocol.hub.connect(book.get(worker)).submitResultBatch(
        ids,
        ids.map(() => OUTPUT),
        ids.map(() => false),
      ),
    );
    submitGas += receipt.gasUsed;
    submits.push(receipt);
  }
  record("batched.submitResultBatch (per result)", submitGas / BigInt(BATCH), measure, submits, BATCH);
  const ids = [...byWorker.values()].flat();
  const last = await protocol.hub.getRequest(ids[ids.length - 1]!);
  await passTime(protocol, last.deadline);
  const processed = await mined(protocol.hub.processBatch(ids));
  record("batched.processBatch (per finalization)", processed.gasUsed / BigInt(BATCH), measure, [processed], BATCH);
}

/** The COMMITTEE target is for three distinct members: a member holding several seats makes a committee cheaper. */
const COMMITTEE_MEMBERS = 3;

async function committee(measure: boolean): Promise<void> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const sample = await committeeSample();
    if (sample.members !== COMMITTEE_MEMBERS) continue;
    for (const [step, gasUsed] of sample.steps) record(step, gasUsed, measure);
    return;
  }
  throw new Error(`no committee with ${COMMITTEE_MEMBERS} distinct members in 8 requests`);
}

async function committeeSample(): Promise<{ members: number; steps: [string, bigint][] }> {
  const { requestId, receipt } = await requestInference(protocol, requester!, models[Mode.COMMITTEE], INPUT, {
    maxFee,
  });
  const recorded: [string, bigint][] = [["committee.request", receipt.gasUsed]];
  recorded.push(["committee.submitResult", (await submitAsWorker(protocol, book, requestId, OUTPUT)).gasUsed]);
  const steps = await runCommittee(protocol, book, requestId, () => true);
  const members = uniqueMembers(await protocol.committee.committeeOf(requestId)).length;
  recorded.push(["committee.members (unique)", BigInt(members)]);
  for (const name of ["drawCommittee", "commitAttestation", "revealAttestation"]) {
    const total = steps.filter((s) => s.step === name).reduce((a, s) => a + s.gasUsed, 0n);
    recorded.push([`committee.${name} (all members)`, total]);
  }
  recorded.push(["committee.finalize", (await mined(protocol.hub.finalize(requestId))).gasUsed]);
  return { members, steps: recorded };
}

async function disputed(measure: boolean): Promise<void> {
  const { requestId, receipt } = await requestInference(protocol, requester!, models[Mode.OPTIMISTIC], INPUT, {
    maxFee,
  });
  record("dispute.request", receipt.gasUsed, measure);
  const request = await protocol.hub.getRequest(requestId);
  record("dispute.submitResult", (await submitAsWorker(protocol, book, requestId, OUTPUT)).gasUsed, measure);
  const challenger = verifiers.find((v) => v.address.toLowerCase() !== request.worker.toLowerCase())!;
  record(
    "dispute.challenge",
    (await mined(protocol.optimistic.connect(challenger).challenge(requestId))).gasUsed,
    measure,
  );
  const steps = await runJury(protocol, book, requestId, () => false);
  for (const name of ["drawJury", "commitVote", "revealVote", "resolve"]) {
    const total = steps.filter((s) => s.step === name).reduce((a, s) => a + s.gasUsed, 0n);
    record(`dispute.${name} (all jurors)`, total, measure);
  }
  record("dispute.finalize (rejected)", (await mined(protocol.hub.finalize(requestId))).gasUsed, measure);
}

// One warm-up pass (first credits, first sortition reads), then the measured samples.
for (let pass = 0; pass <= SAMPLES; pass++) {
  const measure = pass > 0;
  await none(measure);
  await optimistic(measure);
  await optimisticBatched(measure);
  await committee(measure);
  if (pass <= 1) await disputed(pass === 1);
}

const sum = (prefix: string) =>
  [...samples.keys()]
    .filter((k) => k.startsWith(prefix) && !k.includes("members"))
    .reduce((total, k) => total + average(k), 0n);
const totals = {
  none: sum("none."),
  optimistic: sum("optimistic."),
  optimisticBatched: sum("batched."),
  committee: sum("committee."),
  dispute: sum("dispute."),
};

if (json) {
  const profiles = profile ? await traceProfiles() : undefined;
  console.log(
    JSON.stringify(
      {
        ...(profiles === undefined ? {} : { profiles }),
        steps: Object.fromEntries([...samples.keys()].map((k) => [k, Number(average(k))])),
        totals: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, Number(v)])),
        targets: Object.fromEntries(Object.entries(TARGETS).map(([k, v]) => [k, Number(v)])),
      },
      null,
      2,
    ),
  );
} else {
  log("Gas per step (average of steady-state samples):");
  for (const step of samples.keys()) log(`  ${step.padEnd(44)} ${average(step).toLocaleString("en-US").padStart(10)}`);
  log("");
  log("Total gas per verified inference:");
  for (const [mode, total] of Object.entries(totals)) {
    const target = TARGETS[mode as keyof typeof TARGETS];
    const verdict = target === undefined ? "" : total <= target ? `  ≤ target ${target}` : `  ABOVE target ${target}`;
    log(`  ${mode.padEnd(20)} ${total.toLocaleString("en-US").padStart(10)}${verdict}`);
  }
  if (profile) await traceProfiles();
}
await connection.close();

/** Traces the last sample of each profiled step, prints where its gas goes and returns the figures. */
async function traceProfiles(): Promise<Record<string, unknown>> {
  const names = new Map<string, string>();
  for (const [name, contract] of Object.entries(protocol)) {
    const getAddress = (contract as { getAddress?: () => Promise<string> }).getAddress;
    if (typeof getAddress === "function") names.set((await getAddress.call(contract)).toLowerCase(), name);
  }
  const nameOf = (address: string) => names.get(address) ?? address.slice(0, 10);
  const k = (gas: number) => `${(gas / 1000).toFixed(1)}k`.padStart(8);
  const profiles: Record<string, unknown> = {};
  log("");
  log("Where the gas goes (last sample; batched steps per inference). Columns: intrinsic + calldata, then opcodes:");
  log(
    `  ${"step".padEnd(40)} ${"total".padStart(8)} ${"intrins".padStart(8)} ${CATEGORIES.map((c) => c.slice(0, 8).padStart(8)).join(" ")}`,
  );
  for (const [step, { receipts, inferences }] of lastSample) {
    const traced: GasProfile[] = [];
    for (const receipt of receipts) {
      const trace = (await connection.provider.request({
        method: "debug_traceTransaction",
        params: [receipt.hash, { disableMemory: true, disableStorage: true }],
      })) as { structLogs: StructLog[] };
      const tx = await ethers.provider.getTransaction(receipt.hash);
      if (tx === null || receipt.to === null) throw new Error(`no transaction ${receipt.hash}`);
      traced.push(profileTrace(trace.structLogs, receipt.to, tx.data, Number(receipt.gasUsed), nameOf));
    }
    const p = scaleProfile(mergeProfiles(traced), inferences);
    const sum = totalBreakdown(p);
    log(`  ${step.padEnd(40)} ${k(p.gasUsed)} ${k(p.intrinsic)} ${CATEGORIES.map((c) => k(sum[c])).join(" ")}`);
    const byContract = [...p.byContract].sort(
      ([, a], [, b]) => CATEGORIES.reduce((t, c) => t + b[c], 0) - CATEGORIES.reduce((t, c) => t + a[c], 0),
    );
    for (const [who, entry] of byContract) {
      const own = CATEGORIES.reduce((t, c) => t + entry[c], 0);
      log(`    ${who.padEnd(38)} ${k(own)} ${"".padStart(8)} ${CATEGORIES.map((c) => k(entry[c])).join(" ")}`);
    }
    if (Math.abs(p.unaccounted) >= 1) log(`    ${"(refunds, unaccounted)".padEnd(38)} ${k(p.unaccounted)}`);
    profiles[step] = {
      gasUsed: p.gasUsed,
      intrinsic: p.intrinsic,
      unaccounted: p.unaccounted,
      byContract: Object.fromEntries(p.byContract),
    };
  }
  return profiles;
}
