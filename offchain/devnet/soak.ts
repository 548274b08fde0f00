/**
 * The soak (`npm run soak`, test/integration/soak.test.ts): the multi-process local network (multiprocess.ts) under a
 * steady load for a chosen duration, with faults injected on a schedule, checked continuously.
 *
 * Load: several requesters, each sending a request every `intervalMs`, round-robin over every model and mode (NONE,
 * OPTIMISTIC, COMMITTEE), with a share of malformed inline inputs (wrong shape, wrong dtype, bytes that do not
 * decode). Inputs are inline, so no worker ever depends on the input store for them (the store runs anyway).
 *
 * Faults: a cheating worker and a lazy verifier (the devnet strategies); an honest worker and an honest verifier
 * whose RPC fails `rpcFailureRate` of calls (flakyProvider.ts, through the devnet entry point); every
 * `killEveryMs` an honest node process (worker, verifier, keeper in turn) killed with SIGKILL and restarted after
 * `restartDelayMs`; a model whose `http:` URI dies at 50 % of the run (this process stops serving the file); a model
 * whose bytes do not match its registered hash (workers decline it until the hub suspends it); an operator that
 * unstakes at 25 % and leaves once its open jobs are done; a new operator that joins at 40 % with its own, empty
 * model cache; a governance proposal (propose, vote, queue, execute through the timelock) that raises the protocol
 * fee, started at once.
 *
 * Checks, every `checkEveryMs` and at the end: no request older than its maximum lifecycle
 * (`hub.maxLifecycleDuration()` + `graceSeconds` for the keeper's poll) is still open; no honest operator was
 * slashed or jailed; Settlement holds exactly its accounted totals (free balances + locked fees + bonds + credits)
 * and Staking exactly its total stake, which equals Σ (active + unbonding) of every operator — each read at one block.
 */
import { once } from "node:events";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import { ethers as ethersLib } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { NetworkManager } from "hardhat/types/network";
import onnxProto from "onnx-proto";

import { describeError } from "../chain/retry.js";
import { DType, encodeTensors } from "../codec/tensor.js";
import { sha256Hex } from "../model/store.js";
import { inlineRequest } from "./lifecycle.js";
import { LogReader, TERMINAL_EVENTS, percentile } from "./measure.js";
import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  shortWindowParameters,
  type MultiProcessNetwork,
} from "./multiprocess.js";
import type { NetworkModel } from "./network.js";
import { Mode, OPG, ROLE_WORKER, Status, registerModel } from "./protocol.js";

export interface SoakOptions {
  networkManager: NetworkManager;
  root: string;
  /** Node state, logs, models. */
  dir: string;
  /** How long the load runs (then a drain of at most `drainMs` for the requests still open). */
  minutes: number;
  drainMs?: number;
  /** Each requester sends one request this often. Default 3000. */
  intervalMs?: number;
  requesters?: number;
  killEveryMs?: number;
  restartDelayMs?: number;
  rpcFailureRate?: number;
  checkEveryMs?: number;
  graceSeconds?: number;
  print?: (line: string) => void;
  /** Node output (default: dropped; always in `<dir>/logs/<node>.log`). */
  printNode?: (line: string) => void;
}

export interface SoakReport {
  /** The summary, one figure per line. */
  lines: string[];
  violations: string[];
  figures: {
    sent: number;
    refused: number;
    byState: Record<string, number>;
    p50: number;
    p99: number;
    stuck: number;
    overdue: number;
    honestPenalised: number;
    cheaterSlashes: number;
    lazySlashes: number;
    settlementDiff: bigint;
    stakingDiff: bigint;
    throughputPerMinute: number;
    kills: number;
    governanceExecuted: boolean;
  };
}

/**
 * Local windows for the soak: the contract minimum (60 s) for every verification window and the response timeout,
 * each still twice the 30 s an honest node may take to restart (`shortWindowParameters`); governance short enough to
 * finish in a minute (timelock 30 s, voting 40 blocks); a 5-seat jury (7 on appeal) that the soak's nine verifiers
 * can seat.
 */
export async function soakParameters(): Promise<DeploymentParameters> {
  const base = await shortWindowParameters(60);
  return {
    ...base,
    // A jury is drawn only from as many distinct non-party verifiers as seats: 9 verifiers minus a 3-seat committee
    // seat 5 (the localhost 7-seat jury would need 10 verifiers, more than the chain's accounts leave).
    DisputeCourt: { ...(base["DisputeCourt"] ?? {}), jurySize: 5, appealJurySize: 7 },
    Governance: { ...(base["Governance"] ?? {}), timelockDelay: 30, votingDelay: 1, votingPeriod: 40 },
  };
}

interface Tracked {
  id: bigint;
  model: string;
  mode: Mode;
  kind: "ok" | "malformed" | "dying-uri" | "bad-hash";
  requestedAt: number;
  terminal?: { status: Status; at: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The same ONNX graph with another doc string: the same behaviour under different bytes (and content hash). */
function variantBytes(bytes: Uint8Array, docString: string): Uint8Array {
  const { onnx } = onnxProto;
  const model = onnx.ModelProto.decode(bytes);
  model.docString = docString;
  return Uint8Array.from(onnx.ModelProto.encode(model).finish());
}

async function serveFile(file: string): Promise<{ server: Server; url: string }> {
  const bytes = await readFile(file);
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
    res.end(bytes);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/${path.basename(file)}` };
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const print = options.print ?? ((line: string) => console.log(line));
  const loadMs = Math.round(options.minutes * 60_000);
  const intervalMs = options.intervalMs ?? 3_000;
  const killEveryMs = options.killEveryMs ?? 60_000;
  const checkEveryMs = options.checkEveryMs ?? 5_000;
  const graceSeconds = options.graceSeconds ?? 30;
  const rpcFailureRate = options.rpcFailureRate ?? 0.03;
  const violations: string[] = [];
  const violation = (text: string) => {
    if (!violations.includes(text)) {
      violations.push(text);
      print(`  ✗ ${text}`);
    }
  };

  const deploymentId = `opg-soak-${process.pid}-${Date.now()}`;
  await mkdir(options.dir, { recursive: true });
  print("soak: starting the chain, deploying, staking, starting the node processes…");
  // Workers: 0 cheats, 1 has a flaky RPC, 2 leaves mid-run, 3 is honest (and killed in turn). Verifiers: 0 is lazy,
  // 1 has a flaky RPC, 2-8 are honest (nine: as many as the 20-account chain leaves beside the requesters and the
  // joiner; enough for the soak's 5-seat jury of an escalated 3-seat committee, see soakParameters). One keeper.
  const net: MultiProcessNetwork = await launchMultiProcessNetwork({
    networkManager: options.networkManager,
    root: options.root,
    dir: options.dir,
    port: 0,
    workers: 4,
    verifiers: 9,
    keepers: 1,
    models: "demo",
    parameters: await soakParameters(),
    deploymentId,
    cheater: 0,
    lazyVerifier: 0,
    flaky: { workers: [1], verifiers: [1], failureRate: rpcFailureRate },
    inputStorePort: await freePort(),
    restartDelayMs: options.restartDelayMs ?? 2_000,
    print: (line) => options.printNode?.(line),
  });
  const httpServers: Server[] = [];
  try {
    return await soak(net);
  } finally {
    print("soak: stopping the nodes and the chain…");
    for (const server of httpServers) server.close();
    await net.stop();
    await removeIgnitionJournal(options.root, deploymentId);
  }

  async function soak(net: MultiProcessNetwork): Promise<SoakReport> {
    const { protocol, actors, models } = net.deployed;
    const { hub, staking, settlement, token, governor, timelock } = protocol;
    const provider = net.connection.ethers.provider;
    const signers = await net.connection.ethers.getSigners();
    const deployer = protocol.deployer;
    const firstFree = 4 + actors.workers.length + actors.verifiers.length + 1; // after the keeper
    const requesterCount = options.requesters ?? 3;
    const requesters: HardhatEthersSigner[] = [actors.requester, actors.outsider];
    for (let i = 0; requesters.length < requesterCount; i++) requesters.push(signers[firstFree + i]!);
    const joiner = signers[firstFree + Math.max(0, requesterCount - 2)]!;
    if (joiner === undefined) throw new Error("not enough accounts on the chain for the soak");
    const cheater = actors.workers[0]!.address;
    const lazy = actors.verifiers[0]!.address;
    const leaver = actors.workers[2]!;
    const honest = new Set(
      [...actors.workers.slice(1), ...actors.verifiers.slice(1), joiner].map((s) => s.address.toLowerCase()),
    );

    // Funds for the requesters beyond the two the network funded; a deposit each, topped up during the run.
    for (const r of requesters.slice(2))
      await (await token.connect(deployer).transfer(r.address, 50_000n * OPG)).wait();
    await (await token.connect(deployer).transfer(joiner.address, 50_000n * OPG)).wait();
    for (const r of requesters) {
      await (await token.connect(r).approve(protocol.addresses.settlement, ethersLib.MaxUint256)).wait();
      if ((await settlement.balanceOf(r.address)) < 500n * OPG) {
        await (await settlement.connect(r).deposit(1_000n * OPG)).wait();
      }
    }

    // Two extra models: iris-linear's graph under other bytes, served over http by this process (the URI dies at
    // 50 %), and iris-linear's bytes registered under a hash they do not match.
    const iris = models.find((m) => m.name === "iris-linear" && m.mode === Mode.OPTIMISTIC)!;
    const irisFile = path.join(options.dir, "models", "iris-linear.onnx");
    const irisBytes = await readFile(irisFile);
    const dyingFile = path.join(options.dir, "models", "iris-linear-http.onnx");
    const dyingBytes = variantBytes(irisBytes, "iris-linear, served over http by the soak until it stops");
    await writeFile(dyingFile, dyingBytes);
    const served = await serveFile(dyingFile);
    httpServers.push(served.server);
    const registry = await protocol.registry.getModel(iris.id);
    const spec = {
      fee: OPG,
      mode: Mode.OPTIMISTIC,
      outputDecimals: Number(registry.outputDecimals),
      tolerance: registry.tolerance,
      royaltyBps: 1_000,
      schemaDigest: registry.schemaDigest,
    };
    const dyingId = await registerModel(protocol, actors.modelOwner, {
      ...spec,
      contentHash: `0x${sha256Hex(dyingBytes)}`,
      uri: served.url,
    });
    const badHashId = await registerModel(protocol, actors.modelOwner, {
      ...spec,
      mode: Mode.NONE,
      contentHash: `0x${sha256Hex(variantBytes(irisBytes, "bytes nobody serves"))}`,
      uri: `file://${irisFile}`,
    });
    const maxLifecycle = Number(await hub.maxLifecycleDuration());
    await net.untilStarted(120_000);

    // ------------------------------------------------------------------------------------------- tracking
    const tracked = new Map<bigint, Tracked>();
    const blockTimes = new Map<number, number>();
    const blockTime = async (n: number) => {
      let t = blockTimes.get(n);
      if (t === undefined) {
        t = (await provider.getBlock(n))!.timestamp;
        blockTimes.set(n, t);
      }
      return t;
    };
    let refused = 0;
    let declines = 0;
    const refusals = new Map<string, number>();
    let sent = 0;
    const slashes: Array<{ operator: string; at: number }> = [];
    const jails: Array<{ operator: string; at: number }> = [];
    const reader = new LogReader(
      provider,
      [
        { address: protocol.addresses.hub, interface: hub.interface },
        { address: protocol.addresses.staking, interface: staking.interface },
      ],
      (await provider.getBlockNumber()) + 1,
    );
    const scan = async () => {
      for (const { event: parsed, log } of await reader.poll()) {
        const at = await blockTime(log.blockNumber);
        const terminal = TERMINAL_EVENTS[parsed.name];
        if (terminal !== undefined) {
          const t = tracked.get(parsed.args.requestId as bigint);
          if (t !== undefined && t.terminal === undefined) t.terminal = { status: terminal, at };
        } else if (parsed.name === "Slashed") {
          slashes.push({ operator: (parsed.args.operator as string).toLowerCase(), at });
        } else if (parsed.name === "WorkerDeclined") {
          declines++;
        } else if (parsed.name === "Jailed") {
          jails.push({ operator: (parsed.args.operator as string).toLowerCase(), at });
        }
      }
    };

    const operators = [...actors.workers, ...actors.verifiers, joiner].map((s) => s.address);
    const solvency = async () => {
      const blockTag = await provider.getBlockNumber();
      const o = { blockTag };
      const [sHeld, bal, locked, bonded, credits] = await Promise.all([
        token.balanceOf(protocol.addresses.settlement, o),
        settlement.totalBalances(o),
        settlement.totalLocked(o),
        settlement.totalBonded(o),
        settlement.totalCredits(o),
      ]);
      const [kHeld, total, ...ops] = await Promise.all([
        token.balanceOf(protocol.addresses.staking, o),
        staking.totalStaked(o),
        ...operators.map((a) => staking.getOperator(a, o)),
      ]);
      const stakes = (ops as Array<{ active: bigint; unbonding: bigint }>).reduce(
        (sum, op) => sum + op.active + op.unbonding,
        0n,
      );
      const settlementDiff = sHeld - (bal + locked + bonded + credits);
      // Nothing is donated during the soak: Staking's surplus must be 0, so its balance is exactly Σ stakes.
      const stakingDiff = (kHeld as bigint) - stakes;
      return { settlementDiff, stakingDiff, kHeld: kHeld as bigint, total: total as bigint, stakes };
    };

    /** Requests seen waiting (Requested or Submitted) more than `graceSeconds` past their deadline. */
    const overdue = new Set<bigint>();
    let lastSolvency = { settlementDiff: 0n, stakingDiff: 0n };
    const check = async () => {
      await scan();
      const now = (await provider.getBlock("latest"))!.timestamp;
      for (const t of tracked.values()) {
        if (t.terminal === undefined && now - t.requestedAt > maxLifecycle + graceSeconds) {
          violation(`request ${t.id} (${t.model}, ${Mode[t.mode]}) is open ${now - t.requestedAt} s after its request`);
        }
      }
      const open = [...tracked.values()].filter((t) => t.terminal === undefined);
      const records = await Promise.all(open.map((t) => hub.getRequest(t.id)));
      await scan(); // a request that became terminal meanwhile is not overdue
      open.forEach((t, i) => {
        const r = records[i]!;
        const waiting = Number(r.status) === Status.Requested || Number(r.status) === Status.Submitted;
        if (t.terminal === undefined && waiting && now > Number(r.deadline) + graceSeconds) overdue.add(t.id);
      });
      for (const s of slashes) if (honest.has(s.operator)) violation(`honest operator ${s.operator} was slashed`);
      for (const j of jails) if (honest.has(j.operator)) violation(`honest operator ${j.operator} was jailed`);
      const s = await solvency();
      lastSolvency = s;
      if (s.settlementDiff !== 0n) violation(`Settlement holds ${s.settlementDiff} wei more than it accounts for`);
      if (s.kHeld !== s.total || s.total !== s.stakes) {
        violation(`Staking holds ${s.kHeld}, totalStaked ${s.total}, Σ stakes ${s.stakes}`);
      }
    };

    // ---------------------------------------------------------------------------------------------- load
    const catalogue: Array<{ model: NetworkModel | { id: bigint; name: string; mode: Mode }; kind: Tracked["kind"] }> =
      models.map((m) => ({ model: m, kind: "ok" as const }));
    catalogue.push({ model: { id: dyingId, name: "iris-linear-http", mode: Mode.OPTIMISTIC }, kind: "dying-uri" });
    catalogue.push({ model: { id: badHashId, name: "iris-linear-badhash", mode: Mode.NONE }, kind: "bad-hash" });
    const inputFor = (name: string, n: number): { input: Uint8Array; malformed: boolean } => {
      const x = (n * 7919) % 100;
      if (n % 9 === 4) {
        return {
          input: encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 7], data: [1, 2, 3, 4, 5, 6, 7] }]),
          malformed: true,
        };
      }
      if (n % 9 === 7) {
        return {
          input: encodeTensors([{ dtype: DType.INT32, decimals: 0, shape: [1, 4], data: [5, 3, 1, 0] }]),
          malformed: true,
        };
      }
      if (n % 27 === 13) return { input: Uint8Array.from([1, 2, 3, n & 0xff]), malformed: true };
      if (name === "xor-mlp")
        return {
          input: encodeTensors([{ dtype: DType.FLOAT, decimals: 0, shape: [1, 2], data: [x % 2, (x >> 1) % 2] }]),
          malformed: false,
        };
      return {
        input: encodeTensors([
          {
            dtype: DType.FLOAT,
            decimals: 0,
            shape: [1, 4],
            data: [4 + (x % 40) / 10, 3, 1 + (x % 55) / 10, (x % 25) / 10],
          },
        ]),
        malformed: false,
      };
    };

    const started = Date.now();
    const loadEnds = started + loadMs;
    let counter = 0;
    const requesterLoop = async (signer: HardhatEthersSigner, index: number) => {
      await sleep((index * intervalMs) / requesters.length);
      while (Date.now() < loadEnds) {
        const next = Date.now() + intervalMs;
        const n = counter++;
        const entry = catalogue[n % catalogue.length]!;
        const { input, malformed } = inputFor(entry.model.name, Math.floor(n / catalogue.length) + index);
        try {
          if ((await settlement.balanceOf(signer.address)) < 100n * OPG) {
            await (await settlement.connect(signer).deposit(1_000n * OPG)).wait();
          }
          // The worker draw's gas depends on the state at mining time: leave a margin over the estimate.
          const params = inlineRequest(entry.model.id, input);
          const gasLimit = ((await hub.connect(signer).request.estimateGas(params)) * 3n) / 2n;
          const receipt = await (await hub.connect(signer).request(params, { gasLimit })).wait();
          sent++;
          for (const log of receipt!.logs) {
            const parsed =
              log.address.toLowerCase() === protocol.addresses.hub.toLowerCase() ? hub.interface.parseLog(log) : null;
            if (parsed?.name === "InferenceRequested") {
              const id = parsed.args.requestId as bigint;
              tracked.set(id, {
                id,
                model: entry.model.name,
                mode: entry.model.mode,
                kind: malformed ? "malformed" : entry.kind,
                requestedAt: await blockTime(receipt!.blockNumber),
              });
            }
          }
        } catch (error) {
          refused++;
          const data = (error as { data?: string }).data;
          let reason = (error as Error).message.slice(0, 60);
          try {
            if (typeof data === "string") reason = hub.interface.parseError(data)?.name ?? reason;
          } catch {
            /* not a hub error */
          }
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
        }
        await sleep(Math.max(0, next - Date.now()));
      }
    };

    // --------------------------------------------------------------------------------------------- chaos
    const log = (text: string) => print(`  [${Math.round((Date.now() - started) / 1000)} s] ${text}`);
    let kills = 0;
    const killRotation = ["worker-4", "verifier-3", "keeper-1", "verifier-4", "worker-4", "verifier-5"];
    const killer = async () => {
      for (let k = 0; ; k++) {
        const at = started + (k + 1) * killEveryMs;
        if (at >= loadEnds) return;
        await sleep(at - Date.now());
        const node = net.group.node(killRotation[k % killRotation.length]!);
        log(`SIGKILL ${node.spec.name} (pid ${node.pid}); restarted after ${options.restartDelayMs ?? 2_000} ms`);
        node.kill("SIGKILL");
        kills++;
      }
    };

    let governanceExecuted = false;
    const newFeeBps = 600n;
    const governance = async () => {
      await (await token.connect(deployer).delegate(deployer.address)).wait();
      await sleep(1_500);
      const current = await hub.params();
      const next = { ...(current as unknown as ethersLib.Result).toObject(), protocolFeeBps: newFeeBps };
      const calldata = hub.interface.encodeFunctionData("setParams", [next as never]);
      const targets = [protocol.addresses.hub];
      // Blocks are mined per transaction, so under load a voting period of a few dozen blocks passes in seconds:
      // vote as soon as voting opens, and propose again (a new description) if the period ran out before the vote.
      for (let attempt = 1; attempt <= 3 && !governanceExecuted; attempt++) {
        const description = `Soak ${deploymentId}: protocol fee to ${newFeeBps} bps (attempt ${attempt})`;
        const hash = ethersLib.id(description);
        await (await governor.connect(deployer).propose(targets, [0n], [calldata], description)).wait();
        const proposalId = await governor.hashProposal(targets, [0n], [calldata], hash);
        log(
          `governance: proposed ${proposalId.toString().slice(0, 10)}… (protocol fee ${current.protocolFeeBps} → ${newFeeBps} bps)`,
        );
        const waitWhile = async (state: bigint) => {
          let now = await governor.state(proposalId);
          while (now === state) {
            await sleep(200);
            now = await governor.state(proposalId);
          }
          return now;
        };
        if ((await waitWhile(0n)) !== 1n) continue; // Pending → Active, or it is already over
        try {
          await (await governor.connect(deployer).castVote(proposalId, 1)).wait();
        } catch (error) {
          log(`governance: the vote came after the voting period (${describeError(error)}); proposing again`);
          continue;
        }
        log("governance: voted for");
        if ((await waitWhile(1n)) !== 4n) continue; // Active → Succeeded
        await (await governor.connect(deployer).queue(targets, [0n], [calldata], hash)).wait();
        const eta = Number(await governor.proposalEta(proposalId));
        log(`governance: queued in the timelock (delay ${await timelock.getMinDelay()} s)`);
        while ((await provider.getBlock("latest"))!.timestamp <= eta) await sleep(1_000);
        await (await governor.connect(deployer).execute(targets, [0n], [calldata], hash)).wait();
        governanceExecuted = (await hub.params()).protocolFeeBps === newFeeBps;
        log(`governance: executed, protocol fee now ${(await hub.params()).protocolFeeBps} bps`);
      }
    };

    const leave = async () => {
      await sleep(loadMs * 0.25);
      const free = await staking.freeStake(leaver.address);
      await (await staking.connect(leaver).unstake(free)).wait();
      log(`operator ${leaver.address.slice(0, 10)}… (worker-3) unstakes ${ethersLib.formatEther(free)} OPG`);
      while ((await staking.getOperator(leaver.address)).locked > 0n) await sleep(1_000);
      await net.group.node("worker-3").stop();
      const rest = await staking.freeStake(leaver.address);
      if (rest > 0n) await (await staking.connect(leaver).unstake(rest)).wait();
      log("worker-3 finished its open jobs and left (process stopped, stake unbonding)");
    };

    const join = async () => {
      await sleep(loadMs * 0.45);
      await (await token.connect(joiner).approve(protocol.addresses.staking, 10_000n * OPG)).wait();
      await (await staking.connect(joiner).stake(10_000n * OPG, ROLE_WORKER)).wait();
      await net.addNode("worker-new", "worker", signers.indexOf(joiner), {
        cacheDir: path.join(options.dir, "cache-new"),
      });
      log(`operator ${joiner.address.slice(0, 10)}… joins as worker-new (own, empty model cache)`);
    };

    const killUri = async () => {
      await sleep(loadMs * 0.35);
      served.server.close();
      served.server.closeAllConnections();
      log(`the URI of model #${dyingId} (${served.url}) stops serving`);
    };

    const background = (name: string, task: () => Promise<void>) =>
      task().catch((error: unknown) => violation(`${name} failed: ${(error as Error).message.slice(0, 200)}`));

    print(
      `soak: ${options.minutes} min of load, ${requesters.length} requesters every ${intervalMs} ms over ` +
        `${catalogue.length} models (every mode), max lifecycle ${maxLifecycle} s`,
    );
    const tasks = [
      ...requesters.map((r, i) => background(`requester ${i}`, () => requesterLoop(r, i))),
      background("killer", killer),
      background("governance", governance),
      background("leave", leave),
      background("join", join),
      background("uri", killUri),
    ];
    let checking = true;
    const checker = (async () => {
      while (checking) {
        await sleep(checkEveryMs);
        await check().catch((error: unknown) => print(`  check failed (retried): ${(error as Error).message}`));
      }
    })();
    let lastProgress = Date.now();
    const progress = setInterval(() => {
      if (Date.now() - lastProgress < 30_000) return;
      lastProgress = Date.now();
      const done = [...tracked.values()].filter((t) => t.terminal !== undefined).length;
      log(`${sent} requests sent, ${done} terminal, ${refused} refused`);
    }, 5_000);
    await Promise.all(tasks);
    log("load stopped; draining the open requests");
    const drainEnds = Date.now() + (options.drainMs ?? 60_000);
    while (Date.now() < drainEnds && [...tracked.values()].some((t) => t.terminal === undefined)) await sleep(2_000);
    clearInterval(progress);
    checking = false;
    await checker;
    await check();

    // ------------------------------------------------------------------------------------------- summary
    const all = [...tracked.values()];
    const byState: Record<string, number> = {};
    for (const t of all) {
      const state = t.terminal === undefined ? "open" : Status[t.terminal.status];
      byState[state] = (byState[state] ?? 0) + 1;
    }
    const durations = all
      .filter((t) => t.terminal !== undefined)
      .map((t) => t.terminal!.at - t.requestedAt)
      .sort((a, b) => a - b);
    const now = (await provider.getBlock("latest"))!.timestamp;
    const stuck = all.filter(
      (t) => t.terminal === undefined && now - t.requestedAt > maxLifecycle + graceSeconds,
    ).length;
    const honestPenalised = new Set([...slashes, ...jails].filter((e) => honest.has(e.operator)).map((e) => e.operator))
      .size;
    const cheaterSlashes = slashes.filter((s) => s.operator === cheater.toLowerCase()).length;
    const lazySlashes = slashes.filter((s) => s.operator === lazy.toLowerCase()).length;
    const rejected = all.filter((t) => t.terminal?.status === Status.Rejected).length;
    const minutes = (Date.now() - started) / 60_000;
    const throughputPerMinute = durations.length / minutes;
    const kinds = (kind: Tracked["kind"]) => {
      const list = all.filter((t) => t.kind === kind);
      const states: Record<string, number> = {};
      for (const t of list) {
        const s = t.terminal === undefined ? "open" : Status[t.terminal.status];
        states[s] = (states[s] ?? 0) + 1;
      }
      return Object.entries(states)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ");
    };
    const restarts = net.group.nodes.reduce((sum, n) => sum + n.starts - 1, 0);
    const unexpected = restarts - kills;
    if (unexpected > 0) violation(`node processes exited on their own ${unexpected} time(s): see ${options.dir}/logs`);
    if (!governanceExecuted && loadMs >= 90_000) violation("the governance proposal was not executed during the run");
    const fmt = (r: Record<string, number>) =>
      Object.entries(r)
        .map(([s, n]) => `${s} ${n}`)
        .join(", ");
    const lines = [
      `requests by terminal state: ${fmt(byState)} (of ${sent} sent; ${refused} refused at request: ${fmt(Object.fromEntries(refusals))})`,
      `  malformed inputs: ${kinds("malformed")}; dying-URI model: ${kinds("dying-uri")}; bad-hash model: ${kinds("bad-hash")}`,
      `time to terminal state: p50 ${percentile(durations, 50)} s, p99 ${percentile(durations, 99)} s (chain time)`,
      `requests older than their maximum lifecycle (${maxLifecycle} s + ${graceSeconds} s) and not terminal: ${stuck}`,
      `requests seen more than ${graceSeconds} s past their current deadline without the due transition: ${overdue.size}`,
      `honest operators slashed or jailed: ${honestPenalised}`,
      `cheaters slashed: cheating worker ${cheaterSlashes} times (${rejected} results rejected), lazy verifier ${lazySlashes} times`,
      `solvency difference: Settlement ${lastSolvency.settlementDiff} wei, Staking ${lastSolvency.stakingDiff} wei`,
      `throughput: ${throughputPerMinute.toFixed(1)} terminal requests per minute (${(sent / minutes).toFixed(1)} sent per minute, ${minutes.toFixed(1)} min)`,
      `faults: ${kills} SIGKILLs (${restarts} restarts), ${declines} declines (unobtainable model: no penalty), RPC failure rate ${rpcFailureRate * 100} % on 2 nodes, governance change ${governanceExecuted ? "executed" : "not executed"}`,
    ];
    return {
      lines,
      violations,
      figures: {
        sent,
        refused,
        byState,
        p50: percentile(durations, 50),
        p99: percentile(durations, 99),
        stuck,
        overdue: overdue.size,
        honestPenalised,
        cheaterSlashes,
        lazySlashes,
        settlementDiff: lastSolvency.settlementDiff,
        stakingDiff: lastSolvency.stakingDiff,
        throughputPerMinute,
        kills,
        governanceExecuted,
      },
    };
  }
}
