/**
 * The Coalescer that lets nodes send several results or finalizations in one transaction: what is added within a
 * window goes out together, never more than maxItems at once, each caller gets its own result, and a failing flush
 * fails only its own items.
 */
import { expect } from "chai";

import { Coalescer } from "../../offchain/node/batcher.js";

describe("Coalescer (node batching)", function () {
  it("flushes items added within the window together and gives each caller its own result", async function () {
    const flushes: number[][] = [];
    const c = new Coalescer<number, string>(
      async (items) => {
        flushes.push([...items]);
        return items.map((i) => `r${i}`);
      },
      { maxItems: 10, windowMs: 30 },
    );
    const results = await Promise.all([c.add(1), c.add(2), c.add(3)]);
    expect(results).to.deep.equal(["r1", "r2", "r3"]);
    expect(flushes).to.deep.equal([[1, 2, 3]]);
  });

  it("never flushes more than maxItems at once", async function () {
    const sizes: number[] = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        sizes.push(items.length);
        return [...items];
      },
      { maxItems: 2, windowMs: 1_000 },
    );
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => c.add(i)));
    expect(results).to.deep.equal([1, 2, 3, 4, 5]);
    expect(sizes).to.deep.equal([2, 2, 1]);
  });

  it("items added after a flush started go into the next flush", async function () {
    const flushes: number[][] = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        flushes.push([...items]);
        return [...items];
      },
      { maxItems: 10, windowMs: 5 },
    );
    await c.add(1);
    await c.add(2);
    expect(flushes).to.deep.equal([[1], [2]]);
  });

  it("a failing flush rejects its own items only", async function () {
    let calls = 0;
    const c = new Coalescer<number, number>(
      async (items) => {
        calls++;
        if (items.includes(13)) throw new Error("reverted");
        return [...items];
      },
      { maxItems: 1, windowMs: 0 },
    );
    const [ok, bad] = await Promise.allSettled([c.add(1), c.add(13)]);
    expect(ok).to.deep.equal({ status: "fulfilled", value: 1 });
    expect(bad.status).to.equal("rejected");
    expect(calls).to.equal(2);
  });

  it("rejects a flush that returns the wrong number of results", async function () {
    const c = new Coalescer<number, number>(async () => [], { maxItems: 5, windowMs: 0 });
    let message = "";
    await c.add(1).catch((error: Error) => (message = error.message));
    expect(message).to.equal("batch flush returned 0 results for 1 items");
  });

  it("drain() sends what is waiting at once", async function () {
    const flushes: number[][] = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        flushes.push([...items]);
        return [...items];
      },
      { maxItems: 10, windowMs: 60_000 },
    );
    const pending = Promise.all([c.add(7), c.add(8)]);
    expect(c.waiting).to.equal(2);
    await c.drain();
    expect(await pending).to.deep.equal([7, 8]);
    expect(flushes).to.deep.equal([[7, 8]]);
  });

  it("refuses a maxItems below 1 or a negative window", function () {
    expect(() => new Coalescer(async () => [], { maxItems: 0, windowMs: 0 })).to.throw(RangeError, "maxItems");
    expect(() => new Coalescer(async () => [], { maxItems: 1, windowMs: -1 })).to.throw(RangeError, "windowMs");
  });
});
