/**
 * End to end on the in-process chain: the real v2 contracts (deployed by Ignition), real ONNX models run by
 * onnxruntime, and the real worker / verifier node software, driven round by round. Each test builds its own network
 * on a fresh chain and a fresh temp directory, and asserts on what the chain records (hub, committee, court,
 * staking and settlement events) and what operators see in the logs.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { BrowserProvider, ethers as ethersLib, type ContractTransaction, type Signer } from "ethers";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { connectContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { TxSender, type TxSenderEvent, type TxSenderOptions } from "../../offchain/chain/sender.js";
import { JsonStateFile } from "../../offchain/chain/stateFile.js";
import { DType, decodeTensors, encodeTensors } from "../../offchain/codec/tensor.js";
import { requestInference } from "../../offchain/devnet/lifecycle.js";
import { startLocalNetwork, type LocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, OPG, Outcome, Status, registerModel } from "../../offchain/devnet/protocol.js";
import { decodeErrorResult } from "../../offchain/model/errorResult.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";
import { silentJuror, silentMember } from "../../offchain/node/cheats.js";
import { createVerifier, createWorker, protocolErrorInterfaces, type NodeConfig } from "../../offchain/node/factory.js";
import { memoryLogger, type Logger } from "../../offchain/node/logger.js";
import type { VerifierNode, VerifierState } from "../../offchain/node/verifier.js";
import { DECLINE_HASH_MISMATCH, type WorkerState } from "../../offchain/node/worker.js";

type MemoryLogger = ReturnType<typeof memoryLogger>;
interface Tickable {
  tick(): Promise<void>;
}

const TERMINAL = new Set<bigint>([Status.Finalized, Status.Rejected, Status.Expired, Status.Refunded].map(BigInt));
const FAST_RETRY = { retries: 6, baseDelayMs: 2, maxDelayMs: 20 };

// ------------------------------------------------------------------------------------------------ helpers

interface Env {
  connection: NetworkConnection;
  net: LocalNetwork;
  dir: string;
  logger: MemoryLogger;
}

const opened: Env[] = [];
/** Nodes a test started on their own loops: stopped after the tests even when an assertion failed first. */
const running: Array<{ stop(): Promise<void> }> = [];

async function setup(options: { workers: number; verifiers: number; cheater?: number }): Promise<Env> {
  const connection = await network.create();
  const dir = await mkdtemp(path.join(os.tmpdir(), "opg-e2e-"));
  const logger = memoryLogger();
  const net = await startLocalNetwork(connection, { dir, logger, ...options });
  const env = { connection, net, dir, logger };
  opened.push(env);
  return env;
}

function model(net: LocalNetwork, name: string, mode: Mode) {
  const found = net.models.find((m) => m.name === name && m.mode === mode);
  if (found === undefined) throw new Error(`no ${name} model in ${Mode[mode]} mode`);
  return found;
}

async function request(env: Env, modelId: bigint, input: Uint8Array): Promise<bigint> {
  return (await requestInference(env.net.protocol, env.net.actors.requester, modelId, input)).requestId;
}

/** Node config like the local network's, for a node built by the test (own logger, sender, provider or state). */
function nodeConfig(
  env: Env,
  signer: Signer,
  logger: Logger,
  extra: { stateDir?: string; sender?: TxSender } = {},
): NodeConfig {
  const { net, dir } = env;
  return {
    contracts: net.contracts,
    signer,
    logger,
    stateDir: extra.stateDir ?? path.join(dir, "state"),
    cacheDir: path.join(dir, "cache"),
    runtime: net.runtime,
    store: new ModelStore({ cacheDir: path.join(dir, "cache") }),
    pollIntervalMs: 20,
    concurrency: 8,
    sender: extra.sender,
  };
}

function senderOptions(extra: TxSenderOptions = {}): TxSenderOptions {
  return { errorInterfaces: protocolErrorInterfaces(), pollIntervalMs: 10, retry: FAST_RETRY, ...extra };
}

/**
 * Ticks `nodes` and advances chain time until every request is terminal. With `reassignAs`, a request whose worker
 * missed its deadline is reassigned (the permissionless step a requester's client performs).
 * Returns the rounds taken and the errors rounds threw (a flaky RPC makes some rounds fail; they are retried).
 */
async function drive(
  env: Env,
  nodes: Tickable[],
  ids: bigint[],
  options: { reassignAs?: HardhatEthersSigner; maxRounds?: number; step?: number; ticksPerStep?: number } = {},
): Promise<{ rounds: number; roundErrors: number }> {
  const { hub } = env.net.protocol;
  let roundErrors = 0;
  for (let round = 1; round <= (options.maxRounds ?? 80); round++) {
    for (let t = 0; t < (options.ticksPerStep ?? 1); t++) {
      for (const node of nodes) {
        try {
          await node.tick();
        } catch {
          roundErrors++;
        }
      }
    }
    const requests = await Promise.all(ids.map((id) => hub.getRequest(id)));
    if (requests.every((r) => TERMINAL.has(r.status))) return { rounds: round, roundErrors };
    if (options.reassignAs !== undefined) {
      const now = BigInt(await env.connection.networkHelpers.time.latest());
      for (const [i, r] of requests.entries()) {
        if (r.status === BigInt(Status.Requested) && now > r.deadline) {
          await (await hub.connect(options.reassignAs).reassign(ids[i]!)).wait();
        }
      }
    }
    await env.connection.networkHelpers.time.increase(options.step ?? 20);
  }
  const statuses = await Promise.all(ids.map(async (id) => Status[Number((await hub.getRequest(id)).status)]));
  throw new Error(`requests not settled: ${statuses.join(", ")}`);
}

/** The canonical output of running `name` on `input` directly through a runtime of our own (not the nodes'). */
const reference = new ModelRuntime();
async function expectedOutput(name: string, input: Uint8Array): Promise<Uint8Array> {
  const demo = buildDemoModels().find((d) => d.name === name);
  if (demo === undefined) throw new Error(`no demo model ${name}`);
  const loaded = await reference.load(`0x${sha256Hex(demo.bytes)}`, demo.bytes);
  const outcome = await reference.run(loaded, input, demo.outputDecimals);
  expect(outcome.kind).to.equal("ok");
  return outcome.output;
}

async function resultEvents(env: Env, id: bigint) {
  const { hub } = env.net.protocol;
  return hub.queryFilter(hub.filters.ResultSubmitted(id));
}

/** The posted output of a request (its only `ResultSubmitted`). */
async function posted(env: Env, id: bigint) {
  const events = await resultEvents(env, id);
  expect(events, `#${id} results`).to.have.length(1);
  const { output, isError, worker } = events[0]!.args;
  return { bytes: ethersLib.getBytes(output), isError, worker };
}

async function attestations(env: Env, id: bigint) {
  const { committee } = env.net.protocol;
  return (await committee.queryFilter(committee.filters.AttestationRevealed(id))).map((e) => ({
    member: e.args.member,
    agree: e.args.agree,
    seats: Number(e.args.seats),
  }));
}

async function workerPay(env: Env, id: bigint): Promise<bigint | null> {
  const { settlement } = env.net.protocol;
  const [paid] = await settlement.queryFilter(settlement.filters.FeeSplitPaid(id));
  return paid === undefined ? null : paid.args.workerPay;
}

async function totalFee(env: Env, modelId: bigint): Promise<bigint> {
  const [modelFee, protocolFee] = await env.net.protocol.hub.quote(modelId);
  return modelFee + protocolFee;
}

const count = (logger: MemoryLogger, event: string, level?: string) =>
  logger.entries.filter((e) => e.event === event && (level === undefined || e.level === level)).length;

function workerStateFile(env: Env, address: string, stateDir = path.join(env.dir, "state")) {
  return new JsonStateFile<WorkerState>(path.join(stateDir, `worker-${address.toLowerCase()}.json`), { jobs: {} });
}

function verifierStateFile(env: Env, address: string, stateDir: string) {
  return new JsonStateFile<VerifierState>(path.join(stateDir, `verifier-${address.toLowerCase()}.json`), { jobs: {} });
}

/** A sender that dies right after a transaction with this label prefix was mined (the receipt never arrives). */
class CrashAfterBroadcast extends TxSender {
  prefix = "submitResult";

  override async send(populate: () => Promise<ContractTransaction>, label: string) {
    const receipt = await super.send(populate, label);
    if (label.startsWith(this.prefix)) throw new Error(`simulated crash after broadcasting ${label}`);
    return receipt;
  }
}

/** A sender whose RPC is down for submissions: it fails before anything is broadcast. */
class DownBeforeBroadcast extends TxSender {
  override async send(populate: () => Promise<ContractTransaction>, label: string) {
    if (label.startsWith("submitResult")) throw new Error(`simulated crash before broadcasting ${label}`);
    return super.send(populate, label);
  }
}

/** Records every send; optionally slow, so jobs are still in flight when the node is stopped. */
class RecordingSender extends TxSender {
  readonly labels: string[] = [];
  delayMs = 0;

  override async send(populate: () => Promise<ContractTransaction>, label: string) {
    this.labels.push(label);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return super.send(populate, label);
  }
}

const argmax = (data: readonly unknown[]) =>
  (data as bigint[]).reduce((best, v, i, all) => (v > all[best]! ? i : best), 0);

// ------------------------------------------------------------------------------------------------ tests

describe("Node software end to end on v2 (real contracts, real onnxruntime)", function () {
  this.timeout(180_000);

  after(async function () {
    for (const node of running) await node.stop();
    for (const env of opened) {
      await env.net.stop();
      await env.connection.close();
      await rm(env.dir, { recursive: true, force: true });
    }
    await reference.close();
  });

  it("settles NONE, OPTIMISTIC and COMMITTEE requests with the model's canonical output", async function () {
    const env = await setup({ workers: 3, verifiers: 5 });
    const { net } = env;
    const { hub, committee, court } = net.protocol;
    const cases = [
      { m: model(net, "iris-linear", Mode.NONE), data: [5.1, 3.5, 1.4, 0.2] },
      { m: model(net, "iris-linear", Mode.OPTIMISTIC), data: [6.3, 3.3, 6.0, 2.5] },
      { m: model(net, "iris-linear", Mode.COMMITTEE), data: [5.9, 3.0, 4.2, 1.5] },
      { m: model(net, "xor-mlp", Mode.OPTIMISTIC), data: [1, 0] },
    ];
    const sent: Array<{ id: bigint; name: string; input: Uint8Array; mode: Mode }> = [];
    for (const { m, data } of cases) {
      const input = encodeTensors([{ ...m.exampleInput, data }]);
      sent.push({ id: await request(env, m.id, input), name: m.name, input, mode: m.mode });
    }
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
    );

    for (const { id, name, input, mode } of sent) {
      expect(Status[Number((await hub.getRequest(id)).status)], `#${id}`).to.equal("Finalized");
      const result = await posted(env, id);
      expect(result.isError).to.equal(false);
      expect(ethersLib.hexlify(result.bytes)).to.equal(ethersLib.hexlify(await expectedOutput(name, input)));
      expect(await workerPay(env, id)).to.be.greaterThan(0n);
      expect(await court.queryFilter(court.filters.CaseOpened(id))).to.have.length(0);
      if (mode === Mode.COMMITTEE) {
        const [drawn] = await committee.queryFilter(committee.filters.CommitteeDrawn(id));
        expect(drawn?.args.seats).to.have.length(3);
        const revealed = await attestations(env, id);
        // Every member revealed agreement: all three seats, no silence penalty.
        expect(revealed.reduce((n, a) => n + a.seats, 0)).to.equal(3);
        expect(revealed.every((a) => a.agree)).to.equal(true);
        expect(await committee.queryFilter(committee.filters.SilencePenalised(id))).to.have.length(0);
      }
    }
    // The classifier's answers make sense: setosa, virginica, versicolor; xor(1, 0) = 1.
    const answers = [];
    for (const s of sent.slice(0, 3)) answers.push(argmax(decodeTensors((await posted(env, s.id)).bytes)[0]!.data));
    expect(answers).to.deep.equal([0, 2, 1]);
    expect(decodeTensors((await posted(env, sent[3]!.id)).bytes)[0]!.data).to.deep.equal([1_000_000n]);
    expect(count(env.logger, "job.failed")).to.equal(0);
    expect(count(env.logger, "model.hash_mismatch")).to.equal(0);
    expect(count(env.logger, "attestation.revealed")).to.be.at.least(1);
  });

  it("a worker with several results ready sends them in one submitResultBatch", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net } = env;
    const { hub } = net.protocol;
    const m = model(net, "iris-linear", Mode.OPTIMISTIC);
    const ids: bigint[] = [];
    for (const data of [
      [5.1, 3.5, 1.4, 0.2],
      [6.3, 3.3, 6.0, 2.5],
      [5.9, 3.0, 4.2, 1.5],
      [4.9, 3.0, 1.4, 0.2],
    ]) {
      ids.push(await request(env, m.id, encodeTensors([{ ...m.exampleInput, data }])));
    }
    await drive(env, [...net.workers, ...net.verifiers], ids);
    const submissions = await Promise.all(ids.map((id) => resultEvents(env, id)));
    const txs = new Set(submissions.map((events) => events[0]!.transactionHash));
    expect(txs.size, "one transaction for the four results").to.equal(1);
    const receipt = await env.connection.ethers.provider.getTransactionReceipt([...txs][0]!);
    const tx = await env.connection.ethers.provider.getTransaction([...txs][0]!);
    expect(hub.interface.parseTransaction({ data: tx!.data })?.name).to.equal("submitResultBatch");
    for (const id of ids) expect(Status[Number((await hub.getRequest(id)).status)], `#${id}`).to.equal("Finalized");
    console.log(`      one submitResultBatch of 4 results: ${receipt!.gasUsed} gas`);
    expect(count(env.logger, "job.failed")).to.equal(0);
  });

  it("challenges (OPTIMISTIC) and escalates (COMMITTEE) a cheating worker: out-voted in court, slashed, jailed, refunded; it serves again once its jail is over", async function () {
    // 11 verifiers: the 7-seat jury of an escalated 3-seat committee needs 10 distinct non-party verifiers.
    const env = await setup({ workers: 2, verifiers: 11, cheater: 1 });
    const { net, connection } = env;
    const { hub, staking, settlement, court, committee } = net.protocol;
    const cheater = net.actors.workers[1]!.address;
    const honestWorker = net.actors.workers[0]!.address;
    const verifiers = net.actors.verifiers.map((v) => v.address);
    const requester = net.actors.requester.address;
    const balanceBefore = await settlement.balanceOf(requester);
    const stakeBefore = (await staking.getOperator(cheater)).active;

    // Request until the cheater was assigned one OPTIMISTIC and one COMMITTEE request (assignment is random).
    const sent: Array<{ id: bigint; mode: Mode; cheat: boolean }> = [];
    const need = new Set([Mode.OPTIMISTIC, Mode.COMMITTEE]);
    for (let i = 0; need.size > 0 && i < 40; i++) {
      const m = model(net, "iris-linear", i % 2 === 0 ? Mode.OPTIMISTIC : Mode.COMMITTEE);
      const { requestId, worker } = await requestInference(
        net.protocol,
        net.actors.requester,
        m.id,
        encodeTensors([m.exampleInput]),
      );
      const cheat = worker === cheater;
      if (cheat) need.delete(m.mode);
      sent.push({ id: requestId, mode: m.mode, cheat });
    }
    expect(need.size, "the cheater was never drawn").to.equal(0);
    // Two passes per step: with 13 nodes one pass mines enough blocks (a second each) to close a 60-second window
    // before a node ticked early in the pass sees the jury drawn later in it.
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
      { ticksPerStep: 2 },
    );

    const fee = await totalFee(env, model(net, "iris-linear", Mode.OPTIMISTIC).id);
    let finalized = 0n;
    for (const { id, mode, cheat } of sent) {
      const status = Status[Number((await hub.getRequest(id)).status)];
      expect(await resultEvents(env, id)).to.have.length(1);
      if (!cheat) {
        expect(status, `honest #${id}`).to.equal("Finalized");
        expect(await court.queryFilter(court.filters.CaseOpened(id))).to.have.length(0);
        finalized++;
        continue;
      }
      expect(status, `cheat #${id}`).to.equal("Rejected");
      const [resolved] = await court.queryFilter(court.filters.CaseResolved(id));
      expect(Number(resolved?.args.outcome)).to.equal(Outcome.Rejected);
      // Every juror re-ran the model, committed, and revealed a vote against the worker with all its seats.
      const [jury] = await court.queryFilter(court.filters.JuryDrawn(id));
      const votes = await court.queryFilter(court.filters.VoteRevealed(id));
      expect(votes.reduce((n, v) => n + Number(v.args.seats), 0)).to.equal(jury!.args.seats.length);
      expect(votes.every((v) => !v.args.upholdWorker)).to.equal(true);
      const challengers = (await court.challengersOf(id)).map((c) => c.account);
      expect(challengers.length).to.be.at.least(1);
      for (const c of challengers) expect(verifiers).to.include(c);
      // Nobody sits in judgement of a case it is party to.
      for (const juror of jury!.args.seats) expect(challengers).to.not.include(juror);
      if (mode === Mode.COMMITTEE) {
        // The committee members disagreed (commit-reveal), the result was escalated with them as challengers.
        const revealed = await attestations(env, id);
        expect(revealed.length).to.be.at.least(1);
        expect(revealed.every((a) => !a.agree)).to.equal(true);
        expect(await committee.queryFilter(committee.filters.Escalated(id))).to.have.length(1);
        expect(new Set(challengers)).to.deep.equal(new Set(revealed.map((a) => a.member)));
        for (const juror of jury!.args.seats) expect(revealed.map((a) => a.member)).to.not.include(juror);
      } else {
        // The first verifier challenged; another joins with its own bond unless the jury was drawn first with it
        // on it (joins pause while the jury's word is known and the jury is undrawn; a juror cannot join). A node
        // does not join when fewer than the jury size (minJuryPool) of verifiers would remain outside the case.
        const jurySize = Number((await court.params()).jurySize);
        expect(challengers.length).to.be.within(1, verifiers.length - jurySize);
        const joined = await court.queryFilter(court.filters.ChallengerJoined(id));
        const bond = (await court.params()).challengeBond;
        expect(joined.map((e) => e.args.bond)).to.deep.equal(challengers.map(() => bond));
        expect(new Set(jury!.args.seats).size).to.be.at.most(verifiers.length - challengers.length);
      }
      const penalties = await court.queryFilter(court.filters.Penalised(id, cheater));
      expect(penalties.length).to.equal(1);
    }
    // The requester paid for the honest results only: every rejected request was refunded in full.
    expect(await settlement.balanceOf(requester)).to.equal(balanceBefore - finalized * fee);

    const jailed = await staking.getOperator(cheater);
    expect(jailed.active).to.be.lessThan(stakeBefore);
    const now = BigInt(await connection.networkHelpers.time.latest());
    expect(jailed.jailedUntil).to.be.greaterThan(now);
    expect(await staking.isEligible(cheater, 1)).to.equal(false);
    expect(await staking.weightOf(cheater, 1)).to.equal(0n);
    expect((await staking.getOperator(honestWorker)).jailedUntil).to.equal(0n);
    expect(count(env.logger, "vote.committed")).to.be.at.least(2);
    expect(count(env.logger, "job.failed")).to.equal(0);

    // Jail ends by time: the worker node restores its own sortition weight once it is over.
    await connection.networkHelpers.time.increaseTo(jailed.jailedUntil + 1n);
    const cheaterNode = net.workers[1]!;
    for (let i = 0; i < 3 && (await staking.weightOf(cheater, 1)) === 0n; i++) {
      await cheaterNode.tick();
      await connection.networkHelpers.time.increase(61);
    }
    expect(await staking.isEligible(cheater, 1)).to.equal(true);
    expect(await staking.weightOf(cheater, 1)).to.be.greaterThan(0n);
    expect(count(env.logger, "operator.refreshed")).to.equal(1);
  });

  it("a worker that crashed right after broadcasting restarts without submitting twice", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net, connection } = env;
    const { hub } = net.protocol;
    const signer = net.actors.workers[0]!;
    const ids = [];
    for (const mode of [Mode.OPTIMISTIC, Mode.NONE, Mode.COMMITTEE]) {
      const m = model(net, "iris-linear", mode);
      ids.push(await request(env, m.id, encodeTensors([m.exampleInput])));
    }

    const crashedLog = memoryLogger();
    const crashed = await createWorker(
      nodeConfig(env, signer, crashedLog, { sender: new CrashAfterBroadcast(signer, senderOptions()) }),
    );
    await crashed.tick();
    expect(count(crashedLog, "job.failed")).to.equal(3);
    expect(count(crashedLog, "job.submitted")).to.equal(0); // the node never learnt that its transactions went in
    const persisted = await workerStateFile(env, signer.address).load();
    expect(Object.values(persisted.jobs).map((j) => j.status)).to.deep.equal([
      "submitting",
      "submitting",
      "submitting",
    ]);
    for (const id of ids) expect(await resultEvents(env, id)).to.have.length(1);

    // A new process on the same state directory.
    const restartedLog = memoryLogger();
    const sender = new RecordingSender(signer, senderOptions());
    const restarted = await createWorker(nodeConfig(env, signer, restartedLog, { sender }));
    const nonceBefore = await connection.ethers.provider.getTransactionCount(signer.address);
    await drive(env, [restarted, ...net.verifiers], ids);
    // One more look once the COMMITTEE window is over: the worker sees that the keepers settled it.
    await connection.networkHelpers.time.increase(3_600);
    await restarted.tick();

    expect(restartedLog.entries.find((e) => e.event === "worker.resumed")?.fields).to.deep.equal({ openJobs: 3 });
    for (const id of ids) {
      expect(await resultEvents(env, id), `#${id}`).to.have.length(1);
      expect((await hub.getRequest(id)).status).to.equal(BigInt(Status.Finalized));
      expect(restarted.jobs[String(id)]?.status).to.equal("finalized");
    }
    // It saw the results on-chain and never tried again: no submission, no revert, no error.
    expect(sender.labels.filter((l) => l.startsWith("submitResult"))).to.deep.equal([]);
    expect(restartedLog.entries.filter((e) => e.level === "error")).to.deep.equal([]);
    expect(restartedLog.entries.filter((e) => e.event === "job.skipped")).to.deep.equal([]);
    // Its only transaction: finalizing its OPTIMISTIC result (NONE is final on submission; the committee's keepers
    // finalize COMMITTEE once the reveals are in), through processBatch.
    expect(sender.labels).to.deep.equal([`processBatch #${ids[0]}`]);
    expect(await connection.ethers.provider.getTransactionCount(signer.address)).to.equal(nonceBefore + 1);

    // Finished jobs leave the state file a day (of chain time) later, so it does not grow with the node's history.
    await connection.networkHelpers.time.increase(86_400 + 600);
    await restarted.tick();
    expect(Object.keys(restarted.jobs)).to.deep.equal([]);
    expect(Object.keys((await workerStateFile(env, signer.address).load()).jobs)).to.deep.equal([]);
    expect(restartedLog.entries.find((e) => e.event === "jobs.pruned")?.fields).to.deep.equal({ dropped: 3 });
  });

  it("keeps working through an RPC that fails intermittently", async function () {
    const env = await setup({ workers: 2, verifiers: 3 });
    const { net, connection } = env;
    const flaky = new FlakyEip1193Provider(connection.provider, { failureRate: 0.06, seed: 42, maxConsecutive: 2 });
    flaky.injector.enabled = false; // while the nodes are wired up
    const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
    const stateDir = path.join(env.dir, "flaky-state");
    const log = memoryLogger();
    const senderEvents: TxSenderEvent[] = [];
    const nodes: Tickable[] = [];
    for (const [i, operator] of [...net.actors.workers, ...net.actors.verifiers].entries()) {
      const signer = await provider.getSigner(operator.address);
      const sender = new TxSender(signer, senderOptions({ onEvent: (e) => senderEvents.push(e) }));
      const config = {
        ...nodeConfig(env, signer, log, { stateDir, sender }),
        contracts: connectContracts(net.contracts.addresses, signer),
      };
      nodes.push(i < net.actors.workers.length ? await createWorker(config) : await createVerifier(config));
    }
    const sent: Array<{ id: bigint; name: string; input: Uint8Array }> = [];
    for (const round of [0, 1]) {
      for (const m of net.models) {
        const input = encodeTensors([{ ...m.exampleInput, data: m.exampleInput.data.map((v) => Number(v) + round) }]);
        sent.push({ id: await request(env, m.id, input), name: m.name, input });
      }
    }
    // Node reads (getRequest, queryFilter) are not retried inside a job: a failed job runs again next round. Live
    // nodes poll every second against a 60 s+ response window; several ticks per 10 s of chain time mirror that.
    flaky.injector.enabled = true;
    const { roundErrors } = await drive(
      env,
      nodes,
      sent.map((s) => s.id),
      { maxRounds: 120, step: 10, ticksPerStep: 3 },
    );
    flaky.injector.enabled = false;

    for (const { id, name, input } of sent) {
      expect(Status[Number((await net.protocol.hub.getRequest(id)).status)], `#${id}`).to.equal("Finalized");
      expect(ethersLib.hexlify((await posted(env, id)).bytes)).to.equal(
        ethersLib.hexlify(await expectedOutput(name, input)),
      );
    }
    // Failures really hit the nodes: retried inside the sender, or failed a job / a round that ran again later.
    expect(flaky.stats.failures).to.be.greaterThan(10);
    const retried = senderEvents.filter((e) => e.type === "retry").length;
    const jobRetries = count(log, "job.retry") + count(log, "job.failed");
    expect(retried + jobRetries + roundErrors).to.be.greaterThan(5);
    // Nothing was lost on the way: no job given up, no worker timed out or declined, no request reassigned.
    expect(count(log, "job.skipped")).to.equal(0);
    expect(await net.protocol.hub.queryFilter(net.protocol.hub.filters.WorkerTimedOut())).to.have.length(0);
    expect(await net.protocol.hub.queryFilter(net.protocol.hub.filters.WorkerDeclined())).to.have.length(0);
    expect(count(log, "model.hash_mismatch")).to.equal(0);
  });

  it("a worker whose free stake cannot cover a job's collateral says so once, and says so again when it can", async function () {
    const env = await setup({ workers: 1, verifiers: 0 });
    const { net } = env;
    const { staking } = net.protocol;
    const operator = net.actors.workers[0]!;
    const log = memoryLogger();
    const worker = await createWorker({ ...nodeConfig(env, operator, log), stakeCheckSeconds: 0 });
    const { freeStake, needed } = await worker.stakeStatus();
    expect(needed === null, "an active model's collateral").to.equal(false);
    const taken = freeStake - needed! + 1n;
    await (await staking.connect(operator).unstake(taken)).wait();

    await worker.tick();
    await worker.tick(); // the same state: no second warning
    const warnings = log.entries.filter((e) => e.event === "stake.insufficient");
    expect(warnings).to.have.length(1);
    expect(warnings[0]!.level).to.equal("warn");
    expect(warnings[0]!.fields.freeStake).to.equal(needed! - 1n);
    expect(warnings[0]!.fields.needed).to.equal(needed);
    expect(String(warnings[0]!.fields.action)).to.include("no new work");

    await (await net.protocol.token.connect(net.protocol.deployer).transfer(operator.address, taken)).wait();
    await (await net.protocol.token.connect(operator).approve(net.protocol.addresses.staking, taken)).wait();
    await (await staking.connect(operator).stake(taken, 1)).wait();
    await worker.tick();
    expect(count(log, "stake.sufficient", "info")).to.equal(1);
    expect(count(log, "stake.insufficient")).to.equal(1);
  });

  it("a worker run with a top-up stakes more from its wallet when its free stake cannot cover a job's collateral", async function () {
    const env = await setup({ workers: 1, verifiers: 0 });
    const { net } = env;
    const { staking, token } = net.protocol;
    const operator = net.actors.workers[0]!;
    const log = memoryLogger();
    const topUp = 50n * OPG;
    const worker = await createWorker({ ...nodeConfig(env, operator, log), topUp, stakeCheckSeconds: 0 });
    const { freeStake, needed } = await worker.stakeStatus();
    await (await staking.connect(operator).unstake(freeStake - needed! + 1n)).wait();
    await (await token.connect(net.protocol.deployer).transfer(operator.address, topUp)).wait();
    const wallet = await token.balanceOf(operator.address);

    await worker.tick();

    expect(count(log, "stake.topped_up", "info")).to.equal(1);
    expect(count(log, "stake.insufficient")).to.equal(0);
    expect(await staking.freeStake(operator.address)).to.equal(needed! - 1n + topUp);
    expect(await token.balanceOf(operator.address)).to.equal(wallet - topUp);
  });

  it("survives an RPC that is down for most of a response window (50 s of chain time): catches up from its cursor and serves every request made meanwhile", async function () {
    const env = await setup({ workers: 2, verifiers: 0 });
    const { net, connection } = env;
    const flaky = new FlakyEip1193Provider(connection.provider, { failureRate: 1, maxConsecutive: 1_000_000 });
    flaky.injector.enabled = false;
    const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
    const stateDir = path.join(env.dir, "outage-state");
    const log = memoryLogger();
    const nodes: Tickable[] = [];
    for (const operator of net.actors.workers) {
      const signer = await provider.getSigner(operator.address);
      const config = {
        ...nodeConfig(env, signer, log, { stateDir, sender: new TxSender(signer, senderOptions()) }),
        contracts: connectContracts(net.contracts.addresses, signer),
      };
      nodes.push(await createWorker(config));
    }
    for (const node of nodes) await node.tick(); // cursors start before the outage
    const m = model(net, "iris-linear", Mode.NONE);
    const { responseTimeout } = await net.protocol.hub.params();

    flaky.injector.enabled = true; // the nodes' RPC is down; the requester's is not
    const ids: bigint[] = [];
    let failedRounds = 0;
    const outage = Number(responseTimeout) - 10; // 50 s on the test chain: the first request stays within its deadline
    // Each failed round retries its RPC calls with backoff first (seconds of wall time), so rounds are 25 s apart.
    for (let t = 0; t < outage; t += 25) {
      ids.push(await request(env, m.id, encodeTensors([m.exampleInput])));
      for (const node of nodes) await node.tick().catch(() => failedRounds++);
      await connection.networkHelpers.time.increase(25);
    }
    expect(failedRounds).to.equal(nodes.length * Math.ceil(outage / 25));
    expect(await Promise.all(ids.map(async (id) => (await net.protocol.hub.getRequest(id)).status))).to.deep.equal(
      ids.map(() => BigInt(Status.Requested)),
    );

    flaky.injector.enabled = false;
    for (let round = 0; round < 3; round++) for (const node of nodes) await node.tick();

    for (const id of ids) {
      expect(Status[Number((await net.protocol.hub.getRequest(id)).status)], `#${id}`).to.equal("Finalized");
    }
    expect(await net.protocol.hub.queryFilter(net.protocol.hub.filters.WorkerTimedOut())).to.have.length(0);
    expect(count(log, "job.assigned")).to.equal(ids.length); // every assignment seen once: no event lost
  });

  it("declines a model whose file does not match its registered hash: no penalty, reassigned, then the model is suspended and the request expires with a refund", async function () {
    const env = await setup({ workers: 4, verifiers: 3 });
    const { net } = env;
    const { hub, registry, staking, settlement } = net.protocol;
    const iris = model(net, "iris-linear", Mode.OPTIMISTIC);
    const registered = await registry.getModel(iris.id);
    // The URI serves the iris model, the registry commits to other bytes.
    const wrongHash = `0x${sha256Hex(new TextEncoder().encode("some other model"))}`;
    const badId = await registerModel(net.protocol, net.actors.modelOwner, {
      contentHash: wrongHash,
      uri: iris.uri,
      fee: registered.fee,
      mode: Mode.OPTIMISTIC,
      outputDecimals: Number(registered.outputDecimals),
      tolerance: registered.tolerance,
      royaltyBps: 1_000,
      schemaDigest: registered.schemaDigest,
    });
    const requester = net.actors.requester.address;
    const before = await settlement.balanceOf(requester);
    const stakes = new Map<string, bigint>();
    for (const w of net.actors.workers) stakes.set(w.address, (await staking.getOperator(w.address)).active);
    const requestId = await request(env, badId, encodeTensors([iris.exampleInput]));
    const fee = await totalFee(env, badId);
    expect(await settlement.balanceOf(requester)).to.equal(before - fee);

    // No reassignment by the requester: declines move the request on by themselves, well before any deadline.
    const { rounds } = await drive(env, [...net.workers, ...net.verifiers], [requestId], { step: 1 });
    expect(rounds).to.be.at.most(6);

    const params = await hub.params();
    expect(Status[Number((await hub.getRequest(requestId)).status)]).to.equal("Expired");
    expect(await settlement.balanceOf(requester)).to.equal(before);
    expect(await resultEvents(env, requestId)).to.have.length(0);
    const assigned = await hub.queryFilter(hub.filters.WorkerAssigned(requestId));
    const declined = await hub.queryFilter(hub.filters.WorkerDeclined(requestId));
    expect(assigned).to.have.length(Number(params.maxAttempts));
    expect(declined.map((e) => e.args.worker)).to.deep.equal(assigned.map((e) => e.args.worker));
    for (const e of declined) expect(e.args.reason).to.equal(DECLINE_HASH_MISMATCH);
    // Nobody timed out, nobody lost stake, nobody was jailed.
    expect(await hub.queryFilter(hub.filters.WorkerTimedOut())).to.have.length(0);
    for (const w of net.actors.workers) {
      const op = await staking.getOperator(w.address);
      expect(op.active).to.equal(stakes.get(w.address));
      expect(op.jailedUntil).to.equal(0n);
      expect(op.locked).to.equal(0n);
    }
    // Distinct workers declined it (a worker that got it back declined again at once, from its back-off list);
    // with three distinct ones the model is suspended.
    const distinct = new Set(declined.map((e) => e.args.worker));
    expect(count(env.logger, "model.hash_mismatch", "error")).to.equal(distinct.size);
    expect(count(env.logger, "model.backoff")).to.equal(declined.length - distinct.size);
    expect((await registry.getModel(badId)).suspended).to.equal(distinct.size >= Number(params.declineThreshold));
    for (const worker of distinct) {
      const state = await workerStateFile(env, worker).load();
      expect(state.jobs[String(requestId)]?.status).to.equal("declined");
      expect(state.backoff?.[String(badId)]?.reason).to.equal(DECLINE_HASH_MISMATCH);
    }
    // The bytes were never run or cached under the registered hash.
    expect(existsSync(new ModelStore({ cacheDir: path.join(env.dir, "cache") }).cachePath(wrongHash))).to.equal(false);
  });

  it("declines a model whose URI is dead ('model-unavailable'), backs off from it, and serves it again once its owner moves it", async function () {
    const env = await setup({ workers: 4, verifiers: 3 });
    const { net } = env;
    const { hub, registry, staking } = net.protocol;
    const iris = model(net, "iris-linear", Mode.OPTIMISTIC);
    const registered = await registry.getModel(iris.id);
    // The right hash, but the file is not where the registry says.
    const deadUri = `file://${path.join(env.dir, "models", "moved-away.onnx")}`;
    const modelId = await registerModel(net.protocol, net.actors.modelOwner, {
      contentHash: registered.contentHash,
      uri: deadUri,
      fee: registered.fee,
      mode: Mode.OPTIMISTIC,
      outputDecimals: Number(registered.outputDecimals),
      tolerance: registered.tolerance,
      royaltyBps: 1_000,
      schemaDigest: registered.schemaDigest,
    });
    const input = encodeTensors([iris.exampleInput]);
    // Two requests: the first is declined by distinct workers until the model is suspended; the second goes down
    // with it (an open request of a suspended model expires on its next decline).
    const first = await request(env, modelId, input);
    const second = await request(env, modelId, input);
    await drive(env, [...net.workers, ...net.verifiers], [first, second], { step: 1 });

    const params = await hub.params();
    const declined = await hub.queryFilter(hub.filters.WorkerDeclined());
    const unavailable = ethersLib.encodeBytes32String("model-unavailable");
    for (const e of declined) expect(e.args.reason).to.equal(unavailable);
    const distinct = new Set(declined.map((e) => e.args.worker));
    expect(distinct.size).to.be.at.least(Number(params.declineThreshold));
    expect((await registry.getModel(modelId)).suspended).to.equal(true);
    for (const id of [first, second]) expect(Status[Number((await hub.getRequest(id)).status)]).to.equal("Expired");
    expect(await hub.queryFilter(hub.filters.WorkerTimedOut())).to.have.length(0);
    for (const w of net.actors.workers) expect((await staking.getOperator(w.address)).jailedUntil).to.equal(0n);
    // Every decline either followed a failed fetch or came at once from the worker's back-off list.
    expect(count(env.logger, "model.unavailable", "error")).to.be.at.least(distinct.size);
    expect(count(env.logger, "model.unavailable", "error") + count(env.logger, "model.backoff")).to.equal(
      declined.length,
    );

    // The owner points the model at its bytes again: a new epoch, so the workers try it again at once.
    await (await registry.connect(net.actors.modelOwner).setUri(modelId, iris.uri, "")).wait();
    const third = await request(env, modelId, input);
    await drive(env, [...net.workers, ...net.verifiers], [third]);
    expect(Status[Number((await hub.getRequest(third)).status)]).to.equal("Finalized");
    expect(ethersLib.hexlify((await posted(env, third)).bytes)).to.equal(
      ethersLib.hexlify(await expectedOutput("iris-linear", input)),
    );
    expect(await hub.queryFilter(hub.filters.WorkerDeclined(third))).to.have.length(0);
  });

  it("posts error results for malformed input that verifiers confirm, and the worker is paid", async function () {
    const env = await setup({ workers: 2, verifiers: 5 });
    const { net } = env;
    const { settlement, court } = net.protocol;
    const undecodable = Uint8Array.from([1, 2, 3]);
    const wrongShape = encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 3], data: [1, 2, 3] }]);
    const sent: Array<{ id: bigint; mode: Mode; code: string }> = [];
    for (const mode of [Mode.OPTIMISTIC, Mode.COMMITTEE]) {
      const m = model(net, "iris-linear", mode);
      sent.push({ id: await request(env, m.id, undecodable), mode, code: "INPUT_DECODE" });
      sent.push({ id: await request(env, m.id, wrongShape), mode, code: "INPUT_SCHEMA" });
    }
    const credits = async () =>
      Promise.all(net.actors.workers.map(async (w) => [w.address, await settlement.creditsOf(w.address)] as const));
    const creditsBefore = new Map(await credits());
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
    );

    const earned = new Map<string, bigint>();
    for (const { id, mode, code } of sent) {
      expect(Status[Number((await net.protocol.hub.getRequest(id)).status)], `#${id} ${code}`).to.equal("Finalized");
      const result = await posted(env, id);
      expect(result.isError).to.equal(true);
      expect(decodeErrorResult(result.bytes)).to.equal(code);
      expect(await court.queryFilter(court.filters.CaseOpened(id))).to.have.length(0);
      if (mode === Mode.COMMITTEE) {
        const revealed = await attestations(env, id);
        expect(revealed.reduce((n, a) => n + a.seats, 0)).to.equal(3);
        expect(revealed.every((a) => a.agree)).to.equal(true);
      }
      const pay = await workerPay(env, id);
      expect(pay).to.be.greaterThan(0n);
      earned.set(result.worker, (earned.get(result.worker) ?? 0n) + pay!);
    }
    for (const [worker, after] of await credits()) {
      expect(after - (creditsBefore.get(worker) ?? 0n)).to.equal(earned.get(worker) ?? 0n);
    }
    // OPTIMISTIC error results were re-checked by every verifier, who agreed.
    const agreed = env.logger.entries.filter(
      (e) =>
        e.event === "job.verified" &&
        e.fields["agree"] === true &&
        /both are error results/.test(String(e.fields["reason"])),
    );
    expect(agreed.length).to.be.at.least(2 * net.verifiers.length);
    expect(count(env.logger, "job.failed")).to.equal(0);
  });

  it("a committee member restarted between commit and reveal still reveals from its job file", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net } = env;
    const { hub, committee } = net.protocol;
    const stateDir = path.join(env.dir, "committee-state");
    const m = model(net, "iris-linear", Mode.COMMITTEE);
    const id = await request(env, m.id, encodeTensors([m.exampleInput]));

    // First incarnation: each verifier dies right after its commitment was mined (before it recorded it).
    const firstLog = memoryLogger();
    const first: VerifierNode[] = [];
    for (const v of net.actors.verifiers) {
      const sender = new CrashAfterBroadcast(v, senderOptions());
      sender.prefix = "commitAttestation";
      first.push(await createVerifier({ ...nodeConfig(env, v, firstLog, { stateDir, sender }), sampleRate: 1 }));
    }
    const commitments = async () => (await committee.roundOf(id)).committedSeats;
    const dead = new Set<number>(); // a node whose commitment is on-chain is never ticked again: it crashed
    for (let i = 0; i < 10 && (await commitments()) < 3n; i++) {
      await net.workers[0]!.tick();
      for (const [k, node] of first.entries()) {
        if (dead.has(k)) continue;
        await node.tick();
        if ((await committee.attestationOf(id, net.actors.verifiers[k]!.address)).committed) dead.add(k);
      }
      await env.connection.networkHelpers.mine();
    }
    expect(await commitments()).to.equal(3n);
    expect((await committee.roundOf(id)).revealedSeats).to.equal(0n);
    const members = [...new Set((await committee.committeeOf(id)).map((a) => a.toLowerCase()))];
    for (const member of members) {
      const job = (await verifierStateFile(env, member, stateDir).load()).jobs[`attest:${id}`];
      expect(job?.stage, member).to.equal("pending"); // the commit went in, the node never learnt it
      expect(job?.salt).to.match(/^0x[0-9a-f]{64}$/);
      expect(job?.choice).to.equal(true);
    }
    expect(count(firstLog, "job.failed")).to.be.at.least(members.length);

    // Second incarnation on the same state directory: finds its commitments on-chain and reveals them.
    const secondLog = memoryLogger();
    const senders: RecordingSender[] = [];
    const second: VerifierNode[] = [];
    for (const v of net.actors.verifiers) {
      const sender = new RecordingSender(v, senderOptions());
      senders.push(sender);
      second.push(await createVerifier({ ...nodeConfig(env, v, secondLog, { stateDir, sender }), sampleRate: 1 }));
    }
    await drive(env, [...net.workers, ...second], [id]);

    expect(Status[Number((await hub.getRequest(id)).status)]).to.equal("Finalized");
    const revealed = await attestations(env, id);
    expect(new Set(revealed.map((a) => a.member.toLowerCase()))).to.deep.equal(new Set(members));
    expect(revealed.every((a) => a.agree)).to.equal(true);
    expect(await committee.queryFilter(committee.filters.SilencePenalised(id))).to.have.length(0);
    // No second commitment, and one reveal per member.
    const labels = senders.flatMap((s) => s.labels);
    expect(labels.filter((l) => l.startsWith("commitAttestation"))).to.deep.equal([]);
    expect(labels.filter((l) => l.startsWith("revealAttestation"))).to.have.length(members.length);
    expect(count(secondLog, "verifier.resumed")).to.be.at.least(members.length);
    expect(count(secondLog, "attestation.revealed")).to.equal(members.length);
    expect(count(secondLog, "job.failed")).to.equal(0);
    expect(await workerPay(env, id)).to.be.greaterThan(0n);
  });

  it("a silent committee is no approval: escalated to the court, which upholds the honest result; silent seats penalised", async function () {
    const env = await setup({ workers: 1, verifiers: 10 }); // a 7-seat jury besides a 3-seat committee
    const { net } = env;
    const { hub, committee, court, staking } = net.protocol;
    const stateDir = path.join(env.dir, "silent-state");
    const log = memoryLogger();
    const verifiers: VerifierNode[] = [];
    for (const v of net.actors.verifiers) {
      verifiers.push(await createVerifier({ ...nodeConfig(env, v, log, { stateDir }), ballot: silentMember }));
    }
    const stakes = new Map<string, bigint>();
    for (const v of net.actors.verifiers)
      stakes.set(v.address.toLowerCase(), (await staking.getOperator(v.address)).active);
    const m = model(net, "iris-linear", Mode.COMMITTEE);
    const id = await request(env, m.id, encodeTensors([m.exampleInput]));
    await drive(env, [...net.workers, ...verifiers], [id], { ticksPerStep: 2 }); // many nodes: see the test above

    expect(Status[Number((await hub.getRequest(id)).status)]).to.equal("Finalized");
    const members = [...new Set((await committee.committeeOf(id)).map((a) => a.toLowerCase()))];
    expect(await attestations(env, id)).to.deep.equal([]);
    const [escalated] = await committee.queryFilter(committee.filters.Escalated(id));
    expect([escalated?.args.agreeSeats, escalated?.args.disagreeSeats]).to.deep.equal([0n, 0n]);
    // Every silent member lost stake; the case had no challenger, and its jury held no member.
    const penalised = await committee.queryFilter(committee.filters.SilencePenalised(id));
    expect(new Set(penalised.map((e) => e.args.member.toLowerCase()))).to.deep.equal(new Set(members));
    for (const e of penalised) expect(e.args.amount).to.be.greaterThan(0n);
    for (const member of members) {
      expect((await staking.getOperator(member)).active).to.be.lessThan(stakes.get(member)!);
    }
    expect(await court.challengersOf(id)).to.deep.equal([]);
    const [resolved] = await court.queryFilter(court.filters.CaseResolved(id));
    expect(Number(resolved?.args.outcome)).to.equal(Outcome.Upheld);
    const [jury] = await court.queryFilter(court.filters.JuryDrawn(id));
    for (const juror of jury!.args.seats) expect(members).to.not.include(juror.toLowerCase());
    expect(count(log, "committee.escalated")).to.equal(1);
    expect(count(log, "job.failed")).to.equal(0);
    expect(await workerPay(env, id)).to.be.greaterThan(0n);
  });

  it("an undecided first round (every juror silent) goes to appeal; the larger jury rejects the cheater", async function () {
    const env = await setup({ workers: 2, verifiers: 11, cheater: 1 });
    const { net } = env;
    const { hub, court } = net.protocol;
    const cheater = net.actors.workers[1]!.address;
    const stateDir = path.join(env.dir, "appeal-state");
    const log = memoryLogger();
    const verifiers: VerifierNode[] = [];
    for (const v of net.actors.verifiers) {
      // Joins keep a 9-seat appeal jury's worth of distinct verifiers outside the case, so the appeal can sit.
      verifiers.push(
        await createVerifier({
          ...nodeConfig(env, v, log, { stateDir }),
          ballot: silentJuror([1]),
          minJuryPool: Number((await court.params()).appealJurySize),
        }),
      );
    }
    const m = model(net, "iris-linear", Mode.OPTIMISTIC);
    let id: bigint | undefined;
    for (let i = 0; i < 20 && id === undefined; i++) {
      const sent = await requestInference(net.protocol, net.actors.requester, m.id, encodeTensors([m.exampleInput]));
      if (sent.worker === cheater) id = sent.requestId;
    }
    expect(id !== undefined, "the cheater was never drawn").to.equal(true);
    await drive(env, [...net.workers, ...verifiers], [id!], { maxRounds: 120, ticksPerStep: 2 });

    expect(Status[Number((await hub.getRequest(id!)).status)]).to.equal("Rejected");
    const [appealed] = await court.queryFilter(court.filters.Appealed(id));
    expect(Number(appealed?.args.round)).to.equal(1);
    expect([appealed?.args.upholdSeats, appealed?.args.rejectSeats]).to.deep.equal([0n, 0n]);
    const juries = await court.queryFilter(court.filters.JuryDrawn(id));
    expect(juries.map((j) => Number(j.args.round))).to.deep.equal([1, 2]);
    const params = await court.params();
    expect(juries[1]!.args.seats).to.have.length(Number(params.appealJurySize));
    const votes = await court.queryFilter(court.filters.VoteRevealed(id));
    expect(votes.every((v) => Number(v.args.round) === 2 && !v.args.upholdWorker)).to.equal(true);
    expect(votes.reduce((n, v) => n + Number(v.args.seats), 0)).to.equal(Number(params.appealJurySize));
    const [resolved] = await court.queryFilter(court.filters.CaseResolved(id));
    expect(Number(resolved?.args.outcome)).to.equal(Outcome.Rejected);
    // The silent round-1 jurors lost stake for not revealing.
    const nonReveal = ethersLib.encodeBytes32String("nonReveal");
    const penalised = (await court.queryFilter(court.filters.Penalised(id))).filter((e) => e.args.reason === nonReveal);
    const firstJurors = new Set(juries[0]!.args.seats.map((a) => a.toLowerCase()));
    expect(new Set(penalised.map((e) => e.args.account.toLowerCase()))).to.deep.equal(firstJurors);
    expect(count(log, "vote.revealed")).to.equal(new Set(juries[1]!.args.seats).size);
    expect(count(log, "job.failed")).to.equal(0);
  });

  it("resumes from its job file after a restart, and drains in-flight jobs on a clean shutdown", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net } = env;
    const { hub } = net.protocol;
    const signer = net.actors.workers[0]!;
    const m = model(net, "iris-linear", Mode.OPTIMISTIC);
    const requestMany = async (n: number) => {
      const ids: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const input = encodeTensors([{ ...m.exampleInput, data: [5 + i, 3, 1 + i, 0.5 + i / 2] }]);
        ids.push(await request(env, m.id, input));
      }
      return ids;
    };

    // 1. A first process records its jobs and acknowledges their events, then fails before submitting anything.
    const first = await requestMany(3);
    const downLog = memoryLogger();
    const down = await createWorker(
      nodeConfig(env, signer, downLog, { sender: new DownBeforeBroadcast(signer, senderOptions()) }),
    );
    await down.tick();
    expect(count(downLog, "job.failed")).to.equal(3);
    const file = workerStateFile(env, signer.address);
    expect(Object.keys((await file.load()).jobs)).to.deep.equal(first.map(String));
    const cursorFile = path.join(env.dir, "state", `worker-${signer.address.toLowerCase()}.cursor.json`);
    const cursor = JSON.parse(await readFile(cursorFile, "utf8")) as { block: number };
    expect(cursor.block).to.equal(await env.connection.ethers.provider.getBlockNumber()); // the events will not come again
    for (const id of first) expect(await resultEvents(env, id)).to.have.length(0);

    // 2. A new process on its own loop picks the jobs up from the file alone.
    const log = memoryLogger();
    const sender = new RecordingSender(signer, senderOptions());
    const node = await createWorker(nodeConfig(env, signer, log, { sender }));
    await node.start();
    running.push(node);
    expect(log.entries.find((e) => e.event === "worker.resumed")?.fields).to.deep.equal({ openJobs: 3 });
    const waitFor = async (what: string, condition: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 400; i++) {
        if (await condition()) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    await waitFor("resumed submissions", async () =>
      (await Promise.all(first.map((id) => resultEvents(env, id)))).every((e) => e.length === 1),
    );
    await waitFor(
      "resumed jobs recorded",
      () => node.inFlight === 0 && first.every((id) => node.jobs[String(id)]?.status === "submitted"),
    );

    // 3. Clean shutdown with submissions in flight: stop() lets them finish and persists the state. The three
    //    requests are mined in one block, so the node picks them up in one round.
    sender.delayMs = 300;
    const setAutomine = (on: boolean) => env.connection.provider.request({ method: "evm_setAutomine", params: [on] });
    const blockBefore = await env.connection.ethers.provider.getBlockNumber();
    await setAutomine(false);
    try {
      for (let i = 0; i < 3; i++) {
        const input = encodeTensors([{ ...m.exampleInput, data: [6 + i, 3, 4 + i, 1.5] }]);
        await hub.connect(net.actors.requester).request({
          modelId: m.id,
          input,
          inputUri: "",
          inputHash: ethersLib.ZeroHash,
          callbackGasLimit: 0,
          maxFee: ethersLib.MaxUint256,
        });
      }
      await env.connection.networkHelpers.mine();
    } finally {
      await setAutomine(true);
    }
    const second = (await hub.queryFilter(hub.filters.InferenceRequested(), blockBefore + 1)).map(
      (e) => e.args.requestId,
    );
    expect(second).to.have.length(3);
    await waitFor("jobs in flight", () => node.inFlight > 0);
    const inFlight = node.inFlight;
    expect(inFlight).to.equal(3);
    await node.stop();
    expect(node.inFlight).to.equal(0);
    expect(log.entries.find((e) => e.event === "node.stopping")?.fields).to.deep.equal({ inFlight });
    expect(count(log, "node.stopped")).to.equal(1);
    expect(count(log, "node.drain_timeout")).to.equal(0);
    const saved = (await file.load()).jobs;
    for (const id of [...first, ...second]) {
      expect(saved[String(id)]?.status, `#${id}`).to.equal("submitted");
      expect(await resultEvents(env, id)).to.have.length(1);
    }

    // 4. The next process finalizes everything (after the challenge window), once each.
    const nextLog = memoryLogger();
    const next = await createWorker(nodeConfig(env, signer, nextLog));
    await drive(env, [next, ...net.verifiers], [...first, ...second]);
    for (const id of [...first, ...second]) {
      expect((await hub.getRequest(id)).status).to.equal(BigInt(Status.Finalized));
      expect(await resultEvents(env, id)).to.have.length(1);
    }
    expect(count(nextLog, "job.finalized")).to.equal(6);
    expect(count(log, "job.failed") + count(nextLog, "job.failed")).to.equal(0);
  });
});
