/**
 * Network health computed purely from on-chain events of the hub, staking and the model registry: request volume
 * and outcomes, active workers and verifiers, stake, disputes, slashes and where the fees went.
 *
 * Two layers: {@link NetworkState} is a pure reducer (events in, numbers out; no I/O), and {@link NetworkIndexer}
 * feeds it incrementally from the chain through {@link EventReader}. Neither uses Node-only APIs, so a web page can
 * run the same code against a browser provider.
 */
import { decodeBytes32String, type Provider } from "ethers";

import { EventReader, sortEvents, type EventName, type ParsedEvent } from "../chain/events.js";
import { DEFAULT_RPC_RETRY, withRetry, type RetryOptions } from "../chain/retry.js";
import type { InferenceHubV1, ModelRegistryV1, StakingV1 } from "../../typechain-types/index.js";

// ------------------------------------------------------------------------------------------------- types

/** `Credited` reasons of the hub (bytes32 strings). */
export type CreditReason =
  "verifier" | "remainder" | "bond-return" | "bond-forfeit" | "challenger-reward" | "voter-reward" | "penalty";

export const CREDIT_REASONS: readonly CreditReason[] = [
  "verifier",
  "remainder",
  "bond-return",
  "bond-forfeit",
  "challenger-reward",
  "voter-reward",
  "penalty",
];

export interface NetworkStats {
  /** Last block included. */
  syncedBlock: number;
  /** The `now` the windows were computed for (unix seconds). */
  now: number;
  requests: {
    total: number;
    /** Requests per window, from the window of the first request to the one holding `now`, zero-filled. */
    perWindow: Array<{ start: number; count: number }>;
    byStatus: { finalized: number; rejected: number; expired: number; open: number };
  };
  /** Operators whose last WORKER sortition weight is non-zero (staked, eligible, not jailed). */
  workers: { active: number };
  /** Operators whose last VERIFIER sortition weight is non-zero. */
  verifiers: { active: number };
  stake: {
    /** Bonded stake of all operators: Staked − UnbondingStarted − Slashed(fromActive). */
    active: bigint;
    /** UnbondingStarted − StakeWithdrawn − Slashed(fromUnbonding). */
    unbonding: bigint;
    /** Sum of the last WORKER / VERIFIER weights (the stake sortition draws from). */
    workerWeight: bigint;
    verifierWeight: bigint;
  };
  disputes: { opened: number; upheld: number; rejected: number; open: number };
  /** StakingV1 `Slashed` events that took stake (worker faults, liveness and juror penalties). */
  slashes: { count: number; amount: bigint };
  fees: {
    /** Fee split of finalized requests (`RequestFinalized`). */
    royalty: bigint;
    worker: bigint;
    /** Verifier pay (`Credited` "verifier"; equals the sum of `RequestFinalized.verifierPay`). */
    verifier: bigint;
    /** Protocol fees and verifier-split remainders (`RequestFinalized.treasuryPay`). */
    treasury: bigint;
    /** Requester refunds of rejected and expired requests (back to their free balance, not credits). */
    refunds: bigint;
    /** Every `Credited` amount by reason (bonds, rewards, penalties, verifier pay). */
    credits: Record<CreditReason, bigint>;
    /** Credits per account: the three fee-split credits plus every `Credited` (checksummed addresses). */
    byParty: Map<string, bigint>;
  };
  models: { registered: number; active: number };
}

export interface StatsOptions {
  /** Width of a `requests.perWindow` bucket, seconds. */
  windowSeconds: number;
  /** Unix seconds; default the timestamp of the last synced block. */
  now?: number;
  /** Keep only the most recent windows. Default 1,000. */
  maxWindows?: number;
}

/** An event lacked an argument the indexer relies on: the ABI and the deployed contract disagree. */
export class IndexerDecodeError extends Error {
  override readonly name = "IndexerDecodeError";

  constructor(event: ParsedEvent, argument: string, expected: string) {
    super(
      `${event.name} in block ${event.blockNumber} (tx ${event.txHash}) has no ${expected} "${argument}": the ` +
        "indexer's ABI does not match the deployed contract; regenerate the typechain bindings for this deployment.",
    );
  }
}

/** Which contract emitted an event. */
export type ProtocolContract = "hub" | "staking" | "registry";

/**
 * The key under which `RequestFinalized.treasuryPay` appears in `fees.byParty` when no `ParamsUpdated` was applied
 * yet (indexing started after the hub's deployment and the treasury could not be read at the start block).
 */
export const TREASURY_PARTY = "treasury";

const ROLE_WORKER = 1;
const ROLE_VERIFIER = 2;

// ------------------------------------------------------------------------------------------------- reducer

/** Pure aggregation of protocol events. Apply events in chain order. */
export class NetworkState {
  syncedBlock = -1;
  syncedTimestamp = 0;
  /** The hub's treasury as of the last applied `ParamsUpdated` (undefined until one was seen). */
  treasury: string | undefined;
  readonly #requestTimes: number[] = [];
  #finalized = 0;
  #rejected = 0;
  #expired = 0;
  readonly #weights = new Map<string, bigint>(); // `${role}:${operator}` -> weight
  readonly #active = new Map<string, bigint>();
  #unbonding = 0n;
  #disputesOpened = 0;
  #upheld = 0;
  #disputesRejected = 0;
  #slashCount = 0;
  #slashAmount = 0n;
  #royalty = 0n;
  #workerPay = 0n;
  #treasuryPay = 0n;
  #refunds = 0n;
  readonly #credits = Object.fromEntries(CREDIT_REASONS.map((r) => [r, 0n])) as Record<CreditReason, bigint>;
  readonly #otherCredits = new Map<string, bigint>(); // unknown reasons, by hex
  readonly #byParty = new Map<string, bigint>();
  #models = 0;
  readonly #inactiveModels = new Set<bigint>();

  /** Folds one event in. `timestamp` (unix seconds of its block) is needed for `InferenceRequested` only. */
  apply(source: ProtocolContract, event: ParsedEvent, timestamp: number | undefined): void {
    switch (source) {
      case "hub":
        this.#applyHub(event, timestamp);
        break;
      case "staking":
        this.#applyStaking(event);
        break;
      case "registry":
        this.#applyRegistry(event);
        break;
    }
  }

  #applyHub(e: ParsedEvent, timestamp: number | undefined): void {
    switch (e.name) {
      case "InferenceRequested":
        if (timestamp === undefined) throw new IndexerDecodeError(e, "timestamp", "block");
        this.#requestTimes.push(timestamp);
        break;
      case "RequestFinalized":
        this.#finalized++;
        this.#royalty += big(e, "royalty");
        this.#workerPay += big(e, "workerPay");
        this.#treasuryPay += big(e, "treasuryPay");
        this.#credit(address(e, "royaltyRecipient"), big(e, "royalty"));
        this.#credit(address(e, "worker"), big(e, "workerPay"));
        // The event does not name the treasury (a hub parameter): take it from the last `ParamsUpdated`.
        this.#credit(this.treasury ?? TREASURY_PARTY, big(e, "treasuryPay"));
        break;
      case "RequestRejected":
        this.#rejected++;
        this.#refunds += big(e, "refund");
        break;
      case "RequestExpired":
        this.#expired++;
        this.#refunds += big(e, "refund");
        break;
      case "Credited": {
        const amount = big(e, "amount");
        const reason = creditReason(e);
        if (reason in this.#credits) this.#credits[reason as CreditReason] += amount;
        else this.#otherCredits.set(reason, (this.#otherCredits.get(reason) ?? 0n) + amount);
        this.#credit(address(e, "account"), amount);
        break;
      }
      case "ParamsUpdated": {
        const params = value(e, "params");
        const treasury =
          typeof params === "object" && params !== null ? (params as { treasury?: unknown }).treasury : undefined;
        if (typeof treasury !== "string") throw new IndexerDecodeError(e, "params.treasury", "address");
        this.treasury = treasury;
        break;
      }
      case "DisputeOpened":
        this.#disputesOpened++;
        break;
      case "DisputeResolved":
        if (bool(e, "upheld")) this.#upheld++;
        else this.#disputesRejected++;
        break;
      default:
        break;
    }
  }

  #applyStaking(e: ParsedEvent): void {
    switch (e.name) {
      case "Staked":
        this.#addActive(address(e, "operator"), big(e, "amount"));
        break;
      case "UnbondingStarted": {
        const amount = big(e, "amount");
        this.#addActive(address(e, "operator"), -amount);
        this.#unbonding += amount;
        break;
      }
      case "StakeWithdrawn":
        this.#unbonding -= big(e, "amount");
        break;
      case "Slashed": {
        const fromActive = big(e, "fromActive");
        const fromUnbonding = big(e, "fromUnbonding");
        this.#addActive(address(e, "operator"), -fromActive);
        this.#unbonding -= fromUnbonding;
        if (fromActive + fromUnbonding > 0n) {
          this.#slashCount++;
          this.#slashAmount += fromActive + fromUnbonding;
        }
        break;
      }
      case "WeightUpdated":
        this.#weights.set(`${big(e, "role")}:${address(e, "operator")}`, big(e, "weight"));
        break;
      default:
        break;
    }
  }

  #applyRegistry(e: ParsedEvent): void {
    switch (e.name) {
      case "ModelRegistered":
        this.#models++;
        break;
      case "ModelActiveSet": {
        const modelId = big(e, "modelId");
        if (bool(e, "active")) this.#inactiveModels.delete(modelId);
        else this.#inactiveModels.add(modelId);
        break;
      }
      default:
        break;
    }
  }

  #credit(party: string, amount: bigint): void {
    if (amount === 0n) return;
    this.#byParty.set(party, (this.#byParty.get(party) ?? 0n) + amount);
  }

  #addActive(operator: string, delta: bigint): void {
    this.#active.set(operator, (this.#active.get(operator) ?? 0n) + delta);
  }

  /** The numbers as of the last applied event. */
  stats(options: StatsOptions): NetworkStats {
    if (!(options.windowSeconds > 0)) throw new RangeError("windowSeconds must be a positive number of seconds");
    const now = options.now ?? this.syncedTimestamp;
    const total = this.#requestTimes.length;
    let workers = 0;
    let verifiers = 0;
    let workerWeight = 0n;
    let verifierWeight = 0n;
    for (const [key, weight] of this.#weights) {
      if (weight === 0n) continue;
      if (key.startsWith(`${ROLE_WORKER}:`)) {
        workers++;
        workerWeight += weight;
      } else if (key.startsWith(`${ROLE_VERIFIER}:`)) {
        verifiers++;
        verifierWeight += weight;
      }
    }
    let active = 0n;
    for (const amount of this.#active.values()) active += amount;
    return {
      syncedBlock: this.syncedBlock,
      now,
      requests: {
        total,
        perWindow: windows(this.#requestTimes, options.windowSeconds, now, options.maxWindows ?? 1_000),
        byStatus: {
          finalized: this.#finalized,
          rejected: this.#rejected,
          expired: this.#expired,
          open: total - this.#finalized - this.#rejected - this.#expired,
        },
      },
      workers: { active: workers },
      verifiers: { active: verifiers },
      stake: { active, unbonding: this.#unbonding, workerWeight, verifierWeight },
      disputes: {
        opened: this.#disputesOpened,
        upheld: this.#upheld,
        rejected: this.#disputesRejected,
        open: this.#disputesOpened - this.#upheld - this.#disputesRejected,
      },
      slashes: { count: this.#slashCount, amount: this.#slashAmount },
      fees: {
        royalty: this.#royalty,
        worker: this.#workerPay,
        verifier: this.#credits.verifier,
        treasury: this.#treasuryPay,
        refunds: this.#refunds,
        credits: { ...this.#credits },
        byParty: new Map(this.#byParty),
      },
      models: { registered: this.#models, active: this.#models - this.#inactiveModels.size },
    };
  }
}

// ------------------------------------------------------------------------------------------------- indexer

export interface NetworkIndexerOptions {
  /** First block to read (the deployment block). Default 0. */
  startBlock?: number;
  /** `sync()` without a target stops at `head - confirmations`. Default 0. */
  confirmations?: number;
  /** Largest block span of one `eth_getLogs`. Default 2,000. */
  maxBlockSpan?: number;
  /** Blocks read and applied per step of `sync`, bounding memory during a long catch-up. Default 20,000. */
  batchBlocks?: number;
  /** Retry policy of RPC calls. */
  retry?: Omit<RetryOptions, "isRetryable">;
}

const HUB_EVENTS = [
  "InferenceRequested",
  "RequestFinalized",
  "RequestRejected",
  "RequestExpired",
  "Credited",
  "DisputeOpened",
  "DisputeResolved",
  "ParamsUpdated",
] as const satisfies readonly EventName<InferenceHubV1>[];
const STAKING_EVENTS = [
  "Staked",
  "UnbondingStarted",
  "StakeWithdrawn",
  "Slashed",
  "WeightUpdated",
] as const satisfies readonly EventName<StakingV1>[];
const REGISTRY_EVENTS = ["ModelRegistered", "ModelActiveSet"] as const satisfies readonly EventName<ModelRegistryV1>[];

/** Incrementally indexes the protocol's events into a {@link NetworkState}. */
export class NetworkIndexer {
  readonly state = new NetworkState();
  readonly #readers: ReadonlyArray<{ source: ProtocolContract; reader: EventReader }>;
  readonly #provider: Provider;
  readonly #hub: InferenceHubV1;
  readonly #confirmations: number;
  readonly #batchBlocks: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  readonly #timestamps = new Map<number, number>();
  #next: number;

  constructor(
    contracts: { hub: InferenceHubV1; staking: StakingV1; registry: ModelRegistryV1 },
    options: NetworkIndexerOptions = {},
  ) {
    const provider = contracts.hub.runner?.provider ?? null;
    if (provider === null) {
      throw new TypeError("NetworkIndexer needs contracts connected to a provider (contract.connect(provider)).");
    }
    this.#provider = provider;
    this.#hub = contracts.hub;
    const readerOptions = { maxBlockSpan: options.maxBlockSpan, retry: options.retry };
    this.#readers = [
      { source: "hub", reader: new EventReader(contracts.hub, HUB_EVENTS, readerOptions) },
      { source: "staking", reader: new EventReader(contracts.staking, STAKING_EVENTS, readerOptions) },
      { source: "registry", reader: new EventReader(contracts.registry, REGISTRY_EVENTS, readerOptions) },
    ];
    this.#next = options.startBlock ?? 0;
    this.#confirmations = options.confirmations ?? 0;
    this.#batchBlocks = Math.max(1, Math.floor(options.batchBlocks ?? 20_000));
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
  }

  /** Last block included so far (−1 before the first sync). */
  get syncedBlock(): number {
    return this.state.syncedBlock;
  }

  /**
   * Reads and applies the events of the blocks after the last sync up to `toBlock` (default: the head minus the
   * confirmation depth). Returns how many events were applied.
   */
  async sync(toBlock?: number): Promise<{ fromBlock: number; toBlock: number; events: number }> {
    const head = await this.#rpc(() => this.#provider.getBlockNumber());
    const target = Math.min(toBlock ?? head - this.#confirmations, head);
    const fromBlock = this.#next;
    if (target < fromBlock) return { fromBlock, toBlock: target, events: 0 };
    if (this.state.treasury === undefined && fromBlock > 0) await this.#seedTreasury(fromBlock - 1);
    let applied = 0;
    for (let start = fromBlock; start <= target; start += this.#batchBlocks) {
      const end = Math.min(target, start + this.#batchBlocks - 1);
      const tagged: Array<ParsedEvent & { source: ProtocolContract }> = [];
      for (const { source, reader } of this.#readers) {
        for (const event of await reader.read(start, end)) tagged.push({ ...event, source });
      }
      sortEvents(tagged);
      // Every RPC call of the batch happens before the first event is applied: a failure leaves the state as it
      // was, and the next sync reads the batch again.
      const timestamps = new Map<number, number>();
      for (const event of tagged) {
        if (event.name === "InferenceRequested" && !timestamps.has(event.blockNumber)) {
          timestamps.set(event.blockNumber, await this.#timestamp(event.blockNumber));
        }
      }
      for (const event of tagged) this.state.apply(event.source, event, timestamps.get(event.blockNumber));
      applied += tagged.length;
      this.state.syncedBlock = end;
      this.#next = end + 1;
    }
    this.state.syncedTimestamp = await this.#timestamp(target);
    return { fromBlock, toBlock: target, events: applied };
  }

  /** Statistics as of the last sync. */
  stats(options: StatsOptions): NetworkStats {
    return this.state.stats(options);
  }

  /** Indexing starts after the deployment: read the treasury as of the block before (needs an archive node). */
  async #seedTreasury(blockTag: number): Promise<void> {
    try {
      this.state.treasury = (await this.#rpc(() => this.#hub.params({ blockTag }))).treasury;
    } catch {
      // not an archive node, or the hub did not exist yet: `ParamsUpdated` will tell, else the placeholder stays
    }
  }

  async #timestamp(blockNumber: number): Promise<number> {
    const cached = this.#timestamps.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.#rpc(() => this.#provider.getBlock(blockNumber));
    if (block === null) throw new Error(`Block ${blockNumber} is not available from the RPC node; retry the sync.`);
    if (this.#timestamps.size >= 10_000) this.#timestamps.clear(); // a cache, not a history
    this.#timestamps.set(blockNumber, block.timestamp);
    return block.timestamp;
  }

  #rpc<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, this.#retry);
  }
}

// ------------------------------------------------------------------------------------------------- helpers

function windows(
  times: readonly number[],
  width: number,
  now: number,
  maxWindows: number,
): Array<{ start: number; count: number }> {
  if (times.length === 0) return [];
  const bucket = (t: number): number => Math.floor(t / width) * width;
  let first = Infinity;
  for (const t of times) first = Math.min(first, bucket(t));
  const last = Math.max(bucket(now), first);
  const lowest = Math.max(first, last - (Math.max(1, maxWindows) - 1) * width);
  const counts = new Map<number, number>();
  for (const t of times) {
    const b = bucket(t);
    if (b >= lowest && b <= last) counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const out: Array<{ start: number; count: number }> = [];
  for (let start = lowest; start <= last; start += width) out.push({ start, count: counts.get(start) ?? 0 });
  return out;
}

function value(e: ParsedEvent, name: string): unknown {
  try {
    return e.args.getValue(name) as unknown;
  } catch {
    return undefined;
  }
}

function big(e: ParsedEvent, name: string): bigint {
  const v = value(e, name);
  if (typeof v !== "bigint") throw new IndexerDecodeError(e, name, "integer");
  return v;
}

function address(e: ParsedEvent, name: string): string {
  const v = value(e, name);
  if (typeof v !== "string") throw new IndexerDecodeError(e, name, "address");
  return v;
}

function bool(e: ParsedEvent, name: string): boolean {
  const v = value(e, name);
  if (typeof v !== "boolean") throw new IndexerDecodeError(e, name, "boolean");
  return v;
}

function creditReason(e: ParsedEvent): string {
  const raw = value(e, "reason");
  if (typeof raw !== "string") throw new IndexerDecodeError(e, "reason", "bytes32");
  try {
    return decodeBytes32String(raw);
  } catch {
    return raw;
  }
}
