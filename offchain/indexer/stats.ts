/**
 * Network health computed purely from on-chain events of the v2 layers — the inference hub, the settlement contract,
 * the dispute court, the committee module, staking and the model registry: request volume and outcomes, declines
 * and timeouts, active workers and verifiers, stake, disputes and panels, slashes and jails, and where the fees went.
 *
 * Two layers: {@link NetworkState} is a pure reducer (events in, numbers out; no I/O), and {@link NetworkIndexer}
 * feeds it incrementally from the chain through {@link EventReader}. Neither uses Node-only APIs, so a web page can
 * run the same code against a browser provider.
 */
import { decodeBytes32String, type Provider } from "ethers";

import { EventReader, sortEvents, type EventName, type ParsedEvent } from "../chain/events.js";
import { DEFAULT_RPC_RETRY, withRetry, type RetryOptions } from "../chain/retry.js";
import type {
  ICommitteeModule,
  IDisputeCourt,
  IInferenceHub,
  IModelRegistry,
  ISettlement,
  IStaking,
} from "../../typechain-types/index.js";

// ------------------------------------------------------------------------------------------------- types

/** `Credited` reasons of the protocol contracts (bytes32 strings), always present in `fees.credits`. */
export const CREDIT_REASONS = [
  "bond-return",
  "challenger-reward",
  "voter-reward",
  "forfeit",
  "treasury",
  "liveness-penalty",
  "silence",
] as const;
export type CreditReason = (typeof CREDIT_REASONS)[number];

/** `Penalised` reasons of the court, plus the committee's silence penalty. */
export const PENALTY_REASONS = ["worker", "defender", "challenger", "minority", "nonReveal", "silence"] as const;
export type PenaltyReason = (typeof PENALTY_REASONS)[number];

export interface NetworkStats {
  /** Last block included. */
  syncedBlock: number;
  /** The `now` the windows were computed for (unix seconds). */
  now: number;
  requests: {
    total: number;
    /** Requests per window, from the window of the first request to the one holding `now`, zero-filled. */
    perWindow: Array<{ start: number; count: number }>;
    byStatus: { finalized: number; rejected: number; expired: number; refunded: number; open: number };
    /** Assignments given back by workers that could not obtain the model (no penalty). */
    declines: number;
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
    /** Sum of the last WORKER / VERIFIER weights, in tickets of 1 OPG (what sortition draws from). */
    workerWeight: bigint;
    verifierWeight: bigint;
  };
  /** Court cases (`CaseOpened`, `CaseResolved`), juries drawn (appeal rounds included) and appeals. */
  disputes: {
    opened: number;
    upheld: number;
    rejected: number;
    undecided: number;
    open: number;
    juries: number;
    appeals: number;
  };
  /** Committees drawn by the COMMITTEE module. */
  committees: { drawn: number };
  /**
   * Stake taken for faults: every Staking `Slashed` that took stake, by any slasher other than the hub (court
   * verdicts, juror and committee penalties). Liveness penalties of the hub are in `liveness`, not here.
   */
  slashes: { count: number; amount: bigint };
  /** Stake lost per reason (`Penalised` of the court, `SilencePenalised` of the committee module). */
  penalties: Record<PenaltyReason, bigint>;
  /** Workers that missed their deadline (`WorkerTimedOut`) and the liveness penalties slashed from them. */
  liveness: { timeouts: number; penalties: bigint };
  /** `Jailed` events (court verdicts and timeouts). */
  jails: number;
  fees: {
    /** Fee split of finalized requests (settlement `FeeSplitPaid`). */
    royalty: bigint;
    worker: bigint;
    verifier: bigint;
    /** Protocol fees and verifier-split remainders. */
    treasury: bigint;
    /** Requester refunds of rejected, expired and refunded requests (back to their free balance, not credits). */
    refunds: bigint;
    /** Prepaid callback fees credited to whoever delivered the callbacks (`FeeCredited`). */
    callbacks: bigint;
    /** Every `Credited` amount by reason (bonds, rewards, penalties), unknown reasons included by their name. */
    credits: Record<string, bigint>;
    /**
     * Credits per account (checksummed): fee-split royalty, worker pay and treasury pay, every `Credited` and
     * `FeeCredited`. The verifier pay of a fee split names no individual verifier: it is under {@link VERIFIERS_PARTY}.
     */
    byParty: Map<string, bigint>;
  };
  models: { registered: number; active: number; suspended: number };
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
export type ProtocolContract = "hub" | "settlement" | "court" | "committee" | "staking" | "registry";

/**
 * The key under which fee-split treasury pay appears in `fees.byParty` when the treasury is not known yet
 * (indexing started after the settlement contract's deployment and its treasury could not be read).
 */
export const TREASURY_PARTY = "treasury";
/** The key under which fee-split verifier pay appears in `fees.byParty` (the event names no verifier). */
export const VERIFIERS_PARTY = "verifiers";

const ROLE_WORKER = 1;
const ROLE_VERIFIER = 2;
const OUTCOME_UPHELD = 2n;
const OUTCOME_REJECTED = 3n;
const OUTCOME_UNDECIDED = 4n;

// ------------------------------------------------------------------------------------------------- reducer

/** Pure aggregation of protocol events. Apply events in chain order. */
export class NetworkState {
  syncedBlock = -1;
  syncedTimestamp = 0;
  /** The settlement contract's treasury as of the last applied `TreasurySet` (undefined until one was seen). */
  treasury: string | undefined;
  /** The hub's address (lower case): its slashes are liveness penalties, not fault slashes. */
  readonly #hub: string | undefined;
  readonly #requestTimes: number[] = [];
  #finalized = 0;
  #rejected = 0;
  #expired = 0;
  #refunded = 0;
  #declines = 0;
  readonly #weights = new Map<string, bigint>(); // `${role}:${operator}` -> tickets
  readonly #active = new Map<string, bigint>();
  #unbonding = 0n;
  #disputesOpened = 0;
  #upheld = 0;
  #disputesRejected = 0;
  #undecided = 0;
  #juries = 0;
  #appeals = 0;
  #committees = 0;
  #slashCount = 0;
  #slashAmount = 0n;
  readonly #penalties = Object.fromEntries(PENALTY_REASONS.map((r) => [r, 0n])) as Record<PenaltyReason, bigint>;
  #timeouts = 0;
  #livenessPenalties = 0n;
  #jails = 0;
  #royalty = 0n;
  #workerPay = 0n;
  #verifierPay = 0n;
  #treasuryPay = 0n;
  #refunds = 0n;
  #callbacks = 0n;
  readonly #credits: Record<string, bigint> = Object.fromEntries(CREDIT_REASONS.map((r) => [r, 0n]));
  readonly #byParty = new Map<string, bigint>();
  #models = 0;
  readonly #inactiveModels = new Set<bigint>();
  readonly #suspendedModels = new Set<bigint>();

  /** @param options.hub The hub's address, to tell its liveness penalties from fault slashes. */
  constructor(options: { hub?: string } = {}) {
    this.#hub = options.hub?.toLowerCase();
  }

  /** Folds one event in. `timestamp` (unix seconds of its block) is needed for `InferenceRequested` only. */
  apply(source: ProtocolContract, event: ParsedEvent, timestamp: number | undefined): void {
    switch (source) {
      case "hub":
        this.#applyHub(event, timestamp);
        break;
      case "settlement":
        this.#applySettlement(event);
        break;
      case "court":
        this.#applyCourt(event);
        break;
      case "committee":
        this.#applyCommittee(event);
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
        break;
      case "RequestRejected":
        this.#rejected++;
        this.#refunds += big(e, "refund");
        break;
      case "RequestExpired":
        this.#expired++;
        this.#refunds += big(e, "refund");
        break;
      case "RequestRefunded":
        this.#refunded++;
        this.#refunds += big(e, "refund");
        break;
      case "WorkerDeclined":
        this.#declines++;
        break;
      case "WorkerTimedOut":
        this.#timeouts++;
        this.#livenessPenalties += big(e, "penalty");
        break;
      default:
        break;
    }
  }

  #applySettlement(e: ParsedEvent): void {
    switch (e.name) {
      case "FeeSplitPaid": {
        const royalty = big(e, "royalty");
        const workerPay = big(e, "workerPay");
        const verifierPay = big(e, "verifierPay");
        const treasuryPay = big(e, "treasuryPay");
        this.#royalty += royalty;
        this.#workerPay += workerPay;
        this.#verifierPay += verifierPay;
        this.#treasuryPay += treasuryPay;
        this.#credit(address(e, "royaltyRecipient"), royalty);
        this.#credit(address(e, "worker"), workerPay);
        this.#credit(VERIFIERS_PARTY, verifierPay);
        // The event does not name the treasury (a settlement parameter): take it from the last `TreasurySet`.
        this.#credit(this.treasury ?? TREASURY_PARTY, treasuryPay);
        break;
      }
      case "Credited": {
        const amount = big(e, "amount");
        const reason = bytes32Text(e, "reason");
        this.#credits[reason] = (this.#credits[reason] ?? 0n) + amount;
        this.#credit(address(e, "account"), amount);
        break;
      }
      case "FeeCredited": {
        const amount = big(e, "amount");
        this.#callbacks += amount;
        this.#credit(address(e, "account"), amount);
        break;
      }
      case "TreasurySet":
        this.treasury = address(e, "treasury");
        break;
      default:
        break;
    }
  }

  #applyCourt(e: ParsedEvent): void {
    switch (e.name) {
      case "CaseOpened":
        this.#disputesOpened++;
        break;
      case "JuryDrawn":
        this.#juries++;
        break;
      case "Appealed":
        this.#appeals++;
        break;
      case "CaseResolved": {
        const outcome = big(e, "outcome");
        if (outcome === OUTCOME_UPHELD) this.#upheld++;
        else if (outcome === OUTCOME_REJECTED) this.#disputesRejected++;
        else if (outcome === OUTCOME_UNDECIDED) this.#undecided++;
        break;
      }
      case "Penalised": {
        const reason = bytes32Text(e, "reason");
        if (reason in this.#penalties) this.#penalties[reason as PenaltyReason] += big(e, "amount");
        break;
      }
      default:
        break;
    }
  }

  #applyCommittee(e: ParsedEvent): void {
    switch (e.name) {
      case "CommitteeDrawn":
        this.#committees++;
        break;
      case "SilencePenalised":
        this.#penalties.silence += big(e, "amount");
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
        const liveness = this.#hub !== undefined && address(e, "slasher").toLowerCase() === this.#hub;
        if (fromActive + fromUnbonding > 0n && !liveness) {
          this.#slashCount++;
          this.#slashAmount += fromActive + fromUnbonding;
        }
        break;
      }
      case "Jailed":
        this.#jails++;
        break;
      case "WeightUpdated":
        this.#weights.set(`${big(e, "role")}:${address(e, "operator")}`, big(e, "tickets"));
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
      case "ModelSuspended":
        this.#suspendedModels.add(big(e, "modelId"));
        break;
      case "ModelResumed":
      case "ModelUriUpdated":
        // Both lift a suspension (a new decline epoch starts).
        this.#suspendedModels.delete(big(e, "modelId"));
        break;
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
    const terminal = this.#finalized + this.#rejected + this.#expired + this.#refunded;
    const resolved = this.#upheld + this.#disputesRejected + this.#undecided;
    // A suspended model that is also inactive counts once, as inactive.
    let unavailable = this.#inactiveModels.size;
    for (const id of this.#suspendedModels) if (!this.#inactiveModels.has(id)) unavailable++;
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
          refunded: this.#refunded,
          open: total - terminal,
        },
        declines: this.#declines,
      },
      workers: { active: workers },
      verifiers: { active: verifiers },
      stake: { active, unbonding: this.#unbonding, workerWeight, verifierWeight },
      disputes: {
        opened: this.#disputesOpened,
        upheld: this.#upheld,
        rejected: this.#disputesRejected,
        undecided: this.#undecided,
        open: this.#disputesOpened - resolved,
        juries: this.#juries,
        appeals: this.#appeals,
      },
      committees: { drawn: this.#committees },
      slashes: { count: this.#slashCount, amount: this.#slashAmount },
      penalties: { ...this.#penalties },
      liveness: { timeouts: this.#timeouts, penalties: this.#livenessPenalties },
      jails: this.#jails,
      fees: {
        royalty: this.#royalty,
        worker: this.#workerPay,
        verifier: this.#verifierPay,
        treasury: this.#treasuryPay,
        refunds: this.#refunds,
        callbacks: this.#callbacks,
        credits: { ...this.#credits },
        byParty: new Map(this.#byParty),
      },
      models: {
        registered: this.#models,
        active: this.#models - unavailable,
        suspended: this.#suspendedModels.size,
      },
    };
  }
}

// ------------------------------------------------------------------------------------------------- indexer

/** The contracts the indexer reads (a {@link ProtocolContracts} from `connectContracts` has them all). */
export interface IndexedContracts {
  hub: IInferenceHub;
  settlement: ISettlement;
  court: IDisputeCourt;
  modules: { committee: ICommitteeModule };
  staking: IStaking;
  registry: IModelRegistry;
}

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
  "WorkerDeclined",
  "WorkerTimedOut",
  "RequestFinalized",
  "RequestRejected",
  "RequestExpired",
  "RequestRefunded",
] as const satisfies readonly EventName<IInferenceHub>[];
const SETTLEMENT_EVENTS = [
  "FeeSplitPaid",
  "Credited",
  "FeeCredited",
  "TreasurySet",
] as const satisfies readonly EventName<ISettlement>[];
const COURT_EVENTS = [
  "CaseOpened",
  "JuryDrawn",
  "Appealed",
  "CaseResolved",
  "Penalised",
] as const satisfies readonly EventName<IDisputeCourt>[];
const COMMITTEE_EVENTS = [
  "CommitteeDrawn",
  "SilencePenalised",
] as const satisfies readonly EventName<ICommitteeModule>[];
const STAKING_EVENTS = [
  "Staked",
  "UnbondingStarted",
  "StakeWithdrawn",
  "Slashed",
  "Jailed",
  "WeightUpdated",
] as const satisfies readonly EventName<IStaking>[];
const REGISTRY_EVENTS = [
  "ModelRegistered",
  "ModelActiveSet",
  "ModelSuspended",
  "ModelResumed",
  "ModelUriUpdated",
] as const satisfies readonly EventName<IModelRegistry>[];

/** Incrementally indexes the protocol's events into a {@link NetworkState}. */
export class NetworkIndexer {
  readonly state: NetworkState;
  readonly #readers: ReadonlyArray<{ source: ProtocolContract; reader: EventReader }>;
  readonly #provider: Provider;
  readonly #settlement: ISettlement;
  readonly #confirmations: number;
  readonly #batchBlocks: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  readonly #timestamps = new Map<number, number>();
  #next: number;

  constructor(contracts: IndexedContracts, options: NetworkIndexerOptions = {}) {
    const provider = contracts.hub.runner?.provider ?? null;
    if (provider === null) {
      throw new TypeError("NetworkIndexer needs contracts connected to a provider (contract.connect(provider)).");
    }
    this.#provider = provider;
    this.#settlement = contracts.settlement;
    const hub = typeof contracts.hub.target === "string" ? contracts.hub.target : undefined;
    this.state = new NetworkState({ hub });
    const readerOptions = { maxBlockSpan: options.maxBlockSpan, retry: options.retry };
    this.#readers = [
      { source: "hub", reader: new EventReader(contracts.hub, HUB_EVENTS, readerOptions) },
      { source: "settlement", reader: new EventReader(contracts.settlement, SETTLEMENT_EVENTS, readerOptions) },
      { source: "court", reader: new EventReader(contracts.court, COURT_EVENTS, readerOptions) },
      { source: "committee", reader: new EventReader(contracts.modules.committee, COMMITTEE_EVENTS, readerOptions) },
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
      this.state.treasury = await this.#rpc(() => this.#settlement.treasury({ blockTag }));
    } catch {
      // not an archive node, or the contract did not exist yet: `TreasurySet` will tell, else the placeholder stays
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

/** A bytes32 reason as its string (the protocol's reasons are short strings), or its hex if it is not one. */
function bytes32Text(e: ParsedEvent, name: string): string {
  const raw = value(e, name);
  if (typeof raw !== "string") throw new IndexerDecodeError(e, name, "bytes32");
  try {
    return decodeBytes32String(raw);
  } catch {
    return raw;
  }
}
