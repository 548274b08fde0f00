import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import type { BaseContract, BlockTag, ContractEventName, EventLog, Log } from "ethers";
import { network } from "hardhat";

import { EventScanner, ScanCursorError, type ParsedEvent } from "../../offchain/chain/scanner.js";
import { JsonStateFile, StateFileCorruptError } from "../../offchain/chain/stateFile.js";
import { requestInference, submitAsWorker } from "../../offchain/devnet/lifecycle.js";
import { Mode } from "../../offchain/devnet/protocol.js";
import { IInferenceHub__factory, type IInferenceHub } from "../../typechain-types/index.js";
import { INPUT, OUTPUT, hubFixture, type HubFixture } from "./fixtures.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture } = networkHelpers;

const fixture = () => hubFixture(connection);
const EVENTS = ["InferenceRequested", "ResultSubmitted", "RequestFinalized"] as const;

let dir: string;
beforeEach(async function () {
  dir = await mkdtemp(path.join(os.tmpdir(), "opg-scanner-"));
});
afterEach(async function () {
  await rm(dir, { recursive: true, force: true });
});

async function head(): Promise<number> {
  return connection.ethers.provider.getBlockNumber();
}

/** A fresh hub binding (its queryFilter can be instrumented without touching the fixture's). */
async function hubReader(f: HubFixture): Promise<IInferenceHub> {
  return IInferenceHub__factory.connect(await f.protocol.hub.getAddress(), connection.ethers.provider);
}

function scanner(
  hub: IInferenceHub,
  startBlock: number,
  options: { confirmations?: number; maxBlockSpan?: number } = {},
) {
  return new EventScanner(hub, EVENTS, {
    cursorFile: path.join(dir, "cursor.json"),
    startBlock,
    retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    ...options,
  });
}

/** One NONE-mode request, finalized at submission: InferenceRequested, ResultSubmitted, RequestFinalized. */
async function finalizedRequest(f: HubFixture): Promise<bigint> {
  const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
  await submitAsWorker(f.protocol, f.book, requestId, OUTPUT);
  return requestId;
}

function summary(events: ParsedEvent[]): string[] {
  return events.map((e) => `${e.name}:${e.args.getValue("requestId") as bigint}`);
}

describe("EventScanner", function () {
  it("returns events in (block, logIndex) order with their position", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const a = await finalizedRequest(f);
    const b = await finalizedRequest(f);
    const events = await scanner(await hubReader(f), start).poll();
    expect(summary(events)).to.deep.equal([
      `InferenceRequested:${a}`,
      `ResultSubmitted:${a}`,
      `RequestFinalized:${a}`,
      `InferenceRequested:${b}`,
      `ResultSubmitted:${b}`,
      `RequestFinalized:${b}`,
    ]);
    for (let i = 1; i < events.length; i++) {
      const [prev, cur] = [events[i - 1]!, events[i]!];
      expect(cur.blockNumber > prev.blockNumber || cur.logIndex > prev.logIndex).to.equal(true);
    }
    expect(events[0]!.txHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(events[0]!.address).to.equal(await f.protocol.hub.getAddress());
  });

  it("persists the committed cursor: a new scanner (restart) resumes after it", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const hub = await hubReader(f);
    await finalizedRequest(f);
    const first = scanner(hub, start);
    expect(await first.poll()).to.have.length(3);
    await first.commit();
    expect((await first.cursor()).block).to.equal(await head());
    const stored = JSON.parse(await readFile(path.join(dir, "cursor.json"), "utf8")) as { block: number };
    expect(stored.block).to.equal(await head());

    const restarted = scanner(hub, start);
    expect(await restarted.poll()).to.deep.equal([]);
    const next = await finalizedRequest(f);
    expect(summary(await restarted.poll())).to.deep.equal([
      `InferenceRequested:${next}`,
      `ResultSubmitted:${next}`,
      `RequestFinalized:${next}`,
    ]);
  });

  it("re-delivers unacknowledged events, after a restart and on the next poll", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const hub = await hubReader(f);
    const a = await finalizedRequest(f);
    const first = scanner(hub, start);
    const delivered = summary(await first.poll());
    expect(delivered).to.have.length(3);
    expect(summary(await first.poll())).to.deep.equal(delivered); // not committed: same batch again
    // Crash before commit: a new instance gets them again.
    const restarted = scanner(hub, start);
    expect(summary(await restarted.poll())).to.deep.equal(delivered);
    // Partial acknowledgement: commit the block of the request only, the rest comes again.
    const b = await finalizedRequest(f);
    const batch = await restarted.poll();
    const requestBlock = batch.find((e) => e.name === "InferenceRequested" && e.args.getValue("requestId") === b);
    await restarted.commit({ block: requestBlock!.blockNumber });
    expect(summary(await scanner(hub, start).poll())).to.deep.equal([`ResultSubmitted:${b}`, `RequestFinalized:${b}`]);
    expect(a).to.not.equal(b);
  });

  it("scans only blocks at least `confirmations` deep", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const hub = await hubReader(f);
    const { requestId } = await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT);
    const requestBlock = await head();
    const s = scanner(hub, start, { confirmations: 3 });
    expect(await s.poll()).to.deep.equal([]);
    expect(s.pendingCursor?.block).to.equal(start - 1); // the head is 0 blocks deep: nothing confirmed yet
    await networkHelpers.mine(2); // head = requestBlock + 2: still one short
    expect(await s.poll()).to.deep.equal([]);
    await networkHelpers.mine(1);
    expect(summary(await s.poll())).to.deep.equal([`InferenceRequested:${requestId}`]);
    expect(s.pendingCursor?.block).to.equal(requestBlock);
  });

  it("splits long ranges into chunks of at most maxBlockSpan blocks", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const hub = await hubReader(f);
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId);
      await networkHelpers.mine(9);
    }
    const ranges = instrument(hub);
    const events = await scanner(hub, start, { maxBlockSpan: 7 }).poll();
    expect(summary(events)).to.deep.equal(ids.map((id) => `InferenceRequested:${id}`));
    const end = await head();
    expect(ranges.length).to.equal(Math.ceil((end - start + 1) / 7));
    expect(ranges.every(([from, to]) => to - from + 1 <= 7)).to.equal(true);
    expect(ranges[0]![0]).to.equal(start);
    expect(ranges[ranges.length - 1]![1]).to.equal(end);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).to.equal(ranges[i - 1]![1] + 1);
  });

  it("halves the span when the node refuses a range as too large", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const hub = await hubReader(f);
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await requestInference(f.protocol, f.requester, f.models[Mode.NONE], INPUT)).requestId);
      await networkHelpers.mine(5);
    }
    const ranges = instrument(hub, 4); // the "node" refuses spans over 4 blocks
    const events = await scanner(hub, start, { maxBlockSpan: 100 }).poll();
    expect(summary(events)).to.deep.equal(ids.map((id) => `InferenceRequested:${id}`));
    expect(ranges.filter(([from, to]) => to - from + 1 > 4)).to.have.length.greaterThan(0);
  });

  it("rejects commits beyond the last poll or behind the cursor", async function () {
    const f = await loadFixture(fixture);
    const start = (await head()) + 1;
    const s = scanner(await hubReader(f), start);
    await rejects(s.commit(), ScanCursorError, /call poll\(\) first/);
    await finalizedRequest(f);
    await s.poll();
    await rejects(s.commit({ block: (await head()) + 5 }), ScanCursorError, /commit what you handled/);
    await s.commit();
    await rejects(s.commit({ block: start - 1 }), ScanCursorError, /only move forward/);
  });
});

describe("JsonStateFile", function () {
  interface State {
    cursor: number;
    owed: bigint;
    nested: { amounts: bigint[]; note: string };
  }
  const defaults: State = { cursor: -1, owed: 0n, nested: { amounts: [], note: "" } };

  it("returns the defaults when no file exists, and round-trips bigints", async function () {
    const file = new JsonStateFile<State>(path.join(dir, "sub", "state.json"), defaults);
    expect(await file.load()).to.deep.equal(defaults);
    const state: State = { cursor: 42, owed: 2n ** 200n, nested: { amounts: [1n, -5n], note: '{"$bigint":1}' } };
    await file.save(state);
    expect(await new JsonStateFile<State>(file.path, defaults).load()).to.deep.equal(state);
    expect(await readFile(file.path, "utf8")).to.contain(`"$bigint": "${2n ** 200n}"`);
  });

  it("writes atomically: concurrent saves leave the last state and no temp files", async function () {
    const file = new JsonStateFile<State>(path.join(dir, "state.json"), defaults);
    await Promise.all(Array.from({ length: 20 }, (_, i) => file.save({ ...defaults, cursor: i, owed: BigInt(i) })));
    expect(await file.load()).to.deep.include({ cursor: 19, owed: 19n });
    expect(await readdir(dir)).to.deep.equal(["state.json"]);
  });

  it("reports a corrupt file with what to do", async function () {
    const target = path.join(dir, "state.json");
    await writeFile(target, "{ torn");
    const file = new JsonStateFile<State>(target, defaults);
    await rejects(file.load(), StateFileCorruptError, /delete it to start from the configured defaults/);
  });
});

/** Records the block range of every `queryFilter`; optionally refuses spans above `limit` like a capped node. */
function instrument(hub: IInferenceHub, limit?: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const base: BaseContract = hub; // the untyped overload: the scanner queries one topic filter for all its events
  const original = base.queryFilter.bind(hub);
  const patched = async (
    event: ContractEventName,
    fromBlock?: BlockTag,
    toBlock?: BlockTag,
  ): Promise<Array<EventLog | Log>> => {
    const range: [number, number] = [Number(fromBlock), Number(toBlock)];
    ranges.push(range);
    if (limit !== undefined && range[1] - range[0] + 1 > limit) {
      throw new Error(`query exceeds max block range ${limit}`);
    }
    return original(event, fromBlock, toBlock);
  };
  Object.defineProperty(hub, "queryFilter", { value: patched });
  return ranges;
}

async function rejects(
  promise: Promise<unknown>,
  type: new (...args: never[]) => Error,
  message: RegExp,
): Promise<void> {
  const error = await promise.then(
    () => expect.fail(`expected a ${type.name}`),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(type);
  expect((error as Error).message).to.match(message);
}
