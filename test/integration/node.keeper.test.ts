/**
 * Keepers (offchain/node/keeper.ts and the `keeper` task): with no requester online and the nodes involved offline,
 * a keeper alone takes every request to a terminal state — reassigns and expires overdue requests, finalizes after
 * the window, draws committees and juries, escalates, resolves and finalizes the case — within a gas budget per
 * round, and a step another keeper took first is a lost race in the logs, not an error.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";

import { encodeTensors } from "../../offchain/codec/tensor.js";
import { requestInference } from "../../offchain/devnet/lifecycle.js";
import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  type MultiProcessNetwork,
} from "../../offchain/devnet/multiprocess.js";
import { startLocalNetwork, type LocalNetwork } from "../../offchain/devnet/network.js";
import { Mode, Status, TERMINAL_STATUSES, loadIgnitionParameters } from "../../offchain/devnet/protocol.js";
import { ModelStore } from "../../offchain/model/store.js";
import { createKeeper } from "../../offchain/node/factory.js";
import type { KeeperNode } from "../../offchain/node/keeper.js";
import { memoryLogger } from "../../offchain/node/logger.js";
import { until } from "./helpers/until.js";

const root = process.cwd();

describe("Keeper", function () {
  this.timeout(120_000);

  describe("in process", function () {
    let connection: NetworkConnection;
    let net: LocalNetwork;
    let dir: string;

    beforeEach(async function () {
      connection = await network.create();
      dir = await mkdtemp(path.join(os.tmpdir(), "opg-keeper-"));
      // 10 verifiers: the 7-seat jury of an escalated 3-seat committee needs 10 distinct non-party verifiers.
      net = await startLocalNetwork(connection, { dir, logger: memoryLogger(), workers: 2, verifiers: 10 });
    });

    afterEach(async function () {
      await net.stop();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    });

    async function keeper(index: number, extra: { gasBudgetPerRound?: bigint } = {}) {
      const signers = await connection.ethers.getSigners();
      const logger = memoryLogger();
      const node: KeeperNode = await createKeeper({
        contracts: net.contracts,
        signer: signers[4 + net.actors.workers.length + net.actors.verifiers.length + index]!,
        logger,
        stateDir: path.join(dir, "state"),
        cacheDir: path.join(dir, "cache"),
        store: new ModelStore({ cacheDir: path.join(dir, "cache") }),
        runtime: net.runtime,
        pollIntervalMs: 20,
        concurrency: 8,
        jitterMs: 0,
        ...extra,
      });
      return { node, logger };
    }

    const model = (name: string, mode: Mode) => net.models.find((m) => m.name === name && m.mode === mode)!;
    const status = async (id: bigint) => (await net.protocol.hub.getRequest(id)).status;

    it("finalizes an OPTIMISTIC result after its window when the worker went offline after submitting; a second keeper loses the race without an error", async function () {
      const m = model("iris-linear", Mode.OPTIMISTIC);
      const { requestId, worker } = await requestInference(
        net.protocol,
        net.actors.requester,
        m.id,
        encodeTensors([m.exampleInput]),
      );
      const index = net.actors.workers.findIndex((w) => w.address === worker);
      await net.workers[index]!.tick(); // submits, then never runs again
      for (const v of net.verifiers) await v.tick(); // re-check: within tolerance, no challenge
      expect(await status(requestId)).to.equal(BigInt(Status.Submitted));
      await connection.networkHelpers.time.increase(121);

      const [a, b] = [await keeper(0), await keeper(1)];
      await Promise.all([a.node.tick(), b.node.tick()]);

      expect(await status(requestId)).to.equal(BigInt(Status.Finalized));
      const entries = [...a.logger.entries, ...b.logger.entries];
      expect(entries.filter((e) => e.event === "keeper.applied" && e.fields.step === "finalize")).to.have.length(1);
      expect(entries.filter((e) => e.level === "error")).to.deep.equal([]);
    });

    it("reassigns overdue requests and expires them after the last attempt, with a refund, within its gas budget per round", async function () {
      const m = model("iris-linear", Mode.NONE);
      const { settlement } = net.protocol;
      const before = await settlement.balanceOf(net.actors.requester.address);
      const ids: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (await requestInference(net.protocol, net.actors.requester, m.id, encodeTensors([m.exampleInput]))).requestId,
        );
      }
      expect(await settlement.balanceOf(net.actors.requester.address)).to.be.lessThan(before);
      await connection.networkHelpers.time.increase(61);
      const oneReassign = await net.protocol.hub.reassign.estimateGas(ids[0]!);
      const { node, logger } = await keeper(0, { gasBudgetPerRound: (oneReassign * 11n) / 10n });

      await node.tick(); // the budget covers one reassignment per round (two in one batch cost more)
      const reassigned = logger.entries.filter((e) => e.event === "keeper.applied" && e.fields.step === "reassign");
      expect(reassigned).to.have.length(1);
      expect(logger.entries.some((e) => e.event === "keeper.budget_exhausted")).to.equal(true);

      for (let round = 0; round < 40 && !(await Promise.all(ids.map(status))).every((s) => s === 6n); round++) {
        await node.tick();
        await connection.networkHelpers.time.increase(61);
      }
      expect(await Promise.all(ids.map(status))).to.deep.equal(ids.map(() => BigInt(Status.Expired)));
      expect(await settlement.balanceOf(net.actors.requester.address)).to.equal(before);
      expect(logger.entries.filter((e) => e.level === "error")).to.deep.equal([]);
    });

    it("reassigns several overdue requests due in one round with one processBatch transaction", async function () {
      const m = model("iris-linear", Mode.NONE);
      const ids: bigint[] = [];
      for (let i = 0; i < 4; i++) {
        ids.push(
          (await requestInference(net.protocol, net.actors.requester, m.id, encodeTensors([m.exampleInput]))).requestId,
        );
      }
      const attempts = async () => Promise.all(ids.map(async (id) => (await net.protocol.hub.getRequest(id)).attempts));
      const before = await attempts();
      await connection.networkHelpers.time.increase(61);
      const { node, logger } = await keeper(0);

      await node.tick();

      const applied = logger.entries.filter((e) => e.event === "keeper.applied" && e.fields.step === "reassign");
      expect(applied.map((e) => String(e.fields.requestId)).sort()).to.deep.equal(ids.map(String).sort());
      expect(new Set(applied.map((e) => e.fields.tx)).size).to.equal(1);
      const batches = logger.entries.filter((e) => e.event === "tx.mined" && e.fields.action === "processBatch");
      expect(batches).to.have.length(1);
      const after = await attempts();
      for (let i = 0; i < ids.length; i++) {
        const s = await status(ids[i]!);
        expect(after[i]! > before[i]! || s === BigInt(Status.Expired), `request ${ids[i]} moved on`).to.equal(true);
      }
      expect(logger.entries.filter((e) => e.level === "error" || e.level === "warn")).to.deep.equal([]);
    });

    it("takes a COMMITTEE request with every verifier offline to a terminal state alone: draws, escalates, draws juries, resolves, finalizes", async function () {
      const m = model("iris-linear", Mode.COMMITTEE);
      const { requestId, worker } = await requestInference(
        net.protocol,
        net.actors.requester,
        m.id,
        encodeTensors([m.exampleInput]),
      );
      await net.workers[net.actors.workers.findIndex((w) => w.address === worker)]!.tick();
      const { node, logger } = await keeper(0);
      for (let round = 0; round < 80 && !TERMINAL_STATUSES.has(await status(requestId)); round++) {
        await node.tick();
        await connection.networkHelpers.time.increase(20);
      }
      expect(TERMINAL_STATUSES.has(await status(requestId))).to.equal(true);
      const steps = new Set(
        logger.entries.filter((e) => e.event === "keeper.applied").map((e) => String(e.fields.step)),
      );
      expect([...steps].sort()).to.include.members(["drawCommittee", "drawJury", "escalate", "finalize", "resolve"]);
      expect(logger.entries.filter((e) => e.level === "error")).to.deep.equal([]);
    });
  });

  describe("the `keeper` task as its own process", function () {
    let net: MultiProcessNetwork;
    let dir: string;
    const lines: string[] = [];
    const deploymentId = `opg-local-keeper-${process.pid}-${Date.now()}`;

    before(async function () {
      dir = await mkdtemp(path.join(os.tmpdir(), "opg-keeper-task-"));
      net = await launchMultiProcessNetwork({
        networkManager: network,
        root,
        dir,
        port: 0,
        workers: 1,
        verifiers: 0,
        keepers: 1,
        models: "demo",
        parameters: await loadIgnitionParameters("localhost"),
        deploymentId,
        print: (line) => lines.push(line),
      });
      await net.group.node("worker-1").stop(); // the only worker is offline: nobody will serve
      await until("the keeper to start", 60_000, () =>
        lines.some((l) => l.startsWith("[keeper-1] ") && l.includes("node.started")),
      );
    });

    after(async function () {
      await net?.stop();
      await removeIgnitionJournal(root, deploymentId);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("expires an overdue request with a refund, with no requester online", async function () {
      const { protocol, actors, models } = net.deployed;
      const m = models.find((x) => x.mode === Mode.NONE)!;
      const before = await protocol.settlement.balanceOf(actors.requester.address);
      const { requestId } = await requestInference(protocol, actors.requester, m.id, encodeTensors([m.exampleInput]));
      const provider = net.connection.provider;
      const status = async () => (await protocol.hub.getRequest(requestId)).status;
      // The response timeout (90 s on localhost) passes: jump over it instead of waiting. The only worker is the
      // late one, so the keeper's reassignment finds nobody else and the request expires with a refund.
      const { deadline } = await protocol.hub.getRequest(requestId);
      const now = BigInt((await net.connection.ethers.provider.getBlock("latest"))!.timestamp);
      await provider.request({ method: "evm_increaseTime", params: [Number(deadline - now) + 2] });
      await provider.request({ method: "evm_mine", params: [] });
      await until("the request to expire", 20_000, async () => (await status()) === BigInt(Status.Expired));
      expect(await status()).to.equal(BigInt(Status.Expired));
      expect(await protocol.settlement.balanceOf(actors.requester.address)).to.equal(before);
      const keeperLines = lines.filter((l) => l.startsWith("[keeper-1] "));
      expect(keeperLines.filter((l) => /keeper\.applied .*step=reassign/.test(l))).to.have.length(1);
      expect(keeperLines.filter((l) => / error /.test(l))).to.deep.equal([]);
    });
  });

  describe("a worker task run with --keep-all", function () {
    let net: MultiProcessNetwork;
    let dir: string;
    const lines: string[] = [];
    const deploymentId = `opg-local-keepall-${process.pid}-${Date.now()}`;

    before(async function () {
      dir = await mkdtemp(path.join(os.tmpdir(), "opg-keep-all-"));
      net = await launchMultiProcessNetwork({
        networkManager: network,
        root,
        dir,
        port: 0,
        workers: 2,
        verifiers: 0,
        keepers: 0,
        keepAll: true,
        models: "demo",
        parameters: await loadIgnitionParameters("localhost"),
        deploymentId,
        print: (line) => lines.push(line),
      });
      await until("both workers to start", 60_000, () =>
        ["worker-1", "worker-2"].every((n) => lines.some((l) => l.startsWith(`[${n}] `) && l.includes("node.started"))),
      );
    });

    afterEach(function () {
      if (this.currentTest?.state === "failed") console.log(lines.join("\n")); // the nodes' view, to diagnose
    });

    after(async function () {
      await net?.stop();
      await removeIgnitionJournal(root, deploymentId);
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it("reassigns a dead worker's overdue request to itself and serves it", async function () {
      const { protocol, actors, models } = net.deployed;
      const m = models.find((x) => x.mode === Mode.NONE)!;
      await net.group.node("worker-1").stop();
      const dead = actors.workers[0]!.address;
      let requestId: bigint | undefined;
      const served: bigint[] = [];
      for (let i = 0; i < 24 && requestId === undefined; i++) {
        const sent = await requestInference(protocol, actors.requester, m.id, encodeTensors([m.exampleInput]));
        if (sent.worker === dead) requestId = sent.requestId;
        else served.push(sent.requestId);
      }
      expect(requestId !== undefined, "a request assigned to the stopped worker").to.equal(true);
      // The live worker serves its own first: the time jump below must make only the dead worker's request late.
      await until("the live worker to serve its own requests", 30_000, async () =>
        (await Promise.all(served.map((id) => protocol.hub.getRequest(id)))).every(
          (r) => r.status === BigInt(Status.Finalized),
        ),
      );
      const { deadline } = await protocol.hub.getRequest(requestId!);
      const now = BigInt((await net.connection.ethers.provider.getBlock("latest"))!.timestamp);
      await net.connection.provider.request({ method: "evm_increaseTime", params: [Number(deadline - now) + 2] });
      await net.connection.provider.request({ method: "evm_mine", params: [] });

      await until("the request to be served", 30_000, async () => {
        return (await protocol.hub.getRequest(requestId!)).status === BigInt(Status.Finalized);
      });
      const request = await protocol.hub.getRequest(requestId!);
      expect(request.worker).to.equal(actors.workers[1]!.address);
      const survivor = lines.filter((l) => l.startsWith("[worker-2] "));
      expect(
        survivor.some((l) => /keeper\.applied .*step=reassign/.test(l) && l.includes(`requestId=${requestId}`)),
      ).to.equal(true);
    });
  });
});
