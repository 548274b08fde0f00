/**
 * Gas benchmark: gas used by every step of a request's life, and the total per verified inference in each mode,
 * in steady state (accounts, credits and sortition slots already warm, as on a running network).
 *
 *   npm run bench:gas
 */
import { network } from "hardhat";

import {
  SignerBook,
  attestAll,
  mined,
  pickChallenger,
  requestInference,
  submitAsWorker,
  voteAll,
  type StepGas,
} from "../../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  assignActors,
  demoModel,
  deployProtocol,
  registerModel,
  stakeNetwork,
} from "../../offchain/devnet/protocol.js";

const TARGET_PER_INFERENCE = 150_000n;
const SAMPLES = 5;
const BATCH = 20;
// A 3-class classifier output in the canonical encoding: header, one FIXED64 tensor of shape [1,3].
const OUTPUT = Uint8Array.from(Buffer.from("4f50470101" + "800602" + "0000000100000003" + "00".repeat(24), "hex"));
const INPUT = Uint8Array.from(Buffer.from("4f50470101" + "010002" + "0000000100000004" + "3f800000".repeat(4), "hex"));

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const signers = await ethers.getSigners();
const actors = assignActors(signers, 4, 4);
const { requester, modelOwner, verifiers } = actors;
const book = new SignerBook(signers);

const protocol = await deployProtocol(connection, { governed: true });
const params = await protocol.hub.params();
await stakeNetwork(protocol, actors, {
  fund: 100_000n * OPG,
  workerStake: 10_000n * OPG,
  verifierStake: 5_000n * OPG,
  verifierBalance: 1_000n * OPG,
  requesterBalance: 100n * OPG,
});
const models = {
  [Mode.NONE]: await registerModel(protocol, modelOwner, demoModel("bench-none", Mode.NONE)),
  [Mode.OPTIMISTIC]: await registerModel(protocol, modelOwner, demoModel("bench-optimistic", Mode.OPTIMISTIC)),
  [Mode.COMMITTEE]: await registerModel(protocol, modelOwner, demoModel("bench-committee", Mode.COMMITTEE)),
};

const quotes: Record<Mode, bigint> = { [Mode.NONE]: 0n, [Mode.OPTIMISTIC]: 0n, [Mode.COMMITTEE]: 0n };
for (const mode of [Mode.NONE, Mode.OPTIMISTIC, Mode.COMMITTEE] as const) {
  const [modelFee, protocolFee] = await protocol.hub.quote(models[mode]);
  quotes[mode] = modelFee + protocolFee;
}
await mined(protocol.token.connect(requester).approve(await protocol.hub.getAddress(), ethers.MaxUint256));

const samples = new Map<string, bigint[]>();
function record(step: string, gasUsed: bigint): void {
  const list = samples.get(step) ?? [];
  list.push(gasUsed);
  samples.set(step, list);
}
const average = (step: string): bigint => {
  const list = samples.get(step);
  if (list === undefined || list.length === 0) throw new Error(`no samples for ${step}`);
  return list.reduce((a, b) => a + b, 0n) / BigInt(list.length);
};

async function pass(measure: boolean): Promise<void> {
  const note = (s: StepGas) => measure && record(s.step, s.gasUsed);
  const depositReceipt = await mined(protocol.hub.connect(requester).deposit(100n * OPG));
  note({ step: "deposit", gasUsed: depositReceipt.gasUsed });

  // NONE: final at submission.
  const none = await requestInference(protocol, requester, models[Mode.NONE], INPUT, { maxFee: quotes[Mode.NONE] });
  note({ step: "request (NONE)", gasUsed: none.receipt.gasUsed });
  note({
    step: "submit + finalize (NONE)",
    gasUsed: (await submitAsWorker(protocol, book, none.requestId, OUTPUT)).gasUsed,
  });

  // OPTIMISTIC: final after the challenge window.
  const opt = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT, {
    maxFee: quotes[Mode.OPTIMISTIC],
  });
  note({ step: "request (OPTIMISTIC)", gasUsed: opt.receipt.gasUsed });
  note({ step: "submit (OPTIMISTIC)", gasUsed: (await submitAsWorker(protocol, book, opt.requestId, OUTPUT)).gasUsed });
  await networkHelpers.time.increase(Number(params.challengeWindow) + 1);
  note({ step: "finalize", gasUsed: (await mined(protocol.hub.finalize(opt.requestId))).gasUsed });

  // Batched, as a busy requester and workers run: one call requests BATCH inferences, each worker posts its
  // results in one call, and one call finalizes the OPTIMISTIC ones after the window.
  for (const mode of [Mode.NONE, Mode.OPTIMISTIC] as const) {
    const label = Mode[mode];
    const reqBatch = await mined(
      protocol.hub.connect(requester).requestBatch(
        Array.from({ length: BATCH }, () => ({
          modelId: models[mode],
          input: INPUT,
          inputUri: "",
          inputHash: ethers.ZeroHash,
          callbackGasLimit: 0,
          maxFee: quotes[mode], // clients quote first: an exact fee is also cheaper calldata than 2^256-1
        })),
      ),
    );
    note({ step: `batch ${label}: request, per item`, gasUsed: reqBatch.gasUsed / BigInt(BATCH) });
    const first = (await protocol.hub.requestCount()) - BigInt(BATCH) + 1n;
    const byWorker = new Map<string, bigint[]>();
    for (let id = first; id < first + BigInt(BATCH); id++) {
      const { worker } = await protocol.hub.getRequest(id);
      byWorker.set(worker, [...(byWorker.get(worker) ?? []), id]);
    }
    let submitGas = 0n;
    for (const [worker, ids] of byWorker) {
      const outputs = ids.map(() => OUTPUT);
      const errors = ids.map(() => false);
      submitGas += (await mined(protocol.hub.connect(book.get(worker)).submitResultBatch(ids, outputs, errors)))
        .gasUsed;
    }
    note({ step: `batch ${label}: submit, per item`, gasUsed: submitGas / BigInt(BATCH) });
    if (mode === Mode.OPTIMISTIC) {
      await networkHelpers.time.increase(Number(params.challengeWindow) + 1);
      const ids = Array.from({ length: BATCH }, (_, i) => first + BigInt(i));
      const batch = await mined(protocol.hub.finalizeBatch(ids));
      note({ step: `batch ${label}: finalize, per item`, gasUsed: batch.gasUsed / BigInt(BATCH) });
    }
  }

  // COMMITTEE: quorum of attestations.
  const com = await requestInference(protocol, requester, models[Mode.COMMITTEE], INPUT, {
    maxFee: quotes[Mode.COMMITTEE],
  });
  note({ step: "request (COMMITTEE)", gasUsed: com.receipt.gasUsed });
  note({
    step: "submit + draw committee",
    gasUsed: (await submitAsWorker(protocol, book, com.requestId, OUTPUT)).gasUsed,
  });
  const quorum = Math.floor(Number(params.committeeSize) / 2) + 1;
  const attests = await attestAll(protocol, book, com.requestId, true, quorum);
  attests.slice(0, -1).forEach((r) => note({ step: "attest", gasUsed: r.gasUsed }));
  note({ step: "attest (quorum, finalizes)", gasUsed: attests.at(-1)?.gasUsed ?? 0n });

  // Dispute: challenge, commit, reveal, resolve (worker found wrong).
  const bad = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT, {
    maxFee: quotes[Mode.OPTIMISTIC],
  });
  await submitAsWorker(protocol, book, bad.requestId, OUTPUT);
  const challenger = await pickChallenger(protocol, verifiers, bad.requestId);
  note({
    step: "challenge + draw jurors",
    gasUsed: (await mined(protocol.hub.connect(challenger).challenge(bad.requestId))).gasUsed,
  });
  const votes = await voteAll(protocol, book, bad.requestId, () => false);
  votes.commits.forEach((r) => note({ step: "commit vote", gasUsed: r.gasUsed }));
  votes.reveals.forEach((r) => note({ step: "reveal vote", gasUsed: r.gasUsed }));
  note({
    step: "resolve (worker slashed)",
    gasUsed: (await mined(protocol.hub.resolveDispute(bad.requestId))).gasUsed,
  });
  // The slashed worker sits out its jail; bring it back so every pass sees the same operator set.
  await networkHelpers.time.increase(Number((await protocol.staking.params()).jailDuration) + 1);
  const { worker } = await protocol.hub.getRequest(bad.requestId);
  await mined(protocol.staking.connect(book.get(worker)).unjail());

  const claim = await mined(protocol.hub.connect(modelOwner).claimCredits());
  note({ step: "claim credits", gasUsed: claim.gasUsed });
  note({ step: "withdraw", gasUsed: (await mined(protocol.hub.connect(requester).withdraw(OPG))).gasUsed });
}

await pass(false); // warm-up: first-time storage writes are not steady state
for (let i = 0; i < SAMPLES; i++) await pass(true);

const rows = [...samples.keys()].map((step) => ({ step, gas: average(step) }));
const width = Math.max(...rows.map((r) => r.step.length));
console.log(`\nOPG gas per lifecycle step (steady state, mean of ${SAMPLES} samples)\n`);
for (const row of rows) console.log(`  ${row.step.padEnd(width)}  ${row.gas.toString().padStart(9)}`);

const totals: Array<[string, bigint]> = [
  ["NONE        request + submit", average("request (NONE)") + average("submit + finalize (NONE)")],
  [
    "OPTIMISTIC  request + submit + finalize",
    average("request (OPTIMISTIC)") + average("submit (OPTIMISTIC)") + average("finalize"),
  ],
  [
    `NONE        batched (${BATCH} per call)`,
    average("batch NONE: request, per item") + average("batch NONE: submit, per item"),
  ],
  [
    `OPTIMISTIC  batched (${BATCH} per call)`,
    average("batch OPTIMISTIC: request, per item") +
      average("batch OPTIMISTIC: submit, per item") +
      average("batch OPTIMISTIC: finalize, per item"),
  ],
  [
    "COMMITTEE   request + submit + quorum",
    average("request (COMMITTEE)") +
      average("submit + draw committee") +
      (samples.has("attest") ? average("attest") * BigInt(samples.get("attest")!.length / SAMPLES) : 0n) +
      average("attest (quorum, finalizes)"),
  ],
];
console.log(`\nTotal gas per verified inference (target ≤ ${TARGET_PER_INFERENCE} for NONE and OPTIMISTIC)\n`);
for (const [label, gas] of totals) {
  const verdict = label.startsWith("COMMITTEE")
    ? ""
    : gas <= TARGET_PER_INFERENCE
      ? "  within target"
      : "  above target";
  console.log(`  ${label.padEnd(42)} ${gas.toString().padStart(9)}${verdict}`);
}
