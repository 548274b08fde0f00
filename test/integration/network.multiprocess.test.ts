/**
 * The multi-process local network (offchain/devnet/multiprocess.ts, `npm run network`) in a small version: the
 * chain served over HTTP on a free port, two workers, a verifier and a keeper, each its own OS process running the
 * operator's Hardhat task. One worker is killed with SIGKILL: the other nodes keep serving, and the killed worker,
 * restarted, catches up from its persisted cursor and serves what was assigned to it while it was down, before the
 * deadline (no liveness penalty).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { encodeTensors } from "../../offchain/codec/tensor.js";
import { requestInference } from "../../offchain/devnet/lifecycle.js";
import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  type MultiProcessNetwork,
} from "../../offchain/devnet/multiprocess.js";
import { NodeProcess } from "../../offchain/devnet/processes.js";
import { Mode, Status, loadIgnitionParameters } from "../../offchain/devnet/protocol.js";
import { until } from "./helpers/until.js";

const root = process.cwd();

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("Multi-process local network (chain + 2 workers + 1 verifier + 1 keeper as OS processes)", function () {
  this.timeout(150_000);
  let net: MultiProcessNetwork;
  let dir: string;
  const lines: string[] = [];
  const deploymentId = `opg-local-test-${process.pid}-${Date.now()}`;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-multiprocess-"));
    net = await launchMultiProcessNetwork({
      networkManager: network,
      root,
      dir,
      port: 0,
      workers: 2,
      verifiers: 1,
      keepers: 1,
      models: "demo",
      parameters: await loadIgnitionParameters("localhost"),
      deploymentId,
      print: (line) => lines.push(line),
    });
    await net.untilStarted(90_000);
  });

  after(async function () {
    await net?.stop();
    await removeIgnitionJournal(root, deploymentId);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("runs every node as its own OS process, with its own log file and prefixed console lines", async function () {
    const pids = net.group.nodes.map((n) => n.pid);
    expect(new Set(pids).size).to.equal(4);
    expect(pids.every((pid) => pid !== process.pid && alive(pid))).to.equal(true);
    for (const node of net.group.nodes) {
      const file = path.join(dir, "logs", `${node.spec.name}.log`);
      await until(`${file} to record the start`, 5_000, async () =>
        (await readFile(file, "utf8")).includes("node.started"),
      );
      expect(lines.some((l) => l.startsWith(`[${node.spec.name}] `) && l.includes("node.started"))).to.equal(true);
    }
  });

  it("blocks carry wall-clock timestamps: the snapshot skip and a burst of 40 transactions leave chain time at wall time", async function () {
    expect(net.chainLag).to.be.within(0, 15); // behind by the start-up time at most, never ahead
    const [a, b] = await net.connection.ethers.getSigners();
    const sent = [];
    for (let i = 0; i < 40; i++) sent.push(await a!.sendTransaction({ to: b!.address, value: 1n }));
    await Promise.all(sent.map((tx) => tx.wait()));
    const head = await net.connection.ethers.provider.getBlock("latest");
    const wall = Math.floor(Date.now() / 1000);
    expect(head!.timestamp).to.be.within(wall - 2, wall);
  });

  it("a worker killed with SIGKILL changes nothing for the others, and catches up after its restart", async function () {
    const { protocol, actors, models } = net.deployed;
    const none = models.find((m) => m.mode === Mode.NONE)!;
    const input = encodeTensors([none.exampleInput]);
    const killed = net.group.node("worker-1");
    const survivor = net.group.node("worker-2");
    const killedAddress = actors.workers[0]!.address;

    killed.kill("SIGKILL");
    await killed.exited();
    expect(killed.lastExit?.signal).to.equal("SIGKILL");
    expect(net.group.nodes.filter((n) => n !== killed).every((n) => alive(n.pid))).to.equal(true);

    // Requests until each worker was assigned at least one (assignment is by stake, at random).
    const toKilled: bigint[] = [];
    const toSurvivor: bigint[] = [];
    while ((toKilled.length === 0 || toSurvivor.length === 0) && toKilled.length + toSurvivor.length < 24) {
      const { requestId, worker } = await requestInference(protocol, actors.requester, none.id, input);
      (worker === killedAddress ? toKilled : toSurvivor).push(requestId);
    }
    expect(toKilled.length).to.be.greaterThan(0);
    expect(toSurvivor.length).to.be.greaterThan(0);

    const status = async (id: bigint) => (await protocol.hub.getRequest(id)).status;
    await until("the surviving worker to serve its requests", 30_000, async () =>
      (await Promise.all(toSurvivor.map(status))).every((s) => s === BigInt(Status.Finalized)),
    );
    expect((await Promise.all(toKilled.map(status))).every((s) => s === BigInt(Status.Requested))).to.equal(true);
    expect(alive(survivor.pid)).to.equal(true);

    await killed.start();
    await until("the restarted worker to catch up", 60_000, async () =>
      (await Promise.all(toKilled.map(status))).every((s) => s === BigInt(Status.Finalized)),
    );
    expect(killed.starts).to.equal(2);
    const timedOut = await protocol.hub.queryFilter(protocol.hub.filters.WorkerTimedOut());
    expect(timedOut).to.have.length(0);
  });

  it("stops every node cleanly on SIGINT (what Ctrl-C does): each drains and exits with code 0", async function () {
    await net.group.stop();
    expect(net.group.nodes.map((n) => n.lastExit)).to.deep.equal(
      net.group.nodes.map(() => ({ code: 0, signal: null })),
    );
    expect(lines.filter((l) => l.includes("node.stopped"))).to.have.length(net.group.nodes.length);
  });
});

describe("Node process supervisor", function () {
  this.timeout(60_000);

  it("restarts a node that exited on its own after the delay, and stop() ends the restarts", async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-supervisor-"));
    const lines: string[] = [];
    const node = new NodeProcess(
      { name: "short-lived", args: ["--version"] },
      { root, logDir: dir, restartDelayMs: 100, print: (line) => lines.push(line) },
    );
    try {
      await node.start();
      await until("a restart", 30_000, () => node.starts >= 2);
      await node.stop();
      const starts = node.starts;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(node.starts).to.equal(starts);
      expect(lines.some((l) => l.startsWith("[short-lived] restarting in 100 ms"))).to.equal(true);
    } finally {
      await node.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
