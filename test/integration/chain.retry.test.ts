import { expect } from "chai";
import { makeError } from "ethers";

import { FaultInjector, InjectedRpcError } from "../../offchain/chain/flakyProvider.js";
import {
  RetriesExhaustedError,
  RetryAbortedError,
  backoffDelay,
  isNonceError,
  isReplacementError,
  isTransientRpcError,
  withRetry,
} from "../../offchain/chain/retry.js";

const FAST = { retries: 4, baseDelayMs: 1, maxDelayMs: 4 };
const transient = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

describe("withRetry", function () {
  it("retries transient errors with growing delays until the call succeeds", async function () {
    let calls = 0;
    const seen: Array<[number, number]> = [];
    const result = await withRetry(
      async () => {
        if (++calls < 4) throw transient();
        return "ok";
      },
      { ...FAST, onRetry: (_e, attempt, delayMs) => seen.push([attempt, delayMs]) },
    );
    expect(result).to.equal("ok");
    expect(calls).to.equal(4);
    expect(seen.map(([attempt]) => attempt)).to.deep.equal([1, 2, 3]);
    for (const [attempt, delay] of seen) {
      const cap = Math.min(FAST.maxDelayMs, FAST.baseDelayMs * 2 ** (attempt - 1));
      expect(delay).to.be.within(cap / 2, cap);
    }
  });

  it("rethrows a non-retryable error at once", async function () {
    let calls = 0;
    const revert = makeError("execution reverted", "CALL_EXCEPTION", { data: "0x6cb47410" } as never);
    const error = await withRetry(async () => {
      calls++;
      throw revert;
    }, FAST).catch((e: unknown) => e);
    expect(error).to.equal(revert);
    expect(calls).to.equal(1);
  });

  it("gives up after `retries` with the last error as cause", async function () {
    let calls = 0;
    const error = await withRetry(async () => {
      calls++;
      throw transient();
    }, FAST).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).to.equal(5);
    expect(calls).to.equal(5);
    expect((error as Error).message).to.match(/check it \(or configure a fallback\)/);
    expect(((error as RetriesExhaustedError).cause as Error).message).to.equal("socket hang up");
  });

  it("stops waiting when its signal aborts", async function () {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    const error = await withRetry(
      async () => {
        throw transient();
      },
      { retries: 10, baseDelayMs: 10_000, maxDelayMs: 10_000, signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RetryAbortedError);
    expect(Date.now() - started).to.be.lessThan(2_000);
  });

  it("bounds every delay by maxDelayMs and keeps it above half the exponential step", function () {
    expect(backoffDelay(1, 100, 1_000, () => 0)).to.equal(50);
    expect(backoffDelay(1, 100, 1_000, () => 0.999999)).to.equal(100);
    expect(backoffDelay(3, 100, 1_000, () => 0.5)).to.equal(300);
    expect(backoffDelay(30, 100, 1_000, () => 0.999999)).to.equal(1_000);
  });
});

describe("isTransientRpcError", function () {
  const cases: Array<[string, unknown, boolean]> = [
    ["ethers NETWORK_ERROR", makeError("network down", "NETWORK_ERROR", { event: "x" } as never), true],
    ["ethers TIMEOUT", makeError("timeout", "TIMEOUT", { operation: "x" } as never), true],
    [
      "HTTP 429",
      makeError("bad response", "SERVER_ERROR", { info: { responseStatus: "429 Too Many Requests" } } as never),
      true,
    ],
    [
      "HTTP 503",
      makeError("bad response", "SERVER_ERROR", { info: { responseStatus: "503 Unavailable" } } as never),
      true,
    ],
    [
      "HTTP 401",
      makeError("bad response", "SERVER_ERROR", { info: { responseStatus: "401 Unauthorized" } } as never),
      false,
    ],
    ["ECONNRESET", transient(), true],
    ["JSON-RPC -32005 limit exceeded", { code: -32005, message: "limit exceeded" }, true],
    [
      "transport failure inside a data-less CALL_EXCEPTION",
      makeError("missing revert data", "CALL_EXCEPTION", {
        data: null,
        info: { error: { code: -32603, message: "request timed out" } },
      } as never),
      true,
    ],
    [
      "revert (CALL_EXCEPTION with data)",
      makeError("reverted", "CALL_EXCEPTION", { data: "0x6cb47410" } as never),
      false,
    ],
    ["Hardhat revert", Object.assign(new Error("VM Exception"), { code: 3, data: "0x6cb47410" }), false],
    ["NONCE_EXPIRED", makeError("nonce has already been used", "NONCE_EXPIRED", {} as never), false],
    ["Hardhat nonce too low", { code: -32000, message: "Nonce too low. Expected nonce to be 3 but got 2." }, false],
    ["replacement underpriced", { code: -32000, message: "replacement transaction underpriced" }, false],
    ["already known", { code: -32000, message: "already known" }, false],
    ["INSUFFICIENT_FUNDS", makeError("insufficient funds", "INSUFFICIENT_FUNDS", {} as never), false],
    ["plain bug", new TypeError("x is undefined"), false],
  ];
  for (const [name, error, expected] of cases) {
    it(`${expected ? "retries" : "does not retry"}: ${name}`, function () {
      expect(isTransientRpcError(error)).to.equal(expected);
    });
  }

  it("classifies every injected failure as transient, also when ethers wraps it", function () {
    const injector = new FaultInjector({ everyNth: 1, maxConsecutive: 100 });
    for (let i = 0; i < 4; i++) {
      const error = (() => {
        try {
          injector.maybeFail("eth_call");
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).to.be.instanceOf(InjectedRpcError);
      expect(isTransientRpcError(error)).to.equal(true);
      expect(isTransientRpcError(makeError("could not coalesce error", "UNKNOWN_ERROR", { error } as never))).to.equal(
        true,
      );
    }
  });

  it("recognises the nonce and replacement errors the sender handles", function () {
    expect(isNonceError({ message: "Nonce too low. Expected nonce to be 3 but got 2." })).to.equal(true);
    expect(isNonceError(makeError("nonce has already been used", "NONCE_EXPIRED", {} as never))).to.equal(true);
    expect(isReplacementError({ message: "replacement transaction underpriced" })).to.equal(true);
    expect(isReplacementError({ message: "already known" })).to.equal(true);
    expect(isNonceError(transient())).to.equal(false);
  });
});

describe("FaultInjector", function () {
  function failures(options: ConstructorParameters<typeof FaultInjector>[0], calls: number): number[] {
    const injector = new FaultInjector(options);
    const failed: number[] = [];
    for (let i = 0; i < calls; i++) {
      try {
        injector.maybeFail(i % 5 === 0 ? "eth_chainId" : "eth_getLogs");
      } catch {
        failed.push(i);
      }
    }
    return failed;
  }

  it("fails the same calls for the same seed, and never exempt methods", function () {
    const a = failures({ seed: 42, failureRate: 0.3 }, 200);
    expect(a).to.deep.equal(failures({ seed: 42, failureRate: 0.3 }, 200));
    expect(a).to.not.deep.equal(failures({ seed: 43, failureRate: 0.3 }, 200));
    expect(a.length).to.be.within(30, 70);
    expect(a.some((i) => i % 5 === 0)).to.equal(false);
  });

  it("fails every Nth eligible call but never more than maxConsecutive in a row", function () {
    expect(failures({ everyNth: 2, exempt: [] }, 8)).to.deep.equal([1, 3, 5, 7]);
    const always = failures({ failureRate: 1, maxConsecutive: 2, exempt: [] }, 9);
    expect(always).to.deep.equal([0, 1, 3, 4, 6, 7]);
  });
});
