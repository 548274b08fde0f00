/**
 * The main job on Hardhat's in-process chain: a complete local OPG network. It deploys everything with Ignition,
 * registers real ONNX models (the trained zoo and the shipped language model), funds and stakes workers and verifiers and runs their node software, then sends
 * a stream of requests in every mode — including malformed input, a worker that cheats on purpose and is caught and
 * slashed, and a lazy verifier that attests without computing — and prints what happened, computed from on-chain
 * events. The cheater and the lazy verifier are strategies the devnet injects (offchain/node/cheats.ts); the real
 * node tasks have no such option.
 *
 *   npm run demo
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { network } from "hardhat";

import { NetworkIndexer } from "../offchain/indexer/stats.js";
import { OpgClient } from "../offchain/client/client.js";
import { buildGenerationRequest, readPostedGeneration, type LanguageModelInfo } from "../offchain/client/generation.js";
import { encodeTensors } from "../offchain/codec/tensor.js";
import { settleAll, startLocalNetwork } from "../offchain/devnet/network.js";
import { Mode } from "../offchain/devnet/protocol.js";
import { encodeGenerationRequest, type GenerationRequest } from "../offchain/lm/generation.js";
import { createLogger } from "../offchain/node/logger.js";
import { printStats } from "../tasks/actions/stats.js";

const connection = await network.create();
const dir = await mkdtemp(path.join(os.tmpdir(), "opg-demo-"));
const quiet = process.env.OPG_DEMO_LOGS === undefined;
const logger = createLogger("devnet", { pretty: true, level: quiet ? "warn" : "info" });

console.log("OPG demo — a complete local network on Hardhat's in-process chain\n");
console.log("1. Training the model zoo on real data (Iris, MNIST), deploying with Ignition, registering the models,");
console.log("   staking 4 workers and 11 verifiers (one lazy) and starting their nodes…");
// A panel is drawn only from as many distinct non-party verifiers as seats: the escalation of a COMMITTEE result
// excludes its 3-seat committee, so its 7-seat jury (ignition/parameters/hardhat.json) needs 10 verifiers; 11 leave
// one to spare.
const VERIFIERS = 11;
const LAZY = VERIFIERS - 1;
const net = await startLocalNetwork(connection, {
  dir,
  logger,
  workers: 4,
  verifiers: VERIFIERS,
  cheater: 3,
  lazyVerifier: LAZY,
  models: "zoo",
});
const cheater = net.actors.workers[3]!.address;
const lazy = net.actors.verifiers[LAZY]!.address;
const names = new Map<string, string>();
net.actors.workers.forEach((w, i) => names.set(w.address, `worker-${i + 1}${i === 3 ? " (cheats)" : ""}`));
net.actors.verifiers.forEach((v, i) => names.set(v.address, `verifier-${i + 1}${i === LAZY ? " (lazy)" : ""}`));
const who = (a: string | null) => (a === null ? "-" : (names.get(a) ?? a.slice(0, 10)));
for (const m of net.models) console.log(`   model #${m.id} ${m.name} (${Mode[m.mode]}) at ${path.basename(m.uri)}`);
for (const m of net.languageModels) {
  console.log(
    `   model #${m.id} ${m.name} (${Mode[m.mode]}, language model, context ${m.contextLength}) at ${path.basename(m.uri)}`,
  );
}

console.log(
  "\n2. Sending requests in every mode: held-out examples, and text to continue (nodes pick them up from events)…",
);
const client = new OpgClient(net.contracts.addresses, net.actors.requester);
const PROMPT = "The jury said that";
const sent: Array<{
  id: bigint;
  label: string;
  truth: string | null;
  classNames?: readonly string[];
  generation?: { model: LanguageModelInfo; request: GenerationRequest };
}> = [];
for (let k = 0; k < 3; k++) {
  for (const m of net.models) {
    const example = m.examples?.[k];
    const { requestId } = await client.request(m.id, encodeTensors([example?.input ?? m.exampleInput]));
    const truth = example === undefined ? null : (m.classNames?.[example.label] ?? String(example.label));
    sent.push({ id: requestId, label: `${m.name} ${Mode[m.mode]}`, truth, classNames: m.classNames });
  }
}
// Text: the shipped language model continues a prompt in each mode (greedy and sampled); verifiers check each
// generation with one teacher-forced pass, and the cheating worker's substituted tokens are caught.
for (const m of net.languageModels) {
  const model = await client.languageModel(m.id);
  for (const [k, temperature] of [0, 0.8].entries()) {
    const request = buildGenerationRequest(model, {
      prompt: PROMPT,
      maxNewTokens: 24,
      temperature,
      seed: BigInt(k + 1),
    });
    const { requestId } = await client.request(m.id, encodeGenerationRequest(request));
    sent.push({
      id: requestId,
      label: `${m.name} ${Mode[m.mode]} T=${temperature}`,
      truth: null,
      generation: { model, request },
    });
  }
}
const malformed = await client.request(net.models[0]!.id, Uint8Array.from([1, 2, 3])); // does not decode
sent.push({ id: malformed.requestId, label: "malformed input", truth: null });
// Two passes over the 15 nodes per step, so that every juror sees its jury within the 60-second commit window.
const rounds = await settleAll(
  net,
  connection,
  sent.map((s) => s.id),
  { ticksPerStep: 2 },
);
console.log(`   all ${sent.length} requests settled after ${rounds} node rounds\n`);

console.log("3. Requests (prediction = argmax of the verified output; truth = the held-out label):");
let correct = 0;
let judged = 0;
for (const { id, label, truth, classNames, generation } of sent) {
  const record = await client.status(id);
  let out: string;
  if (record.output?.isError === true) out = `error result ${record.output.errorCode}`;
  else if (generation !== undefined) {
    const text = readPostedGeneration(generation.model, generation.request, record).text.replace(/\s+/g, " ");
    out = `${record.status === "Finalized" ? "" : "(rejected) "}"${PROMPT}${text.slice(0, 60)}${text.length > 60 ? "…" : ""}"`;
  } else {
    const scores = (record.output?.tensors?.[0]?.data ?? []) as bigint[];
    const best = scores.reduce((bi, v, i, arr) => (v > arr[bi]! ? i : bi), 0);
    const predicted = classNames?.[best] ?? String(best);
    out = `predicted ${predicted} (p=${(Number(scores[best] ?? 0n) / 1e6).toFixed(3)})${truth === null ? "" : `, truth ${truth}`}`;
    if (truth !== null && record.status === "Finalized") {
      judged += 1;
      if (predicted === truth) correct += 1;
    }
  }
  const dispute =
    record.dispute === null
      ? ""
      : `  [dispute: ${record.dispute.upheld === false ? "worker slashed" : "worker upheld"}]`;
  console.log(
    `   #${String(id).padEnd(3)} ${label.padEnd(28)} ${record.status.padEnd(9)} ${who(record.worker).padEnd(19)} ${out}${dispute}`,
  );
}
console.log(`   finalized predictions matching the held-out label: ${correct}/${judged}`);

console.log("\n4. Network stats (from on-chain events only):");
const indexer = new NetworkIndexer(net.contracts, { startBlock: net.contracts.addresses.fromBlock });
await indexer.sync();
printStats(indexer.stats({ windowSeconds: 3600 }));
const op = await net.protocol.staking.getOperator(cheater);
const jailed = op.jailedUntil > BigInt(await connection.networkHelpers.time.latest());
console.log(
  `\n   the cheating worker ${who(cheater)} is jailed: ${jailed}, stake left ${Number(op.active) / 1e18} OPG`,
);
const lazyOp = await net.protocol.staking.getOperator(lazy);
console.log(
  `   the lazy verifier ${who(lazy)} (attests and votes "agree" without computing) has ${Number(lazyOp.active) / 1e18} OPG staked of 5000`,
);
await net.stop();
console.log("\nDone. Every step above is an on-chain event: an auditable record of verified inferences.");
