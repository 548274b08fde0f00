/**
 * Test utility: an RPC transport that fails a deterministic share of calls with transient errors (rate limiting,
 * timeouts, dropped connections), to prove that retries work. Wraps an EIP-1193 provider (Hardhat's
 * `connection.provider`, a browser wallet) — use it through `new ethers.BrowserProvider(flaky)` — or patches the
 * `send` of an ethers `JsonRpcProvider`. Failures are injected before the call reaches the node, so a failed call
 * had no effect.
 */

/** The EIP-1193 surface used here. */
export interface Eip1193Provider {
  request(args: { readonly method: string; readonly params?: readonly unknown[] | object }): Promise<unknown>;
}

/** Anything with ethers' `JsonRpcProvider.send(method, params)`. */
export interface SendProvider {
  send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown>;
}

export type InjectedFailureKind = "rate-limit" | "timeout" | "connection-reset" | "server-error";

export interface FlakyOptions {
  /** Seed of the deterministic generator (same seed, same failures). Default 1. */
  seed?: number;
  /** Probability in [0, 1] that an eligible call fails. Default 0. */
  failureRate?: number;
  /** Fail every Nth eligible call (1-based: 3 fails calls 3, 6, 9…). Combined with `failureRate` by "or". */
  everyNth?: number;
  /** Only these methods may fail (default: all but `exempt`). */
  methods?: readonly string[];
  /** Methods that never fail. Default `eth_chainId`, `net_version` (ethers' network detection). */
  exempt?: readonly string[];
  /** At most this many failures in a row, so a bounded retry policy always gets through. Default 2. */
  maxConsecutive?: number;
  /** Which transient failure to simulate; cycles through all kinds when "mixed". Default "mixed". */
  kind?: InjectedFailureKind | "mixed";
}

/** A simulated transient RPC failure (JSON-RPC error shape: numeric `code`, `message`). */
export class InjectedRpcError extends Error {
  override readonly name = "InjectedRpcError";

  constructor(
    readonly method: string,
    readonly kind: InjectedFailureKind,
    readonly code: number,
    message: string,
  ) {
    super(`${message} (injected by FlakyProvider on ${method})`);
  }
}

export interface FlakyStats {
  calls: number;
  failures: number;
  failuresByMethod: Map<string, number>;
}

const KINDS: readonly InjectedFailureKind[] = ["rate-limit", "timeout", "connection-reset", "server-error"];

/** Decides which calls fail; shared by both wrappers. */
export class FaultInjector {
  readonly stats: FlakyStats = { calls: 0, failures: 0, failuresByMethod: new Map() };
  enabled = true;
  readonly #random: () => number;
  readonly #options: Required<Omit<FlakyOptions, "methods" | "everyNth">> & Pick<FlakyOptions, "methods" | "everyNth">;
  #eligible = 0;
  #consecutive = 0;

  constructor(options: FlakyOptions = {}) {
    this.#options = {
      seed: options.seed ?? 1,
      failureRate: options.failureRate ?? 0,
      everyNth: options.everyNth,
      methods: options.methods,
      exempt: options.exempt ?? ["eth_chainId", "net_version"],
      maxConsecutive: options.maxConsecutive ?? 2,
      kind: options.kind ?? "mixed",
    };
    this.#random = mulberry32(this.#options.seed);
  }

  /** Throws an {@link InjectedRpcError} when this call of `method` is chosen to fail. */
  maybeFail(method: string): void {
    this.stats.calls++;
    const o = this.#options;
    if (!this.enabled || o.exempt.includes(method) || (o.methods !== undefined && !o.methods.includes(method))) {
      return;
    }
    this.#eligible++;
    const draw = this.#random(); // drawn on every eligible call, so the sequence depends only on the seed
    const nth = o.everyNth !== undefined && o.everyNth > 0 && this.#eligible % o.everyNth === 0;
    if ((!nth && draw >= o.failureRate) || this.#consecutive >= o.maxConsecutive) {
      this.#consecutive = 0;
      return;
    }
    this.#consecutive++;
    this.stats.failures++;
    this.stats.failuresByMethod.set(method, (this.stats.failuresByMethod.get(method) ?? 0) + 1);
    const kind = o.kind === "mixed" ? (KINDS[(this.stats.failures - 1) % KINDS.length] ?? "rate-limit") : o.kind;
    throw makeError(method, kind);
  }
}

/** An EIP-1193 provider that fails some calls before forwarding the rest to `inner`. */
export class FlakyEip1193Provider implements Eip1193Provider {
  readonly injector: FaultInjector;
  readonly #inner: Eip1193Provider;

  constructor(inner: Eip1193Provider, options: FlakyOptions = {}) {
    this.#inner = inner;
    this.injector = new FaultInjector(options);
  }

  get stats(): FlakyStats {
    return this.injector.stats;
  }

  async request(args: { readonly method: string; readonly params?: readonly unknown[] | object }): Promise<unknown> {
    this.injector.maybeFail(args.method);
    return this.#inner.request(args);
  }
}

/** Patches `provider.send` in place to fail some calls; returns the injector (stats, `enabled`). */
export function makeSendFlaky(provider: SendProvider, options: FlakyOptions = {}): FaultInjector {
  const injector = new FaultInjector(options);
  const original = provider.send.bind(provider);
  provider.send = async (method, params) => {
    injector.maybeFail(method);
    return original(method, params);
  };
  return injector;
}

function makeError(method: string, kind: InjectedFailureKind): InjectedRpcError {
  switch (kind) {
    case "rate-limit":
      return new InjectedRpcError(method, kind, -32005, "429 Too Many Requests: rate limit exceeded");
    case "timeout":
      return new InjectedRpcError(method, kind, -32603, "request timed out");
    case "connection-reset":
      return new InjectedRpcError(method, kind, -32603, "socket hang up (ECONNRESET)");
    case "server-error":
      return new InjectedRpcError(method, kind, 503, "503 Service Unavailable");
  }
}

/** Small, fast, seedable PRNG (public domain). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
