/**
 * The main job on Hardhat's in-process chain: deploys the whole protocol with Ignition (ownership handed to the
 * timelock), stakes workers and verifiers, registers one model per verification mode, and takes requests through
 * every path of the lifecycle — NONE, OPTIMISTIC, COMMITTEE, a timed-out worker reassigned, and a cheating worker
 * challenged, out-voted and slashed. Prints what happened and where every fee went.
 *
 *   npm run demo
 */
import { formatUnits } from "ethers";
import { network } from "hardhat";

import {
  SignerBook,
  attestAll,
  mined,
  pickChallenger,
  requestInference,
  submitAsWorker,
  voteAll,
} from "../offchain/devnet/lifecycle.js";
import {
  Mode,
  OPG,
  Status,
  assignActors,
  demoModel,
  deployProtocol,
  registerModel,
  stakeNetwork,
} from "../offchain/devnet/protocol.js";
import { DType, encodeTensors, type TensorData } from "../offchain/codec/tensor.js";

const fmt = (wei: bigint) => `${formatUnits(wei, 18)} OPG`;
const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/** A classifier's canonical output: class scores as FIXED64 with 6 decimals. */
function scores(values: number[]): Uint8Array {
  const tensor: TensorData = {
    dtype: DType.FIXED64,
    decimals: 6,
    shape: [1, values.length],
    data: values.map((v) => BigInt(Math.round(v * 1e6))),
  };
  return encodeTensors([tensor]);
}

const INPUT = encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }]);
const HONEST = scores([0.97, 0.02, 0.01]);
const CHEAT = scores([0.01, 0.02, 0.97]);

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const signers = await ethers.getSigners();
const actors = assignActors(signers, 4, 5);
const { requester, modelOwner, workers, verifiers } = actors;
const book = new SignerBook(signers);
const names = new Map<string, string>([
  [requester.address, "requester"],
  [modelOwner.address, "model owner"],
  ...workers.map((w, i) => [w.address, `worker-${i + 1}`] as [string, string]),
  ...verifiers.map((v, i) => [v.address, `verifier-${i + 1}`] as [string, string]),
]);
const who = (address: string) => names.get(address) ?? short(address);

console.log("OPG demo — in-process Hardhat chain\n");
console.log("1. Deploying with Ignition (token, registry, staking, randomness, hub, governor, timelock)…");
const protocol = await deployProtocol(connection, { governed: true });
names.set(await protocol.timelock.getAddress(), "treasury (timelock)");
const params = await protocol.hub.params();
console.log(
  `   hub ${await protocol.hub.getAddress()}, owned by the timelock: ${(await protocol.hub.owner()) === (await protocol.timelock.getAddress())}`,
);

console.log("2. Funding and staking 4 workers (10,000 OPG) and 5 verifiers (5,000 OPG)…");
await stakeNetwork(protocol, actors, {
  fund: 50_000n * OPG,
  workerStake: 10_000n * OPG,
  verifierStake: 5_000n * OPG,
  verifierBalance: 500n * OPG, // challenge bonds come from the hub balance
  requesterBalance: 100n * OPG,
});

console.log("3. Registering one model per verification mode (1 OPG per inference, 10 % royalty)…");
const models = {
  [Mode.NONE]: await registerModel(protocol, modelOwner, demoModel("iris-none", Mode.NONE)),
  [Mode.OPTIMISTIC]: await registerModel(protocol, modelOwner, demoModel("iris-optimistic", Mode.OPTIMISTIC)),
  [Mode.COMMITTEE]: await registerModel(protocol, modelOwner, demoModel("iris-committee", Mode.COMMITTEE)),
};

interface Row {
  scenario: string;
  requestId: bigint;
  gas: bigint;
}
const rows: Row[] = [];
const gasOf = (...receipts: Array<{ gasUsed: bigint }>) => receipts.reduce((a, r) => a + r.gasUsed, 0n);

console.log("4. Requests through every path (gas of all their transactions; first use, so storage is cold —");
console.log("   `npm run bench:gas` measures steady state):");

{
  const r = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
  const s = await submitAsWorker(protocol, book, r.requestId, HONEST);
  rows.push({ scenario: "NONE: final at submission", requestId: r.requestId, gas: gasOf(r.receipt, s) });
}
{
  const r = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
  const s = await submitAsWorker(protocol, book, r.requestId, HONEST);
  await networkHelpers.time.increase(Number(params.challengeWindow) + 1);
  const f = await mined(protocol.hub.finalize(r.requestId));
  rows.push({
    scenario: "OPTIMISTIC: unchallenged, final after window",
    requestId: r.requestId,
    gas: gasOf(r.receipt, s, f),
  });
}
{
  const r = await requestInference(protocol, requester, models[Mode.COMMITTEE], INPUT);
  const s = await submitAsWorker(protocol, book, r.requestId, HONEST);
  const quorum = Math.floor(Number(params.committeeSize) / 2) + 1;
  const a = await attestAll(protocol, book, r.requestId, true, quorum);
  rows.push({
    scenario: `COMMITTEE: ${quorum} of ${params.committeeSize} attest`,
    requestId: r.requestId,
    gas: gasOf(r.receipt, s, ...a),
  });
}
{
  const r = await requestInference(protocol, requester, models[Mode.NONE], INPUT);
  const late = (await protocol.hub.getRequest(r.requestId)).worker;
  await networkHelpers.time.increase(Number(params.responseTimeout) + 1);
  const re = await mined(protocol.hub.reassign(r.requestId));
  const s = await submitAsWorker(protocol, book, r.requestId, HONEST);
  rows.push({
    scenario: `timeout: ${who(late)} penalised, reassigned`,
    requestId: r.requestId,
    gas: gasOf(r.receipt, re, s),
  });
}
let cheater = "";
{
  const r = await requestInference(protocol, requester, models[Mode.OPTIMISTIC], INPUT);
  cheater = (await protocol.hub.getRequest(r.requestId)).worker;
  const s = await submitAsWorker(protocol, book, r.requestId, CHEAT);
  const challenger = await pickChallenger(protocol, verifiers, r.requestId);
  const c = await mined(protocol.hub.connect(challenger).challenge(r.requestId));
  // Jurors re-execute the model and find the posted output outside tolerance: they vote to reject.
  const v = await voteAll(protocol, book, r.requestId, () => false);
  const res = await mined(protocol.hub.resolveDispute(r.requestId));
  rows.push({
    scenario: `cheat: ${who(cheater)} challenged by ${who(challenger.address)}, slashed`,
    requestId: r.requestId,
    gas: gasOf(r.receipt, s, c, ...v.commits, ...v.reveals, res),
  });
}

const statusName = (s: bigint) => Status[Number(s)] ?? `#${s}`;
const width = Math.max(...rows.map((r) => r.scenario.length));
for (const row of rows) {
  const req = await protocol.hub.getRequest(row.requestId);
  console.log(
    `   #${row.requestId}  ${row.scenario.padEnd(width)}  ${statusName(req.status).padEnd(9)}  worker ${who(req.worker).padEnd(10)}  ${row.gas} gas`,
  );
}

console.log("\n5. Summary (from on-chain events)");
const hub = protocol.hub;
const count = async (name: string) => (await hub.queryFilter(hub.filters[name as "RequestFinalized"]())).length;
console.log(
  `   requests ${await hub.requestCount()}, finalized ${await count("RequestFinalized")}, rejected ${await count("RequestRejected")}, expired ${await count("RequestExpired")}`,
);
console.log(
  `   disputes ${await count("DisputeOpened")}, worker slashes ${await count("WorkerSlashed")}, timeouts ${await count("WorkerTimedOut")}`,
);
const slashed = (await hub.queryFilter(hub.filters.WorkerSlashed())).reduce((a, e) => a + e.args.amount, 0n);
console.log(
  `   stake slashed from ${who(cheater)}: ${fmt(slashed)} (jailed: ${(await protocol.staking.getOperator(cheater)).jailed})`,
);

const credits = new Map<string, bigint>();
const add = (account: string, amount: bigint) => credits.set(account, (credits.get(account) ?? 0n) + amount);
for (const e of await hub.queryFilter(hub.filters.Credited())) add(e.args.account, e.args.amount);
for (const e of await hub.queryFilter(hub.filters.RequestFinalized())) {
  add(e.args.royaltyRecipient, e.args.royalty);
  add(e.args.worker, e.args.workerPay);
  add(params.treasury, e.args.treasuryPay);
}
console.log("   credits earned (pull payments, claimable with claimCredits):");
for (const [account, amount] of [...credits.entries()].sort((a, b) => (b[1] > a[1] ? 1 : -1))) {
  console.log(`     ${who(account).padEnd(20)} ${fmt(amount)}`);
}
const balance = await protocol.token.balanceOf(await hub.getAddress());
console.log(
  `   hub holds ${fmt(balance)}; requester free balance ${fmt(await hub.balanceOf(requester.address))} (refunded the rejected request)`,
);
console.log("\nDone. Every transition above is an event: the chain now holds an auditable record of these inferences.");
