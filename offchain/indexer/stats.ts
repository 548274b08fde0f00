/**
 * Network health computed purely from on-chain events of the v2 layers — the inference hub, the settlement contract,
 * the dispute court, the committee module, staking and the model registry: request volume and outcomes, declines
 * and timeouts, active workers and verifiers, stake, disputes and panels, fault slashes apart from liveness
 * penalties, jails, where the fees went (by named party) and the usage of each model.
 *
 * Two layers: {@link NetworkState} is a pure reducer (events in, numbers out; no I/O), and {@link NetworkIndexer}
 * feeds it incrementally from the chain through {@link EventReader}. Neither uses Node-only APIs, so a web page can
 * run the same code against a browser provider.
 */
import { decodeBytes32String, type Provider } from "ethers";

import { EventReader, sortEvents, type EventName, type EventReaderOptions, type ParsedEvent } from "../chain/events.js";
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

/**
 * Stake taken for a fault — something done wrong, not merely late: the court's `Penalised` reasons `worker` (a
 * rejected result), `defender` (a committee member that vouched for it), `challenger` (a stake-backed challenge of a
 * result the court upheld) and `minority` (a juror who voted against the decision); `other` is stake slashed with
 * no reason event the indexer knows (a slasher added later by governance, or an unknown `Penalised` reason).
 */
export const FAULT_REASONS = ["worker", "defender", "challenger", "minority", "other"] as const;
export type FaultReason = (typeof FAULT_REASONS)[number];

/**
 * Stake taken for missing a deadline: `timeout` (the hub's `WorkerTimedOut`: the assigned worker did not answer in
 * time), `nonReveal` (the court's `Penalised` "nonReveal": a juror that did not reveal a vote) and `silence` (the
 * committee's `SilencePenalised`: a member that did not reveal an attestation). A withheld reveal may be a tactic,
 * but on chain it is indistinguishable from being offline, so it is counted as what the chain shows: a missed step.
 */
export const LIVENESS_REASONS = ["timeout", "nonReveal", "silence"] as const;
export type LivenessReason = (typeof LIVENESS_REASONS)[number];

/** What an account did, as the events show it (an account can have several roles). */
export const PARTY_ROLES = [
  "treasury",
  "model-owner",
  "royalty-recipient",
  "worker",
  "verifier",
  "challenger",
  "requester",
  "callback-deliverer",
] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

/** One account that was credited or refunded, with its roles. */
export interface Party {
  /** Checksummed address, or {@link VERIFIERS_PARTY} / {@link TREASURY_PARTY} for the pooled and unknown entries. */
  account: string;
  /** In {@link PARTY_ROLES} order. */
  roles: PartyRole[];
  /** Models it owns now (role `model-owner`), ascending. */
  ownedModels: bigint[];
  /** Models it received or is set to receive royalties of without owning them (role `royalty-recipient`). */
  royaltyModels: bigint[];
  /** Credits in the settlement contract (fee splits, rewards, penalties, callback fees), claimed or not. */
  earned: bigint;
  /** Requester refunds (back to its free balance, not credits). */
  refunded: bigint;
}

/** Usage of one model, from the requests indexed (requests made before the start block are not counted). */
export interface ModelUsage {
  modelId: bigint;
  /** Verification mode from `ModelRegistered` (undefined: registered before the start block). */
  mode: number | undefined;
  /** Current owner (undefined: registered before the start block). */
  owner: string | undefined;
  calls: number;
  finalized: number;
  /** Rejected, expired or refunded. */
  failed: number;
  /** Fee splits paid for its finalized requests (royalty, worker, verifiers and treasury together). */
  fees: bigint;
  /** The royalty part of `fees`. */
  royalty: bigint;
}

export interface NetworkStats {
  /** Last block included. */
  syncedBlock: number;
  /** The `now` the windows were computed for (unix seconds). */
  now: number;
  requests: {
    total: number;
    /** Width of a `perWindow` bucket, seconds. */
    windowSeconds: number;
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
   * Stake taken for faults (see {@link FAULT_REASONS}): `count` penalties that took stake, `amount` in total. Liveness
   * penalties are in `liveness`, never here.
   */
  slashes: { count: number; amount: bigint; byReason: Record<FaultReason, bigint> };
  /**
   * Missed deadlines: `timeouts` counts every `WorkerTimedOut` (also one that found no stake to take); `count` and
   * `amount` are the liveness penalties that took stake (see {@link LIVENESS_REASONS}).
   */
  liveness: { timeouts: number; count: number; amount: bigint; byReason: Record<LivenessReason, bigint> };
  /** `Jailed` events: by the hub for a timeout (`liveness`), by the court for a rejected result (`faults`). */
  jails: { faults: number; liveness: number };
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
  /** Every account credited or refunded, named by its roles; most earned first. */
  parties: Party[];
  models: {
    registered: number;
    active: number;
    suspended: number;
    /** Per model that was registered or requested in the indexed blocks, by model id. */
    usage: ModelUsage[];
  };
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

/** Staking role bits (`WeightUpdated.role`, `Staked.roles`). */
export const ROLE_WORKER = 1;
export const ROLE_VERIFIER = 2;
const OUTCOME_UPHELD = 2n;
const OUTCOME_REJECTED = 3n;
const OUTCOME_UNDECIDED = 4n;
/** `Penalised` reasons of the court that are liveness penalties (every other reason is a fault). */
const COURT_LIVENESS_REASONS: ReadonlySet<string> = new Set<LivenessReason>(["nonReveal"]);

/** A court `Penalised` reason as the statistics count it: a missed reveal is liveness, anything else a fault. */
export function courtPenalty(
  reason: string,
): { kind: "liveness"; reason: LivenessReason } | { kind: "fault"; reason: FaultReason } {
  if (COURT_LIVENESS_REASONS.has(reason)) return { kind: "liveness", reason: reason as LivenessReason };
  return {
    kind: "fault",
    reason: (FAULT_REASONS as readonly string[]).includes(reason) ? (reason as FaultReason) : "other",
  };
}

/** A `CaseResolved` outcome as the statistics count it (undefined: an outcome the indexer does not know). */
export function caseOutcome(outcome: bigint): "upheld" | "rejected" | "undecided" | undefined {
  if (outcome === OUTCOME_UPHELD) return "upheld";
  if (outcome === OUTCOME_REJECTED) return "rejected";
  if (outcome === OUTCOME_UNDECIDED) return "undecided";
  return undefined;
}

/** What the indexer knows of one model (its usage, and who owns it or received its royalties). */
export interface ModelRecord {
  mode: number | undefined;
  owner: string | undefined;
  /** Every account that received this model's royalties or was set as its recipient. */
  royaltyRecipients: Set<string>;
  calls: number;
  finalized: number;
  failed: number;
  fees: bigint;
  royalty: bigint;
}

// ------------------------------------------------------------------------------------------------- reducer

/** Pure aggregation of protocol events. Apply events in chain order. */
export class NetworkState {
  syncedBlock = -1;
  syncedTimestamp = 0;
  /** The settlement contract's treasury as of the last applied `TreasurySet` (undefined until one was seen). */
  treasury: string | undefined;
  /** The hub's address (lower case): the slasher of liveness jails. Learnt from its first event if not given. */
  #hub: string | undefined;
  readonly #requestTimes: number[] = [];
  /** Requests not yet terminal: their model (for per-model usage) and requester (for refunds). */
  readonly #openRequests = new Map<bigint, { modelId: bigint; requester: string }>();
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
  /** Every `Slashed` that took stake (count and amount), classified or not. */
  #slashedCount = 0;
  #slashedAmount = 0n;
  #faultCount = 0;
  readonly #faults = zeroes(FAULT_REASONS);
  #livenessCount = 0;
  readonly #liveness = zeroes(LIVENESS_REASONS);
  #timeouts = 0;
  /** The slasher of the last `Slashed`, by transaction: a `Jailed` right after it is that slasher's. */
  #lastSlash: { txHash: string; slasher: string } | undefined;
  #faultJails = 0;
  #livenessJails = 0;
  #royalty = 0n;
  #workerPay = 0n;
  #verifierPay = 0n;
  #treasuryPay = 0n;
  #refunds = 0n;
  #callbacks = 0n;
  readonly #credits: Record<string, bigint> = Object.fromEntries(CREDIT_REASONS.map((r) => [r, 0n]));
  readonly #byParty = new Map<string, bigint>();
  readonly #refundsByRequester = new Map<string, bigint>();
  /** Roles other than the treasury's and the models': account -> roles. */
  readonly #roles = new Map<string, Set<PartyRole>>();
  /** Every address that was the treasury (`TreasurySet`, or read from the contract). */
  readonly #treasuries = new Set<string>();
  #models = 0;
  readonly #modelRecords = new Map<bigint, ModelRecord>();
  readonly #inactiveModels = new Set<bigint>();
  readonly #suspendedModels = new Set<bigint>();

  /** @param options.hub The hub's address, to tell its (liveness) jails from the court's (fault) jails. */
  constructor(options: { hub?: string } = {}) {
    this.#hub = options.hub?.toLowerCase();
  }

  /** Records the treasury read from the settlement contract (when indexing starts after its `TreasurySet`). */
  seedTreasury(treasury: string): void {
    this.treasury = treasury;
    this.#treasuries.add(treasury);
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
    this.#hub ??= e.address.toLowerCase();
    switch (e.name) {
      case "InferenceRequested": {
        if (timestamp === undefined) throw new IndexerDecodeError(e, "timestamp", "block");
        this.#requestTimes.push(timestamp);
        const modelId = big(e, "modelId");
        const requester = address(e, "requester");
        this.#openRequests.set(big(e, "requestId"), { modelId, requester });
        this.#model(modelId).calls++;
        this.#addRole(requester, "requester");
        break;
      }
      case "RequestFinalized": {
        this.#finalized++;
        const request = this.#close(e);
        if (request !== undefined) this.#model(request.modelId).finalized++;
        break;
      }
      case "RequestRejected":
        this.#rejected++;
        this.#refund(e);
        break;
      case "RequestExpired":
        this.#expired++;
        this.#refund(e);
        break;
      case "RequestRefunded":
        this.#refunded++;
        this.#refund(e);
        break;
      case "WorkerDeclined":
        this.#declines++;
        break;
      case "WorkerTimedOut":
        this.#timeouts++;
        this.#addLiveness("timeout", big(e, "penalty"));
        this.#addRole(address(e, "worker"), "worker");
        break;
      default:
        break;
    }
  }

  /** A request ended: forget it, and return what was known of it (undefined: requested before the start block). */
  #close(e: ParsedEvent): { modelId: bigint; requester: string } | undefined {
    const requestId = big(e, "requestId");
    const request = this.#openRequests.get(requestId);
    this.#openRequests.delete(requestId);
    return request;
  }

  #refund(e: ParsedEvent): void {
    const refund = big(e, "refund");
    this.#refunds += refund;
    const request = this.#close(e);
    if (request === undefined) return;
    this.#model(request.modelId).failed++;
    if (refund > 0n) {
      this.#refundsByRequester.set(request.requester, (this.#refundsByRequester.get(request.requester) ?? 0n) + refund);
    }
  }

  #applySettlement(e: ParsedEvent): void {
    switch (e.name) {
      case "FeeSplitPaid": {
        const royalty = big(e, "royalty");
        const workerPay = big(e, "workerPay");
        const verifierPay = big(e, "verifierPay");
        const treasuryPay = big(e, "treasuryPay");
        const recipient = address(e, "royaltyRecipient");
        const worker = address(e, "worker");
        this.#royalty += royalty;
        this.#workerPay += workerPay;
        this.#verifierPay += verifierPay;
        this.#treasuryPay += treasuryPay;
        this.#credit(recipient, royalty);
        this.#credit(worker, workerPay);
        this.#credit(VERIFIERS_PARTY, verifierPay);
        // The event does not name the treasury (a settlement parameter): take it from the last `TreasurySet`.
        this.#credit(this.treasury ?? TREASURY_PARTY, treasuryPay);
        this.#addRole(worker, "worker");
        // The hub's `RequestFinalized` follows in the same transaction: the request is still open here.
        const request = this.#openRequests.get(big(e, "requestId"));
        if (request !== undefined) {
          const model = this.#model(request.modelId);
          model.fees += royalty + workerPay + verifierPay + treasuryPay;
          model.royalty += royalty;
          if (royalty > 0n) model.royaltyRecipients.add(recipient);
        }
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
        const account = address(e, "account");
        this.#callbacks += amount;
        this.#credit(account, amount);
        this.#addRole(account, "callback-deliverer");
        break;
      }
      case "TreasurySet":
        this.treasury = address(e, "treasury");
        this.#treasuries.add(this.treasury);
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
      case "ChallengerJoined":
        this.#addRole(address(e, "challenger"), "challenger");
        break;
      case "JuryDrawn":
        this.#juries++;
        break;
      case "Appealed":
        this.#appeals++;
        break;
      case "CaseResolved": {
        const outcome = caseOutcome(big(e, "outcome"));
        if (outcome === "upheld") this.#upheld++;
        else if (outcome === "rejected") this.#disputesRejected++;
        else if (outcome === "undecided") this.#undecided++;
        break;
      }
      case "Penalised": {
        const penalty = courtPenalty(bytes32Text(e, "reason"));
        const amount = big(e, "amount");
        if (penalty.kind === "liveness") this.#addLiveness(penalty.reason, amount);
        else this.#addFault(penalty.reason, amount);
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
        this.#addLiveness("silence", big(e, "amount"));
        break;
      default:
        break;
    }
  }

  #applyStaking(e: ParsedEvent): void {
    switch (e.name) {
      case "Staked":
        this.#addActive(address(e, "operator"), big(e, "amount"));
        this.#addOperatorRoles(address(e, "operator"), big(e, "roles"));
        break;
      case "RolesUpdated":
        this.#addOperatorRoles(address(e, "operator"), big(e, "roles"));
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
          this.#slashedCount++;
          this.#slashedAmount += fromActive + fromUnbonding;
        }
        this.#lastSlash = { txHash: e.txHash, slasher: address(e, "slasher").toLowerCase() };
        break;
      }
      case "Jailed": {
        // Staking emits `Jailed` right after the `Slashed` of the same `slash` call.
        const slash = this.#lastSlash?.txHash === e.txHash ? this.#lastSlash : undefined;
        if (slash !== undefined && slash.slasher === this.#hub) this.#livenessJails++;
        else this.#faultJails++;
        break;
      }
      case "WeightUpdated":
        this.#weights.set(`${big(e, "role")}:${address(e, "operator")}`, big(e, "tickets"));
        break;
      default:
        break;
    }
  }

  #applyRegistry(e: ParsedEvent): void {
    switch (e.name) {
      case "ModelRegistered": {
        this.#models++;
        const model = this.#model(big(e, "modelId"));
        model.mode = Number(big(e, "mode"));
        model.owner = address(e, "owner");
        break;
      }
      case "ModelOwnershipTransferred":
        this.#model(big(e, "modelId")).owner = address(e, "newOwner");
        break;
      case "ModelRoyaltyUpdated":
        this.#model(big(e, "modelId")).royaltyRecipients.add(address(e, "recipient"));
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

  #addFault(reason: FaultReason, amount: bigint): void {
    if (amount === 0n) return;
    this.#faultCount++;
    this.#faults[reason] += amount;
  }

  #addLiveness(reason: LivenessReason, amount: bigint): void {
    if (amount === 0n) return;
    this.#livenessCount++;
    this.#liveness[reason] += amount;
  }

  #addRole(account: string, role: PartyRole): void {
    const roles = this.#roles.get(account);
    if (roles === undefined) this.#roles.set(account, new Set([role]));
    else roles.add(role);
  }

  #addOperatorRoles(operator: string, roles: bigint): void {
    if ((roles & BigInt(ROLE_WORKER)) !== 0n) this.#addRole(operator, "worker");
    if ((roles & BigInt(ROLE_VERIFIER)) !== 0n) this.#addRole(operator, "verifier");
  }

  #model(modelId: bigint): ModelRecord {
    let model = this.#modelRecords.get(modelId);
    if (model === undefined) {
      model = {
        mode: undefined,
        owner: undefined,
        royaltyRecipients: new Set(),
        calls: 0,
        finalized: 0,
        failed: 0,
        fees: 0n,
        royalty: 0n,
      };
      this.#modelRecords.set(modelId, model);
    }
    return model;
  }

  /** The aggregates as of the last applied event. */
  totals(): StatsTotals {
    return {
      syncedBlock: this.syncedBlock,
      syncedTimestamp: this.syncedTimestamp,
      requests: this.#requestTimes.length,
      perWindow: (width, now, maxWindows) => requestWindows(this.#requestTimes, width, now, maxWindows),
      closed: {
        finalized: this.#finalized,
        rejected: this.#rejected,
        expired: this.#expired,
        refunded: this.#refunded,
      },
      declines: this.#declines,
      weights: this.#weights,
      active: [...this.#active.values()].reduce((a, b) => a + b, 0n),
      unbonding: this.#unbonding,
      disputes: {
        opened: this.#disputesOpened,
        upheld: this.#upheld,
        rejected: this.#disputesRejected,
        undecided: this.#undecided,
        juries: this.#juries,
        appeals: this.#appeals,
      },
      committees: this.#committees,
      slashed: { count: this.#slashedCount, amount: this.#slashedAmount },
      faults: { count: this.#faultCount, byReason: this.#faults },
      liveness: { count: this.#livenessCount, byReason: this.#liveness, timeouts: this.#timeouts },
      jails: { faults: this.#faultJails, liveness: this.#livenessJails },
      fees: {
        royalty: this.#royalty,
        worker: this.#workerPay,
        verifier: this.#verifierPay,
        treasury: this.#treasuryPay,
        refunds: this.#refunds,
        callbacks: this.#callbacks,
        credits: this.#credits,
      },
      byParty: this.#byParty,
      refundsByRequester: this.#refundsByRequester,
      roles: this.#roles,
      treasuries: this.#treasuries,
      models: {
        registered: this.#models,
        records: this.#modelRecords,
        inactive: this.#inactiveModels,
        suspended: this.#suspendedModels,
      },
    };
  }

  /** The numbers as of the last applied event. */
  stats(options: StatsOptions): NetworkStats {
    return assembleStats(this.totals(), options);
  }
}

// ------------------------------------------------------------------------------------------------- assembly

/**
 * The aggregates {@link NetworkStats} is assembled from: what {@link NetworkState} keeps in memory, and what the
 * persistent indexer (`db.ts`) queries from its database. Both go through {@link assembleStats}.
 */
export interface StatsTotals {
  syncedBlock: number;
  syncedTimestamp: number;
  /** `InferenceRequested` events. */
  requests: number;
  /** The request windows for a window width, `now` and the most recent windows to keep (see {@link requestWindows}). */
  perWindow: (windowSeconds: number, now: number, maxWindows: number) => Array<{ start: number; count: number }>;
  closed: { finalized: number; rejected: number; expired: number; refunded: number };
  declines: number;
  /** The last sortition weight per `${role}:${operator}` (zero weights included). */
  weights: Iterable<[string, bigint]>;
  /** Bonded stake of all operators (see `NetworkStats.stake`). */
  active: bigint;
  unbonding: bigint;
  disputes: { opened: number; upheld: number; rejected: number; undecided: number; juries: number; appeals: number };
  committees: number;
  /** Every `Slashed` that took stake. */
  slashed: { count: number; amount: bigint };
  /** Court penalties classified as faults (that took stake). */
  faults: { count: number; byReason: Readonly<Record<FaultReason, bigint>> };
  /** Liveness penalties (that took stake), and every `WorkerTimedOut`. */
  liveness: { count: number; byReason: Readonly<Record<LivenessReason, bigint>>; timeouts: number };
  jails: { faults: number; liveness: number };
  fees: Omit<NetworkStats["fees"], "byParty" | "credits"> & { credits: Readonly<Record<string, bigint>> };
  /** Non-zero credits per account, in the order the accounts were first credited. */
  byParty: ReadonlyMap<string, bigint>;
  /** Non-zero refunds per requester of the requests indexed. */
  refundsByRequester: ReadonlyMap<string, bigint>;
  /** Roles other than the treasury's and the models': account -> roles. */
  roles: ReadonlyMap<string, ReadonlySet<PartyRole>>;
  /** Every address that was the treasury. */
  treasuries: ReadonlySet<string>;
  models: {
    /** `ModelRegistered` events. */
    registered: number;
    records: ReadonlyMap<bigint, Readonly<ModelRecord>>;
    /** Models whose last `ModelActiveSet` was false. */
    inactive: ReadonlySet<bigint>;
    /** Models suspended and not resumed since. */
    suspended: ReadonlySet<bigint>;
  };
}

/** {@link NetworkStats} from its aggregates. */
export function assembleStats(t: StatsTotals, options: StatsOptions): NetworkStats {
  if (!(options.windowSeconds > 0)) throw new RangeError("windowSeconds must be a positive number of seconds");
  const now = options.now ?? t.syncedTimestamp;
  let workers = 0;
  let verifiers = 0;
  let workerWeight = 0n;
  let verifierWeight = 0n;
  for (const [key, weight] of t.weights) {
    if (weight === 0n) continue;
    if (key.startsWith(`${ROLE_WORKER}:`)) {
      workers++;
      workerWeight += weight;
    } else if (key.startsWith(`${ROLE_VERIFIER}:`)) {
      verifiers++;
      verifierWeight += weight;
    }
  }
  const { finalized, rejected, expired, refunded } = t.closed;
  const d = t.disputes;
  // A suspended model that is also inactive counts once, as inactive.
  let unavailable = t.models.inactive.size;
  for (const id of t.models.suspended) if (!t.models.inactive.has(id)) unavailable++;
  // Stake slashed with no reason event the indexer knows is a fault of an unknown kind.
  const livenessAmount = sum(Object.values(t.liveness.byReason));
  const faults = { ...t.faults.byReason };
  faults.other += t.slashed.amount - livenessAmount - sum(Object.values(t.faults.byReason));
  const faultCount = Math.max(t.faults.count, t.slashed.count - t.liveness.count);
  const models = [...t.models.records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const usage: ModelUsage[] = models.map(([modelId, m]) => ({
    modelId,
    mode: m.mode,
    owner: m.owner,
    calls: m.calls,
    finalized: m.finalized,
    failed: m.failed,
    fees: m.fees,
    royalty: m.royalty,
  }));
  return {
    syncedBlock: t.syncedBlock,
    now,
    requests: {
      total: t.requests,
      windowSeconds: options.windowSeconds,
      perWindow: t.perWindow(options.windowSeconds, now, options.maxWindows ?? 1_000),
      byStatus: {
        finalized,
        rejected,
        expired,
        refunded,
        open: t.requests - finalized - rejected - expired - refunded,
      },
      declines: t.declines,
    },
    workers: { active: workers },
    verifiers: { active: verifiers },
    stake: { active: t.active, unbonding: t.unbonding, workerWeight, verifierWeight },
    disputes: {
      opened: d.opened,
      upheld: d.upheld,
      rejected: d.rejected,
      undecided: d.undecided,
      open: d.opened - d.upheld - d.rejected - d.undecided,
      juries: d.juries,
      appeals: d.appeals,
    },
    committees: { drawn: t.committees },
    slashes: { count: faultCount, amount: sum(Object.values(faults)), byReason: faults },
    liveness: {
      timeouts: t.liveness.timeouts,
      count: t.liveness.count,
      amount: livenessAmount,
      byReason: { ...t.liveness.byReason },
    },
    jails: { ...t.jails },
    fees: { ...t.fees, credits: { ...t.fees.credits }, byParty: new Map(t.byParty) },
    parties: parties(t, models),
    models: {
      registered: t.models.registered,
      active: t.models.registered - unavailable,
      suspended: t.models.suspended.size,
      usage,
    },
  };
}

/** Every account credited or refunded, with its roles; most earned first, then most refunded, then by address. */
function parties(t: StatsTotals, models: ReadonlyArray<[bigint, Readonly<ModelRecord>]>): Party[] {
  const accounts = new Set([...t.byParty.keys(), ...t.refundsByRequester.keys()]);
  const out: Party[] = [];
  for (const account of accounts) {
    const roles = new Set<PartyRole>(t.roles.get(account));
    if (t.treasuries.has(account) || account === TREASURY_PARTY) roles.add("treasury");
    if (account === VERIFIERS_PARTY) roles.add("verifier");
    const ownedModels: bigint[] = [];
    const royaltyModels: bigint[] = [];
    for (const [modelId, model] of models) {
      if (model.owner === account) ownedModels.push(modelId);
      else if (model.royaltyRecipients.has(account)) royaltyModels.push(modelId);
    }
    if (ownedModels.length > 0) roles.add("model-owner");
    if (royaltyModels.length > 0) roles.add("royalty-recipient");
    out.push({
      account,
      roles: PARTY_ROLES.filter((role) => roles.has(role)),
      ownedModels,
      royaltyModels,
      earned: t.byParty.get(account) ?? 0n,
      refunded: t.refundsByRequester.get(account) ?? 0n,
    });
  }
  return out.sort(
    (a, b) =>
      compareDesc(a.earned, b.earned) ||
      compareDesc(a.refunded, b.refunded) ||
      (a.account < b.account ? -1 : a.account > b.account ? 1 : 0),
  );
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
  /** Called after each applied batch of `sync` (for a progress display of a long catch-up). */
  onProgress?: (progress: SyncProgress) => void;
}

/** Where a running `sync` is. */
export interface SyncProgress {
  /** First block of this sync. */
  fromBlock: number;
  /** Last block applied so far. */
  syncedBlock: number;
  /** Last block this sync reads. */
  toBlock: number;
  /** Events applied so far in this sync. */
  events: number;
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
  "ChallengerJoined",
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
  "RolesUpdated",
  "UnbondingStarted",
  "StakeWithdrawn",
  "Slashed",
  "Jailed",
  "WeightUpdated",
] as const satisfies readonly EventName<IStaking>[];
const REGISTRY_EVENTS = [
  "ModelRegistered",
  "ModelOwnershipTransferred",
  "ModelRoyaltyUpdated",
  "ModelActiveSet",
  "ModelSuspended",
  "ModelResumed",
  "ModelUriUpdated",
] as const satisfies readonly EventName<IModelRegistry>[];

/** The events the indexer reads, per contract. */
export const INDEXED_EVENTS = {
  hub: HUB_EVENTS,
  settlement: SETTLEMENT_EVENTS,
  court: COURT_EVENTS,
  committee: COMMITTEE_EVENTS,
  staking: STAKING_EVENTS,
  registry: REGISTRY_EVENTS,
} as const satisfies Record<ProtocolContract, readonly string[]>;

/** An event with the contract that emitted it. */
export type SourcedEvent = ParsedEvent & { source: ProtocolContract };

/** One {@link EventReader} per indexed contract. */
export type ProtocolReaders = ReadonlyArray<{ source: ProtocolContract; reader: EventReader }>;

/** The readers of every contract the indexer reads, in a fixed order. */
export function protocolReaders(contracts: IndexedContracts, options: EventReaderOptions = {}): ProtocolReaders {
  return [
    { source: "hub", reader: new EventReader(contracts.hub, HUB_EVENTS, options) },
    { source: "settlement", reader: new EventReader(contracts.settlement, SETTLEMENT_EVENTS, options) },
    { source: "court", reader: new EventReader(contracts.court, COURT_EVENTS, options) },
    { source: "committee", reader: new EventReader(contracts.modules.committee, COMMITTEE_EVENTS, options) },
    { source: "staking", reader: new EventReader(contracts.staking, STAKING_EVENTS, options) },
    { source: "registry", reader: new EventReader(contracts.registry, REGISTRY_EVENTS, options) },
  ];
}

/** Every indexed event of blocks `fromBlock..toBlock`, tagged with its contract, in chain order. */
export async function readProtocolEvents(
  readers: ProtocolReaders,
  fromBlock: number,
  toBlock: number,
): Promise<SourcedEvent[]> {
  const tagged: SourcedEvent[] = [];
  for (const { source, reader } of readers) {
    for (const event of await reader.read(fromBlock, toBlock)) tagged.push({ ...event, source });
  }
  return sortEvents(tagged);
}

/** Incrementally indexes the protocol's events into a {@link NetworkState}. */
export class NetworkIndexer {
  readonly state: NetworkState;
  readonly #readers: ProtocolReaders;
  readonly #provider: Provider;
  readonly #settlement: ISettlement;
  readonly #confirmations: number;
  readonly #batchBlocks: number;
  readonly #retry: Omit<RetryOptions, "isRetryable">;
  readonly #timestamps = new Map<number, number>();
  readonly #onProgress: ((progress: SyncProgress) => void) | undefined;
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
    this.#readers = protocolReaders(contracts, { maxBlockSpan: options.maxBlockSpan, retry: options.retry });
    this.#next = options.startBlock ?? 0;
    this.#confirmations = options.confirmations ?? 0;
    this.#batchBlocks = Math.max(1, Math.floor(options.batchBlocks ?? 20_000));
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
    this.#onProgress = options.onProgress;
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
      const tagged = await readProtocolEvents(this.#readers, start, end);
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
      this.#onProgress?.({ fromBlock, syncedBlock: end, toBlock: target, events: applied });
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
      this.state.seedTreasury(await this.#rpc(() => this.#settlement.treasury({ blockTag })));
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

/**
 * Requests per window of `width` seconds (windows start at multiples of `width`), from the window of the first
 * request to the one holding `now`, zero-filled, the most recent `maxWindows` only.
 */
export function requestWindows(
  times: readonly number[],
  width: number,
  now: number,
  maxWindows: number,
): Array<{ start: number; count: number }> {
  if (times.length === 0) return [];
  let earliest = Infinity;
  for (const t of times) earliest = Math.min(earliest, t);
  const range = windowRange(earliest, width, now, maxWindows);
  const counts = new Map<number, number>();
  for (const t of times) {
    const b = Math.floor(t / width) * width;
    if (b >= range.lowest && b <= range.last) counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return fillWindows(range, width, counts);
}

/** The first and last window start {@link requestWindows} reports, given the earliest request time. */
export function windowRange(
  earliest: number,
  width: number,
  now: number,
  maxWindows: number,
): { lowest: number; last: number } {
  const bucket = (t: number): number => Math.floor(t / width) * width;
  const first = bucket(earliest);
  const last = Math.max(bucket(now), first);
  return { lowest: Math.max(first, last - (Math.max(1, maxWindows) - 1) * width), last };
}

/** Every window of `range` with its count (zero when `counts` has none for its start). */
export function fillWindows(
  range: { lowest: number; last: number },
  width: number,
  counts: ReadonlyMap<number, number>,
): Array<{ start: number; count: number }> {
  const out: Array<{ start: number; count: number }> = [];
  for (let start = range.lowest; start <= range.last; start += width) {
    out.push({ start, count: counts.get(start) ?? 0 });
  }
  return out;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, bigint> {
  return Object.fromEntries(keys.map((k) => [k, 0n])) as Record<K, bigint>;
}

function sum(values: readonly bigint[]): bigint {
  return values.reduce((a, b) => a + b, 0n);
}

function compareDesc(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}

function value(e: ParsedEvent, name: string): unknown {
  try {
    return e.args.getValue(name) as unknown;
  } catch {
    return undefined;
  }
}

/** Typed argument readers that fail with {@link IndexerDecodeError} (shared with the persistent indexer). */
export const eventArgs = {
  big: (e: ParsedEvent, name: string) => big(e, name),
  address: (e: ParsedEvent, name: string) => address(e, name),
  bool: (e: ParsedEvent, name: string) => bool(e, name),
  bytes32Text: (e: ParsedEvent, name: string) => bytes32Text(e, name),
} as const;

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
