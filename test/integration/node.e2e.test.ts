/**
 * End to end on the in-process chain: the real contracts (deployed by Ignition), real ONNX models run by
 * onnxruntime, and the real worker / verifier node software, driven round by round. Each test builds its own network
 * on a fresh chain and a fresh temp directory, and asserts on what the chain records and what operators see in the
 * logs.
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

import { connectContracts, type ProtocolContracts } from "../../offchain/chain/deployment.js";
import { FlakyEip1193Provider } from "../../offchain/chain/flakyProvider.js";
import { TxSender, type TxSenderEvent, type TxSenderOptions } from "../../offchain/chain/sender.js";
import { JsonStateFile } from "../../offchain/chain/stateFile.js";
import { OpgClient, type InferenceRecord } from "../../offchain/client/client.js";
import { DType, decodeTensors, encodeTensors, type TensorData } from "../../offchain/codec/tensor.js";
import { startLocalNetwork, type LocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, Status, registerModel } from "../../offchain/devnet/protocol.js";
import { buildDemoModels } from "../../offchain/model/onnxBuilder.js";
import { ModelRuntime } from "../../offchain/model/runtime.js";
import { ModelStore, sha256Hex } from "../../offchain/model/store.js";
import { createVerifier, createWorker } from "../../offchain/node/factory.js";
import { memoryLogger, type Logger } from "../../offchain/node/logger.js";
import type { WorkerState } from "../../offchain/node/worker.js";

type MemoryLogger = ReturnType<typeof memoryLogger>;
interface Tickable {
  tick(): Promise<void>;
}

const TERMINAL = new Set<bigint>([BigInt(Status.Finalized), BigInt(Status.Rejected), BigInt(Status.Expired)]);
const FAST_RETRY = { retries: 6, baseDelayMs: 2, maxDelayMs: 20 };
const STAGES = ["requested", "assigned", "computed", "verified", "settled"];

// ------------------------------------------------------------------------------------------------ helpers

interface Env {
  connection: NetworkConnection;
  net: LocalNetwork;
  dir: string;
  logger: MemoryLogger;
  client: OpgClient;
}

const opened: Env[] = [];

async function setup(options: { workers: number; verifiers: number; cheater?: number }): Promise<Env> {
  const connection = await network.create();
  const dir = await mkdtemp(path.join(os.tmpdir(), "opg-e2e-"));
  const logger = memoryLogger();
  const net = await startLocalNetwork(connection, { dir, logger, ...options });
  const env = { connection, net, dir, logger, client: new OpgClient(net.contracts.addresses, net.actors.requester) };
  opened.push(env);
  return env;
}

function model(net: LocalNetwork, name: string, mode: Mode) {
  const found = net.models.find((m) => m.name === name && m.mode === mode);
  if (found === undefined) throw new Error(`no ${name} model in ${Mode[mode]} mode`);
  return found;
}

/** Node config like the local network's, for a node built by the test (own logger, sender or provider). */
function nodeConfig(
  env: Env,
  signer: Signer,
  logger: Logger,
  extra: { stateDir?: string; contracts?: ProtocolContracts; sender?: TxSender } = {},
) {
  const { net, dir } = env;
  return {
    contracts: extra.contracts ?? {
      ...net.contracts,
      hub: net.protocol.hub.connect(signer),
      registry: net.protocol.registry.connect(signer),
    },
    signer,
    logger,
    stateDir: extra.stateDir ?? path.join(dir, "state"),
    cacheDir: path.join(dir, "cache"),
    runtime: net.runtime,
    store: new ModelStore({ cacheDir: path.join(dir, "cache") }),
    pollIntervalMs: 20,
    concurrency: 4,
    sender: extra.sender,
  };
}

function senderOptions(env: Env, extra: TxSenderOptions = {}): TxSenderOptions {
  return {
    errorInterfaces: [env.net.contracts.hub.interface, env.net.contracts.staking.interface],
    pollIntervalMs: 10,
    retry: FAST_RETRY,
    ...extra,
  };
}

/**
 * Ticks `nodes` and advances chain time until every request is terminal. With `reassignAs`, a request whose worker
 * missed its deadline is reassigned (the permissionless step `OpgClient.wait` performs for a requester).
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
  for (let round = 1; round <= (options.maxRounds ?? 60); round++) {
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

const count = (logger: MemoryLogger, event: string, level?: string) =>
  logger.entries.filter((e) => e.event === event && (level === undefined || e.level === level)).length;

function workerStateFile(env: Env, address: string, stateDir = path.join(env.dir, "state")) {
  return new JsonStateFile<WorkerState>(path.join(stateDir, `worker-${address.toLowerCase()}.json`), { jobs: {} });
}

/** A worker's sender that dies right after its submitResult was mined (the receipt never reaches the node). */
class CrashAfterBroadcast extends TxSender {
  override async send(populate: () => Promise<ContractTransaction>, label: string) {
    const receipt = await super.send(populate, label);
    if (label.startsWith("submitResult")) throw new Error(`simulated crash after broadcasting ${label}`);
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

function expectAllStages(record: InferenceRecord) {
  expect(record.stages.map((s) => s.name)).to.deep.equal(STAGES);
  for (const stage of record.stages) expect(stage.txHash).to.match(/^0x[0-9a-f]{64}$/);
}

// ------------------------------------------------------------------------------------------------ tests

describe("Node software end to end (real contracts, real onnxruntime)", function () {
  this.timeout(120_000);

  after(async function () {
    for (const env of opened) {
      await env.net.stop();
      await env.connection.close();
      await rm(env.dir, { recursive: true, force: true });
    }
    await reference.close();
  });

  it("settles NONE, OPTIMISTIC and COMMITTEE requests with the model's canonical output, in five stages", async function () {
    const env = await setup({ workers: 3, verifiers: 5 });
    const { net, client } = env;
    const cases = [
      { m: model(net, "iris-linear", Mode.NONE), data: [5.1, 3.5, 1.4, 0.2] },
      { m: model(net, "iris-linear", Mode.OPTIMISTIC), data: [6.3, 3.3, 6.0, 2.5] },
      { m: model(net, "iris-linear", Mode.COMMITTEE), data: [5.9, 3.0, 4.2, 1.5] },
      { m: model(net, "xor-mlp", Mode.OPTIMISTIC), data: [1, 0] },
    ];
    const sent: Array<{ id: bigint; name: string; input: Uint8Array; mode: Mode }> = [];
    for (const { m, data } of cases) {
      const input = encodeTensors([{ ...m.exampleInput, data }]);
      const { requestId } = await client.request(m.id, input);
      sent.push({ id: requestId, name: m.name, input, mode: m.mode });
    }
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
    );

    for (const { id, name, input, mode } of sent) {
      const record = await client.status(id);
      expect(record.status, `#${id}`).to.equal("Finalized");
      expect(record.mode).to.equal(Mode[mode]);
      expectAllStages(record);
      expect(record.dispute).to.equal(null);
      expect(record.output?.isError).to.equal(false);
      const expected = await expectedOutput(name, input);
      expect(record.output?.bytes).to.equal(ethersLib.hexlify(expected));
      const tensors = record.output?.tensors as TensorData[];
      expect(tensors).to.deep.equal(decodeTensors(expected));
      expect(record.settlement?.kind).to.equal("finalized");
      if (record.settlement?.kind === "finalized") expect(record.settlement.workerPay).to.be.greaterThan(0n);
      expect(await resultEvents(env, id)).to.have.length(1);
      if (mode === Mode.COMMITTEE) {
        expect(record.attestations.length).to.be.at.least(2);
        expect(record.attestations.every((a) => a.agree)).to.equal(true);
      }
    }
    // The classifier's answers make sense: setosa, virginica, versicolor; xor(1, 0) = 1.
    const argmax = async (id: bigint) => {
      const data = (await client.status(id)).output?.tensors?.[0]?.data as bigint[];
      return data.indexOf(data.reduce((a, b) => (b > a ? b : a)));
    };
    expect([await argmax(sent[0]!.id), await argmax(sent[1]!.id), await argmax(sent[2]!.id)]).to.deep.equal([0, 2, 1]);
    expect((await client.status(sent[3]!.id)).output?.tensors?.[0]?.data).to.deep.equal([1_000_000n]);
    expect(count(env.logger, "job.failed")).to.equal(0);
    expect(count(env.logger, "model.hash_mismatch")).to.equal(0);
  });

  it("challenges (OPTIMISTIC) and disputes (COMMITTEE) a cheating worker: out-voted, slashed, jailed, requester refunded", async function () {
    const env = await setup({ workers: 2, verifiers: 5, cheater: 1 });
    const { net, client } = env;
    const { hub, staking } = net.protocol;
    const cheater = net.actors.workers[1]!.address;
    const requester = net.actors.requester.address;
    const before = await hub.balanceOf(requester);
    const stakeBefore = (await staking.getOperator(cheater)).active;

    // Request until the cheater was assigned one OPTIMISTIC and one COMMITTEE request (assignment is random).
    const sent: Array<{ id: bigint; mode: Mode; cheat: boolean }> = [];
    const need = new Set([Mode.OPTIMISTIC, Mode.COMMITTEE]);
    for (let i = 0; need.size > 0 && i < 40; i++) {
      const m = model(net, "iris-linear", i % 2 === 0 ? Mode.OPTIMISTIC : Mode.COMMITTEE);
      const { requestId } = await client.request(m.id, encodeTensors([m.exampleInput]));
      const cheat = (await hub.getRequest(requestId)).worker === cheater;
      if (cheat) need.delete(m.mode);
      sent.push({ id: requestId, mode: m.mode, cheat });
    }
    expect(need.size, "the cheater was never drawn").to.equal(0);
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
    );

    const fee = await client.quote(model(net, "iris-linear", Mode.OPTIMISTIC).id);
    let finalized = 0n;
    for (const { id, mode, cheat } of sent) {
      const record = await client.status(id);
      if (cheat) {
        expect(record.status, `cheat #${id}`).to.equal("Rejected");
        expect(record.dispute).to.not.equal(null);
        expect(record.dispute?.upheld).to.equal(false);
        expect(record.dispute?.jurors.length).to.be.at.least(2);
        // Every juror re-ran the model and voted the worker wrong.
        expect(record.dispute?.votes.length).to.equal(record.dispute?.jurors.length);
        expect(record.dispute?.votes.every((v) => !v.upholdWorker)).to.equal(true);
        if (mode === Mode.COMMITTEE) {
          // The committee member who disagreed opened the dispute.
          expect(record.attestations.some((a) => !a.agree)).to.equal(true);
          expect(record.attestations.some((a) => a.agree)).to.equal(false);
          expect(record.dispute?.challenger).to.equal(record.attestations.find((a) => !a.agree)?.verifier);
        } else {
          expect(net.actors.verifiers.map((v) => v.address)).to.include(record.dispute?.challenger);
        }
        expect(record.settlement).to.deep.equal({ kind: "refunded", amount: fee, reason: "rejected" });
        expect(STAGES).to.include.members(record.stages.map((s) => s.name));
      } else {
        expect(record.status, `honest #${id}`).to.equal("Finalized");
        expect(record.dispute).to.equal(null);
        finalized++;
      }
      expect(await resultEvents(env, id)).to.have.length(1);
    }
    expect(sent.filter((s) => s.cheat).map((s) => s.mode)).to.include.members([Mode.OPTIMISTIC, Mode.COMMITTEE]);

    const op = await staking.getOperator(cheater);
    expect(op.jailed).to.equal(true);
    expect(op.active).to.be.lessThan(stakeBefore);
    const honest = await staking.getOperator(net.actors.workers[0]!.address);
    expect(honest.jailed).to.equal(false);
    // The requester paid for the honest results only: every rejected request was refunded in full.
    expect(await hub.balanceOf(requester)).to.equal(before - finalized * fee);
    const slashed = await staking.queryFilter(staking.filters.Slashed(cheater));
    expect(slashed.length).to.be.at.least(2);
    expect(count(env.logger, "vote.committed")).to.be.at.least(4);
    expect(count(env.logger, "job.failed")).to.equal(0);
  });

  it("a worker that crashed right after broadcasting restarts without submitting twice", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net, client } = env;
    const { hub } = net.protocol;
    const signer = net.actors.workers[0]!;
    const ids = [];
    for (const mode of [Mode.OPTIMISTIC, Mode.NONE, Mode.COMMITTEE]) {
      const m = model(net, "iris-linear", mode);
      ids.push((await client.request(m.id, encodeTensors([m.exampleInput]))).requestId);
    }

    const crashedLog = memoryLogger();
    const crashed = await createWorker(
      nodeConfig(env, signer, crashedLog, { sender: new CrashAfterBroadcast(signer, senderOptions(env)) }),
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
    const sender = new RecordingSender(signer, senderOptions(env));
    const restarted = await createWorker(nodeConfig(env, signer, restartedLog, { sender }));
    const nonceBefore = await env.connection.ethers.provider.getTransactionCount(signer.address);
    await drive(env, [restarted, ...net.verifiers], ids);

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
    // Its only transaction: finalizing its OPTIMISTIC result (NONE finalizes on submission, COMMITTEE on quorum).
    expect(sender.labels).to.deep.equal([`finalize #${ids[0]}`]);
    expect(await env.connection.ethers.provider.getTransactionCount(signer.address)).to.equal(nonceBefore + 1);
  });

  it("keeps working through an RPC that fails intermittently", async function () {
    const env = await setup({ workers: 2, verifiers: 3 });
    const { net, client, connection } = env;
    const flaky = new FlakyEip1193Provider(connection.provider, { failureRate: 0.06, seed: 42, maxConsecutive: 2 });
    flaky.injector.enabled = false; // while the nodes are wired up
    const provider = new BrowserProvider(flaky, undefined, { cacheTimeout: -1 });
    const stateDir = path.join(env.dir, "flaky-state");
    const log = memoryLogger();
    const senderEvents: TxSenderEvent[] = [];
    const nodes: Tickable[] = [];
    for (const [i, operator] of [...net.actors.workers, ...net.actors.verifiers].entries()) {
      const signer = await provider.getSigner(operator.address);
      const contracts = connectContracts(net.contracts.addresses, signer);
      const sender = new TxSender(signer, senderOptions(env, { onEvent: (e) => senderEvents.push(e) }));
      const config = nodeConfig(env, signer, log, { stateDir, contracts, sender });
      nodes.push(i < net.actors.workers.length ? await createWorker(config) : await createVerifier(config));
    }
    const sent: Array<{ id: bigint; name: string; input: Uint8Array }> = [];
    for (const round of [0, 1]) {
      for (const m of net.models) {
        const input = encodeTensors([{ ...m.exampleInput, data: m.exampleInput.data.map((v) => Number(v) + round) }]);
        sent.push({ id: (await client.request(m.id, input)).requestId, name: m.name, input });
      }
    }
    // Node reads (getRequest, queryFilter) are not retried inside a job: a failed job runs again next round. Live
    // nodes poll every second against a 60 s+ response window; several ticks per 10 s of chain time mirror that.
    flaky.injector.enabled = true;
    const { roundErrors } = await drive(
      env,
      nodes,
      sent.map((s) => s.id),
      { maxRounds: 60, step: 10, ticksPerStep: 3 },
    );
    flaky.injector.enabled = false;

    for (const { id, name, input } of sent) {
      const record = await client.status(id);
      expect(record.status, `#${id}`).to.equal("Finalized");
      expect(record.output?.bytes).to.equal(ethersLib.hexlify(await expectedOutput(name, input)));
      expect(await resultEvents(env, id)).to.have.length(1);
    }
    // Failures really hit the nodes: retried inside the sender, or failed a job / a round that ran again later.
    expect(flaky.stats.failures).to.be.greaterThan(10);
    const retried = senderEvents.filter((e) => e.type === "retry").length;
    const jobFailures = count(log, "job.failed");
    expect(retried + jobFailures + roundErrors).to.be.greaterThan(5);
    // Nothing was lost on the way: no job given up, no worker timed out, no request reassigned.
    expect(count(log, "job.skipped")).to.equal(0);
    expect(await net.protocol.hub.queryFilter(net.protocol.hub.filters.WorkerTimedOut())).to.have.length(0);
    expect(count(log, "model.hash_mismatch")).to.equal(0);
  });

  it("refuses a model whose file does not match its registered hash; the request expires with a refund", async function () {
    const env = await setup({ workers: 4, verifiers: 3 });
    const { net, client } = env;
    const { hub, registry } = net.protocol;
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
    const before = await hub.balanceOf(net.actors.requester.address);
    const { requestId } = await client.request(badId, encodeTensors([iris.exampleInput]));
    const fee = await client.quote(badId);
    expect(await hub.balanceOf(net.actors.requester.address)).to.equal(before - fee);

    await drive(env, [...net.workers, ...net.verifiers], [requestId], { reassignAs: net.actors.requester });

    const params = await hub.params();
    const record = await client.status(requestId);
    expect(record.status).to.equal("Expired");
    expect(record.output).to.equal(null);
    expect(record.settlement).to.deep.equal({ kind: "refunded", amount: fee, reason: "expired" });
    expect(record.stages.map((s) => s.name)).to.deep.equal(["requested", "assigned", "settled"]);
    expect(await hub.balanceOf(net.actors.requester.address)).to.equal(before);
    expect(await resultEvents(env, requestId)).to.have.length(0);
    const assigned = await hub.queryFilter(hub.filters.WorkerAssigned(requestId));
    expect(assigned).to.have.length(Number(params.maxAttempts));
    expect(new Set(assigned.map((e) => e.args.worker)).size).to.equal(assigned.length);
    // Each assigned worker refused the bytes, said why, and never ran or cached them.
    expect(count(env.logger, "model.hash_mismatch", "error")).to.equal(assigned.length);
    const failed = env.logger.entries.filter(
      (e) => e.event === "job.failed" && e.fields["requestId"] === String(requestId),
    );
    expect(failed).to.have.length(assigned.length);
    expect(String(failed[0]?.fields["note"])).to.contain("registry expects");
    for (const e of assigned) {
      const jobs = (await workerStateFile(env, e.args.worker).load()).jobs;
      expect(jobs[String(requestId)]?.status).to.equal("failed");
    }
    expect(existsSync(new ModelStore({ cacheDir: path.join(env.dir, "cache") }).cachePath(wrongHash))).to.equal(false);
  });

  it("posts error results for malformed input that verifiers confirm, and the worker is paid", async function () {
    const env = await setup({ workers: 2, verifiers: 5 });
    const { net, client } = env;
    const { hub } = net.protocol;
    const undecodable = Uint8Array.from([1, 2, 3]);
    const wrongShape = encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 3], data: [1, 2, 3] }]);
    const sent: Array<{ id: bigint; mode: Mode; code: string }> = [];
    for (const mode of [Mode.OPTIMISTIC, Mode.COMMITTEE]) {
      const m = model(net, "iris-linear", mode);
      sent.push({ id: (await client.request(m.id, undecodable)).requestId, mode, code: "INPUT_DECODE" });
      sent.push({ id: (await client.request(m.id, wrongShape)).requestId, mode, code: "INPUT_SCHEMA" });
    }
    const credits = async () =>
      Promise.all(net.actors.workers.map(async (w) => [w.address, await hub.creditsOf(w.address)] as const));
    const creditsBefore = new Map(await credits());
    await drive(
      env,
      [...net.workers, ...net.verifiers],
      sent.map((s) => s.id),
    );

    const earned = new Map<string, bigint>();
    for (const { id, mode, code } of sent) {
      const record = await client.status(id);
      expect(record.status, `#${id} ${code}`).to.equal("Finalized");
      expectAllStages(record);
      expect(record.output?.isError).to.equal(true);
      expect(record.output?.errorCode).to.equal(code);
      expect(record.dispute).to.equal(null);
      expect(await hub.queryFilter(hub.filters.Challenged(id))).to.have.length(0);
      if (mode === Mode.COMMITTEE) {
        expect(record.attestations.length).to.be.at.least(2);
        expect(record.attestations.every((a) => a.agree)).to.equal(true);
      }
      expect(record.settlement?.kind).to.equal("finalized");
      if (record.settlement?.kind === "finalized") {
        expect(record.settlement.workerPay).to.be.greaterThan(0n);
        const worker = record.worker as string;
        earned.set(worker, (earned.get(worker) ?? 0n) + record.settlement.workerPay);
      }
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

  it("resumes from its job file after a restart, and drains in-flight jobs on a clean shutdown", async function () {
    const env = await setup({ workers: 1, verifiers: 3 });
    const { net, client } = env;
    const { hub } = net.protocol;
    const signer = net.actors.workers[0]!;
    const m = model(net, "iris-linear", Mode.OPTIMISTIC);
    const request = async (n: number) => {
      const ids: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const input = encodeTensors([{ ...m.exampleInput, data: [5 + i, 3, 1 + i, 0.5 + i / 2] }]);
        ids.push((await client.request(m.id, input)).requestId);
      }
      return ids;
    };

    // 1. A first process records its jobs and acknowledges their events, then fails before submitting anything.
    const first = await request(3);
    const downLog = memoryLogger();
    const down = await createWorker(
      nodeConfig(env, signer, downLog, { sender: new DownBeforeBroadcast(signer, senderOptions(env)) }),
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
    const sender = new RecordingSender(signer, senderOptions(env));
    const node = await createWorker(nodeConfig(env, signer, log, { sender }));
    await node.start();
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
