/**
 * Keeper duties: the permissionless, time-based transitions that move a request to a terminal state when nobody
 * else does — reassign (or expire) a request whose worker missed its response deadline, draw a committee, escalate
 * a committee without quorum, draw a jury, resolve a court round, and finalize once the module has a verdict.
 *
 * `planKeeperStep` reads one request's state and says what is due (shared by the verifier node, which keeps the
 * requests it touches, and the standalone keeper node below, which keeps every request). `KeeperNode` follows
 * `InferenceRequested` events, keeps one persisted job per open request and performs what is due with a gas budget
 * per round and a random delay before each round, so that several keepers rarely send the same transaction; a step
 * another keeper took first (a revert the plan tolerates) is logged at info as a lost race, never as an error.
 */
import { ethers } from "ethers";

import { pruneFinished, sendTolerant, type NodeContracts, type NodeDeps } from "./jobs.js";
import { NodeRunner, type FeedEvent, type RunnerOptions } from "./runner.js";

const STATUS_REQUESTED = 1n;
const STATUS_SUBMITTED = 2n;
const STATUS_DISPUTED = 3n;
const PHASE_NONE = 0n;
const PHASE_DRAWING = 1n;
const PHASE_VOTING = 2n;

/** Reverts that mean "not due yet" or "already done by someone else", per step. */
export const KEEPER_RACES = {
  reassign: new Set(["HubInvalidStatus", "HubDeadlineNotReached"]),
  finalize: new Set(["HubInvalidStatus", "HubNotFinal"]),
  drawCommittee: new Set([
    "CommitteeAlreadyDrawn",
    "CommitteeRandomnessPending",
    "CommitteeTooFewVerifiers",
    "CommitteeDeadlinePassed",
  ]),
  escalate: new Set(["CommitteeCannotEscalate", "CommitteeSameBlock"]),
  drawJury: new Set(["CourtWrongPhase", "CourtRandomnessPending", "CourtTooFewJurors", "CourtDeadlinePassed"]),
  resolve: new Set(["CourtWrongPhase", "CourtDeadlineNotReached", "CourtSameBlock"]),
} as const satisfies Record<string, ReadonlySet<string>>;

export type KeeperStepName = keyof typeof KEEPER_RACES;

/** Tolerated reverts that mean "not yet" (randomness, a deadline or the next block ahead) rather than a lost race. */
const NOT_YET = new Set([
  "HubDeadlineNotReached",
  "HubNotFinal",
  "CommitteeRandomnessPending",
  "CommitteeSameBlock",
  "CourtRandomnessPending",
  "CourtDeadlineNotReached",
  "CourtSameBlock",
]);

export interface KeeperStep {
  name: KeeperStepName;
  populate: () => Promise<ethers.ContractTransaction>;
}

/**
 * What is due for one request now:
 * - `terminal`: nothing will ever be due again;
 * - `waiting`: nothing is due before chain time `until`;
 * - `due`: try `steps` in order until one is applied (committee: finalize, else escalate).
 * `stage` says which contract holds the request's next transition (the verifier hands court cases to its case job).
 */
export type KeeperPlan =
  | { kind: "terminal" }
  | { kind: "waiting"; stage: KeeperStage; until: bigint }
  | { kind: "due"; stage: KeeperStage; steps: KeeperStep[] };

export type KeeperStage = "hub" | "committee" | "court";

/** Seconds of chain time before a phase that can end early (every seat revealed, randomness known) is looked at again. */
const RECHECK_SECONDS = 2n;

/** Reads `requestId`'s state and says which keeper step is due at chain time `now`. */
export async function planKeeperStep(contracts: NodeContracts, requestId: bigint, now: bigint): Promise<KeeperPlan> {
  const { hub, committee, court } = contracts;
  const request = await hub.getRequest(requestId);
  const hubStep = (name: "reassign" | "finalize"): KeeperStep => ({
    name,
    populate: () => hub[name].populateTransaction(requestId),
  });
  if (request.status === STATUS_REQUESTED) {
    if (now > request.deadline) return { kind: "due", stage: "hub", steps: [hubStep("reassign")] };
    return { kind: "waiting", stage: "hub", until: request.deadline + 1n };
  }
  if (request.status !== STATUS_SUBMITTED && request.status !== STATUS_DISPUTED) return { kind: "terminal" };

  const courtPlan = async (): Promise<KeeperPlan | null> => {
    const kase = await court.getCase(requestId);
    if (kase.phase === PHASE_NONE) return null;
    if (kase.phase === PHASE_DRAWING) {
      const name = now <= kase.drawDeadline ? "drawJury" : "resolve";
      return {
        kind: "due",
        stage: "court",
        steps: [{ name, populate: () => court[name].populateTransaction(requestId) }],
      };
    }
    if (kase.phase === PHASE_VOTING) {
      if (kase.revealedSeats < kase.seats && now <= kase.revealDeadline) {
        return { kind: "waiting", stage: "court", until: min(kase.revealDeadline + 1n, now + RECHECK_SECONDS) };
      }
      return {
        kind: "due",
        stage: "court",
        steps: [{ name: "resolve", populate: () => court.resolve.populateTransaction(requestId) }],
      };
    }
    return { kind: "due", stage: "court", steps: [hubStep("finalize")] }; // resolved: apply the verdict
  };

  if (request.module.toLowerCase() === (await committee.getAddress()).toLowerCase()) {
    const round = await committee.roundOf(requestId);
    if (round.seats === 0n) {
      if (now <= round.drawDeadline) {
        const step: KeeperStep = {
          name: "drawCommittee",
          populate: () => committee.drawCommittee.populateTransaction(requestId),
        };
        return { kind: "due", stage: "committee", steps: [step] };
      }
      return { kind: "due", stage: "committee", steps: [hubStep("finalize")] }; // never drawn: Refunded
    }
    if (round.escalated) return (await courtPlan()) ?? { kind: "waiting", stage: "court", until: now + 1n };
    const revealsOver = round.revealedSeats === round.seats || now > round.revealDeadline;
    if (!revealsOver) {
      return { kind: "waiting", stage: "committee", until: min(round.revealDeadline + 1n, now + RECHECK_SECONDS) };
    }
    const escalate: KeeperStep = {
      name: "escalate",
      populate: () => committee.escalate.populateTransaction(requestId),
    };
    return { kind: "due", stage: "committee", steps: [hubStep("finalize"), escalate] };
  }

  // OPTIMISTIC (and any module without rounds of its own): the court, if challenged; else finalize after the window.
  const plan = await courtPlan();
  if (plan !== null) return plan;
  if (now <= request.deadline) return { kind: "waiting", stage: "hub", until: request.deadline + 1n };
  return { kind: "due", stage: "hub", steps: [hubStep("finalize")] };
}

export type KeeperOutcome =
  | { kind: "terminal" }
  | { kind: "waiting"; stage: KeeperStage; until: bigint }
  | { kind: "applied"; stage: KeeperStage; step: KeeperStepName; receipt: ethers.TransactionReceipt }
  /** Every step reverted with a tolerated error: someone else was first, or it is not due after all. */
  | { kind: "lost"; stage: KeeperStage; step: KeeperStepName; errorName: string };

/** Plans and performs the step due for `requestId` (used by the verifier node for the requests it keeps). */
export async function keepRequest(
  deps: Pick<NodeDeps<unknown>, "contracts" | "sender" | "logger">,
  requestId: bigint,
  now: bigint,
  fields: Record<string, string> = {},
): Promise<KeeperOutcome> {
  const plan = await planKeeperStep(deps.contracts, requestId, now);
  if (plan.kind !== "due") return plan;
  return performKeeperPlan(deps, requestId, plan, fields);
}

/**
 * Sends the plan's steps in order until one is applied. A tolerated revert moves on to the next step, except
 * `HubInvalidStatus` (the request is no longer open: nothing else can apply).
 */
export async function performKeeperPlan(
  deps: Pick<NodeDeps<unknown>, "sender" | "logger">,
  requestId: bigint,
  plan: Extract<KeeperPlan, { kind: "due" }>,
  fields: Record<string, string>,
): Promise<KeeperOutcome> {
  let last: { step: KeeperStepName; errorName: string } | null = null;
  for (const step of plan.steps) {
    const sent = await sendTolerant(
      deps.sender,
      deps.logger,
      `${step.name} #${requestId}`,
      step.populate,
      KEEPER_RACES[step.name],
      fields,
    );
    if (sent.sent) return { kind: "applied", stage: plan.stage, step: step.name, receipt: sent.receipt };
    last = { step: step.name, errorName: sent.errorName };
    if (sent.errorName === "HubInvalidStatus") break;
  }
  return { kind: "lost", stage: plan.stage, step: last!.step, errorName: last!.errorName };
}

// ------------------------------------------------------------------------------------------------- keeper node

export interface KeeperJob {
  requestId: string;
  status: "open" | "done";
  /** Chain time before which the request is not looked at again. */
  nextCheck?: string;
  /** Keeper steps this node applied to the request. */
  applied?: number;
  doneAt?: string;
}

export interface KeeperState {
  jobs: Record<string, KeeperJob>;
}

export interface KeeperDeps extends NodeDeps<KeeperState> {
  /** Gas this node spends on keeper steps per round (estimated before each step). Default 5,000,000. */
  gasBudgetPerRound?: bigint;
  /** Largest random delay (ms) before each step, so keepers that see the same due step rarely all send it. Default 1,500. */
  jitterMs?: number;
  /** Seconds of chain time finished jobs stay in the state file. Default 3,600. */
  retainFinishedSeconds?: number;
  /** Most hub steps in one `processBatch` (the hub's MAX_BATCH, 50, at most). Default 50. */
  maxBatch?: number;
  /** Random source (tests make it deterministic). */
  random?: () => number;
}

/** The hub's bound on a batch (`InferenceHub.MAX_BATCH`). */
const MAX_BATCH = 50;
/** The key of the one job a keeper round runs as. */
const ROUND = "round";
/** Requests planned at once (view calls). */
const PLAN_CONCURRENCY = 8;
/** Steps `processBatch` performs: reassign (or expire) an overdue request, finalize a result with a verdict. */
const HUB_STEPS: ReadonlySet<KeeperStepName> = new Set(["reassign", "finalize"]);
/** Events by which `processBatch` moved a request on (the request id is their first argument). */
const BATCH_EVENTS: ReadonlySet<string> = new Set([
  "WorkerTimedOut",
  "RequestFinalized",
  "RequestRejected",
  "RequestRefunded",
]);
type DuePlan = Extract<KeeperPlan, { kind: "due" }>;

/** A node with no stake that performs every due keeper step of every request. */
export class KeeperNode extends NodeRunner {
  #state: KeeperState = { jobs: {} };
  #spent = 0n;
  #nextPrune = 0n;
  /** The requests due in the round `ready` found, for `runJob(ROUND)`. */
  #due: string[] = [];

  constructor(
    private readonly deps: KeeperDeps,
    options: RunnerOptions,
  ) {
    super(deps.feed, deps.logger, options);
  }

  get jobs(): Readonly<Record<string, KeeperJob>> {
    return this.#state.jobs;
  }

  protected async restore(): Promise<void> {
    this.#state = await this.deps.stateFile.load();
    const open = Object.values(this.#state.jobs).filter((j) => j.status === "open").length;
    if (open > 0) this.logger.info("keeper.resumed", { openRequests: open });
  }

  protected async persist(): Promise<void> {
    await this.deps.stateFile.save(this.#state);
  }

  protected async handle(events: FeedEvent[]): Promise<void> {
    let changed = false;
    for (const event of events) {
      if (event.name !== "InferenceRequested") continue;
      const requestId = String(event.args["requestId"]);
      if (this.#state.jobs[requestId] !== undefined) continue; // redelivery
      this.#state.jobs[requestId] = { requestId, status: "open" };
      changed = true;
    }
    if (changed) await this.persist();
  }

  /**
   * The open requests whose next check is due, in random order (keepers that start together spread out), are kept
   * for this round; the round runs as one job (`ROUND`) so that every hub step due in it can share a transaction.
   */
  protected async ready(): Promise<string[]> {
    const now = await this.deps.chainTime();
    if (now >= this.#nextPrune) {
      this.#nextPrune = now + 600n;
      const retain = BigInt(this.deps.retainFinishedSeconds ?? 3_600);
      const dropped = pruneFinished(this.#state.jobs, (j) => j.status === "done", now, retain);
      if (dropped > 0) await this.persist();
    }
    const due = Object.values(this.#state.jobs)
      .filter((j) => j.status === "open" && BigInt(j.nextCheck ?? "0") <= now)
      .map((j) => j.requestId);
    const random = this.deps.random ?? Math.random;
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    this.#due = due;
    return due.length > 0 ? [ROUND] : [];
  }

  /**
   * One round: a random delay, then a fresh plan for every due request; the hub steps due (reassign/expire and
   * finalize) go out together in `processBatch` (at most `maxBatch` per call, 50 at most), the others one by one,
   * all within the round's gas budget. What the budget does not cover waits for the next round.
   */
  protected async runJob(key: string): Promise<void> {
    if (key !== ROUND) return;
    const ids = this.#due.filter((id) => this.#state.jobs[id]?.status === "open");
    this.#due = [];
    if (ids.length === 0) return;
    this.#spent = 0n; // a new round, a new budget
    const jitter = Math.floor((this.deps.random ?? Math.random)() * (this.deps.jitterMs ?? 1_500));
    if (jitter > 0) await new Promise((resolve) => setTimeout(resolve, jitter));
    const now = await this.deps.chainTime();
    const plans = await mapLimit(ids, PLAN_CONCURRENCY, (id) => planKeeperStep(this.deps.contracts, BigInt(id), now));

    const batchable: { id: string; plan: DuePlan }[] = [];
    const single: { id: string; plan: DuePlan }[] = [];
    let changed = false;
    plans.forEach((plan, i) => {
      const id = ids[i]!;
      const job = this.#state.jobs[id]!;
      if (plan.kind === "terminal") {
        job.status = "done";
        job.doneAt = String(now);
        delete job.nextCheck;
        changed = true;
      } else if (plan.kind === "waiting") {
        job.nextCheck = String(plan.until);
        changed = true;
      } else if (HUB_STEPS.has(plan.steps[0]!.name)) batchable.push({ id, plan });
      else single.push({ id, plan });
    });
    if (changed) await this.persist();

    // One hub step alone is sent as itself (its revert names a lost race); two or more share processBatch.
    if (batchable.length === 1) single.unshift(batchable.pop()!);
    const maxBatch = Math.max(1, Math.min(this.deps.maxBatch ?? MAX_BATCH, MAX_BATCH));
    let exhausted = false;
    for (let start = 0; start < batchable.length && !exhausted; start += maxBatch) {
      const chunk = batchable.slice(start, start + maxBatch);
      const fallback = await this.#processBatch(chunk, now);
      if (fallback === null) exhausted = true;
      else single.push(...fallback);
    }
    for (const { id, plan } of single) {
      if (exhausted) break;
      const estimate = await this.#estimate(plan.steps[0]!);
      if (!this.#withinBudget(estimate, id)) {
        exhausted = true;
        break;
      }
      const outcome = await performKeeperPlan(this.deps, BigInt(id), plan, { requestId: id });
      this.#record(id, outcome, now);
      await this.persist();
    }
  }

  /**
   * Sends the hub steps of `chunk` in one `processBatch`, cut to what the round's budget still covers.
   * @returns the requests the batch did not move on, or null when the budget is spent.
   */
  async #processBatch(
    chunk: { id: string; plan: DuePlan }[],
    now: bigint,
  ): Promise<{ id: string; plan: DuePlan }[] | null> {
    const { hub } = this.deps.contracts;
    let items = chunk;
    let estimate = await this.#estimateBatch(items.map((c) => BigInt(c.id)));
    const budget = this.deps.gasBudgetPerRound ?? 5_000_000n;
    // Gas grows about linearly with the batch: keep the prefix the rest of the budget covers (shrinking until it does).
    while (items.length > 1 && this.#spent + estimate > budget) {
      const fits = Number(((budget - this.#spent) * BigInt(items.length)) / estimate);
      items = items.slice(0, Math.max(1, Math.min(fits, items.length - 1)));
      if (items.length > 1) estimate = await this.#estimateBatch(items.map((c) => BigInt(c.id)));
    }
    if (items.length === 1 && chunk.length > 1) {
      // Not even two fit: the first alone, as its own step, if it fits; the rest waits for the next round.
      const first = items[0]!;
      const one = await this.#estimate(first.plan.steps[0]!);
      if (!this.#withinBudget(one, first.id)) return null;
      const outcome = await performKeeperPlan(this.deps, BigInt(first.id), first.plan, { requestId: first.id });
      this.#record(first.id, outcome, now);
      await this.persist();
      this.logger.debug("keeper.budget_exhausted", { spent: this.#spent, budget, waiting: chunk.length - 1 });
      return null;
    }
    if (!this.#withinBudget(estimate, items[0]!.id)) return null;
    const ids = items.map((c) => BigInt(c.id));
    const label = `processBatch #${ids.join(",#")}`;
    // Nothing would change (other keepers were first, or nothing is due after all): send nothing.
    const wouldDo = await hub.processBatch.staticCall(ids, { from: this.deps.address }).catch(() => null);
    let settled = new Set<string>();
    let receipt: ethers.TransactionReceipt | null = null;
    if (wouldDo !== null && wouldDo > 0n) {
      receipt = await this.deps.sender.send(() => hub.processBatch.populateTransaction(ids), label);
      settled = new Set(
        receipt.logs
          .map((l) => safeParse(hub.interface, l))
          .filter((e): e is ethers.LogDescription => e !== null && BATCH_EVENTS.has(e.name))
          .map((e) => String(e.args[0])),
      );
      this.logger.info("tx.mined", {
        action: "processBatch",
        requests: ids.join(","),
        tx: receipt.hash,
        gasUsed: receipt.gasUsed,
      });
    }
    // What the batch did not move on goes through its plan step by step: a step another keeper took since reverts
    // at estimation (nothing is broadcast) and is logged as a lost race; a committee that cannot be finalized
    // escalates.
    const fallback: { id: string; plan: DuePlan }[] = [];
    for (const { id, plan } of items) {
      if (receipt !== null && settled.has(id)) {
        this.#record(id, { kind: "applied", stage: plan.stage, step: plan.steps[0]!.name, receipt }, now);
      } else fallback.push({ id, plan });
    }
    await this.persist();
    return fallback;
  }

  #withinBudget(estimate: bigint, requestId: string): boolean {
    const budget = this.deps.gasBudgetPerRound ?? 5_000_000n;
    if (this.#spent + estimate > budget) {
      this.logger.debug("keeper.budget_exhausted", { requestId, spent: this.#spent, budget });
      return false;
    }
    this.#spent += estimate;
    return true;
  }

  #record(id: string, outcome: KeeperOutcome, now: bigint): void {
    const job = this.#state.jobs[id]!;
    if (outcome.kind === "applied") {
      job.applied = (job.applied ?? 0) + 1;
      delete job.nextCheck;
      this.logger.info("keeper.applied", {
        requestId: id,
        step: outcome.step,
        gasUsed: outcome.receipt.gasUsed,
        tx: outcome.receipt.hash,
      });
    } else if (outcome.kind === "lost") {
      const event = NOT_YET.has(outcome.errorName) ? "keeper.not_yet" : "keeper.race_lost";
      this.logger[event === "keeper.not_yet" ? "debug" : "info"](event, {
        requestId: id,
        step: outcome.step,
        error: outcome.errorName,
      });
      job.nextCheck = String(now + 1n);
    }
  }

  /** Gas the step would use (a step that would revert counts as a small call: the sender does not broadcast it). */
  async #estimate(step: KeeperStep): Promise<bigint> {
    try {
      const tx = await step.populate();
      return await this.deps.sender.provider.estimateGas({ ...tx, from: this.deps.address });
    } catch {
      return 30_000n;
    }
  }

  async #estimateBatch(ids: bigint[]): Promise<bigint> {
    const { hub } = this.deps.contracts;
    try {
      const tx = await hub.processBatch.populateTransaction(ids);
      return await this.deps.sender.provider.estimateGas({ ...tx, from: this.deps.address });
    } catch {
      return 30_000n;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` calls at once; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function safeParse(iface: ethers.Interface, log: ethers.Log): ethers.LogDescription | null {
  try {
    return iface.parseLog(log);
  } catch {
    return null;
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
