/**
 * Worker node: serves the requests the hub assigns to this operator. For each `WorkerAssigned` event naming it, it
 * checks the request on-chain, fetches and verifies the model, runs it, and posts the canonical output (or a
 * canonical error result for input the model cannot take).
 *
 * A model whose bytes it cannot obtain (the store cannot fetch them, or they do not match the registered sha256) is
 * declined with `hub.decline(requestId, reason)` before the deadline — no penalty, the hub reassigns the request —
 * and the worker backs off from that model until its registry epoch changes (the owner fixed or resumed it) or the
 * back-off period ends, declining its requests at once meanwhile.
 *
 * After the submission nothing more is required: NONE is final in the submitting transaction, and the verification
 * module (and the keepers) take OPTIMISTIC and COMMITTEE results from there. The worker still finalizes its own
 * results once their module window has passed, so it gets paid without waiting for anyone else; and it restores its
 * sortition weight with `Staking.refresh` once a jail is over.
 *
 * Crash safety: a job is written to the state file before its event is acknowledged, its status is persisted before
 * every transaction, and the on-chain status is read again right before every submission or decline, so a restart
 * never loses a job and never submits twice.
 */
import { ethers } from "ethers";

import { TxRevertedError } from "../chain/sender.js";
import { ModelFetchError, ModelHashMismatchError, ModelStoreError } from "../model/store.js";
import type { InferenceOutcome } from "../model/runtime.js";
import { Coalescer } from "./batcher.js";
import {
  execute,
  loadRequestContext,
  pruneFinished,
  refreshIfUnjailed,
  sendTolerant,
  type ModelRecord,
  type NodeDeps,
  type SendOutcome,
} from "./jobs.js";
import { NodeRunner, type FeedEvent, type RunnerOptions } from "./runner.js";

const STATUS_REQUESTED = 1n;
const STATUS_SUBMITTED = 2n;
const STATUS_DISPUTED = 3n;
const ROLE_WORKER = 1;
/** Reverts that mean "someone already moved this request on": the job is over, not failed. */
const ALREADY_HANDLED = new Set(["HubInvalidStatus", "HubNotAssignedWorker", "HubDeadlinePassed"]);
/** Events by which `processBatch` settles a request (the request id is their first argument). */
const SETTLED_EVENTS: ReadonlySet<string> = new Set([
  "RequestFinalized",
  "RequestRejected",
  "RequestRefunded",
  "RequestExpired",
]);

/** Decline reasons (bytes32 codes in `WorkerDeclined`). */
export const DECLINE_HASH_MISMATCH = ethers.encodeBytes32String("hash-mismatch");
export const DECLINE_MODEL_UNAVAILABLE = ethers.encodeBytes32String("model-unavailable");

export type WorkerJobStatus =
  "assigned" | "submitting" | "submitted" | "finalized" | "declining" | "declined" | "skipped" | "failed";

export interface WorkerJob {
  requestId: string;
  status: WorkerJobStatus;
  /** Assignment attempt (a request may come back to this worker after others declined it). */
  attempt: string;
  deadline: string; // response deadline, then the module's window end (unix seconds)
  txHash?: string;
  /** Model fetch attempts in this assignment. */
  attempts: number;
  /** Decline reason (bytes32), persisted before the decline is sent. */
  declineReason?: string;
  /** Chain time before which a submitted job's verdict is not asked for again. */
  nextCheck?: string;
  /** Chain time at which the job reached a final status (finished jobs are pruned some time after). */
  doneAt?: string;
  note?: string;
}

/** A model this worker could not obtain: its requests are declined at once until `until` or a new epoch. */
export interface ModelBackoff {
  epoch: string;
  until: string;
  reason: string;
  detail: string;
}

export interface WorkerState {
  jobs: Record<string, WorkerJob>;
  /** Keyed by model id. */
  backoff?: Record<string, ModelBackoff>;
}

/**
 * Replaces the output before submission. Demo and tests only (a deliberately dishonest worker, to show it slashed):
 * production wiring injects none. Returns null to submit the honest output.
 */
export type OutputTamperer = (requestId: bigint, outcome: InferenceOutcome, model: ModelRecord) => Uint8Array | null;

export interface WorkerDeps extends NodeDeps<WorkerState> {
  tamper?: OutputTamperer;
  /** Fetch attempts of a model that fails with a retryable error before the job is declined. Default 3. */
  fetchAttempts?: number;
  /** Seconds before the response deadline at which an unobtainable model is declined regardless. Default 20. */
  declineMarginSeconds?: number;
  /** Seconds a model that could not be obtained is declined at once (unless its epoch changes). Default 3,600. */
  modelBackoffSeconds?: number;
  /** Seconds of chain time between two checks of the operator's jail. Default 60. */
  jailCheckSeconds?: number;
  /** Seconds of chain time finished jobs stay in the state file. Default 86,400. */
  retainFinishedSeconds?: number;
  /**
   * Milliseconds a ready result (or finalization) waits for others to share its transaction
   * (`submitResultBatch`, `processBatch`). Default 200; 0 still batches what is ready at the same moment.
   */
  batchWindowMs?: number;
  /** Most results or finalizations in one transaction (at most the hub's MAX_BATCH, 50). Default 20. */
  maxBatch?: number;
  /**
   * OPG wei to stake from the wallet whenever the free stake cannot cover the collateral of the cheapest job (the
   * hub then skips this worker). Unset: the node only says so in the log and gets no new work until stake is added.
   */
  topUp?: bigint;
  /** Seconds of chain time between two checks of the free stake against job collateral. Default 60. */
  stakeCheckSeconds?: number;
}

/** Most models whose collateral the stake check reads (the cheapest decides). */
const STAKE_CHECK_MODELS = 256n;

/** One result waiting for its transaction. */
interface Submission {
  requestId: bigint;
  output: Uint8Array;
  isError: boolean;
}

const FINISHED: ReadonlySet<WorkerJobStatus> = new Set(["finalized", "declined", "skipped", "failed"]);

export class WorkerNode extends NodeRunner {
  #state: WorkerState = { jobs: {} };
  readonly #me: string;
  #nextJailCheck = 0n;
  readonly #submissions: Coalescer<Submission, SendOutcome>;
  readonly #finalizations: Coalescer<bigint, ethers.TransactionReceipt>;

  constructor(
    private readonly deps: WorkerDeps,
    options: RunnerOptions,
  ) {
    super(deps.feed, deps.logger, options);
    this.#me = deps.address.toLowerCase();
    const batching = { maxItems: Math.min(deps.maxBatch ?? 20, 50), windowMs: deps.batchWindowMs ?? 200 };
    this.#submissions = new Coalescer((items) => this.#submitMany(items), batching);
    this.#finalizations = new Coalescer((ids) => this.#finalizeMany(ids), batching);
  }

  get jobs(): Readonly<Record<string, WorkerJob>> {
    return this.#state.jobs;
  }

  get backoff(): Readonly<Record<string, ModelBackoff>> {
    return this.#state.backoff ?? {};
  }

  protected async restore(): Promise<void> {
    this.#state = await this.deps.stateFile.load();
    this.#state.backoff ??= {};
    const open = Object.values(this.#state.jobs).filter((j) =>
      ["assigned", "submitting", "submitted", "declining"].includes(j.status),
    );
    if (open.length > 0) this.logger.info("worker.resumed", { openJobs: open.length });
  }

  protected async persist(): Promise<void> {
    await this.deps.stateFile.save(this.#state);
  }

  protected async handle(events: FeedEvent[]): Promise<void> {
    let changed = false;
    for (const event of events) {
      if (event.name !== "WorkerAssigned") continue;
      if (String(event.args["worker"]).toLowerCase() !== this.#me) continue;
      const requestId = String(event.args["requestId"]);
      const attempt = String(event.args["attempt"]);
      const existing = this.#state.jobs[requestId];
      if (existing !== undefined && BigInt(existing.attempt ?? "0") >= BigInt(attempt)) continue; // redelivery
      this.#state.jobs[requestId] = {
        requestId,
        status: "assigned",
        attempt,
        deadline: String(event.args["deadline"]),
        attempts: 0,
      };
      changed = true;
      this.logger.info("job.assigned", {
        requestId,
        attempt,
        deadline: String(event.args["deadline"]),
        tx: event.txHash,
      });
    }
    if (changed) await this.persist();
  }

  protected async ready(): Promise<string[]> {
    const now = await this.deps.chainTime();
    await this.#maybeRefresh(now);
    await this.#maybeCheckStake(now);
    await this.#maybePrune(now);
    return Object.values(this.#state.jobs)
      .filter(
        (j) =>
          (j.status === "assigned" && BigInt(j.nextCheck ?? "0") <= now) ||
          j.status === "submitting" ||
          j.status === "declining" ||
          (j.status === "submitted" && BigInt(j.deadline) < now && BigInt(j.nextCheck ?? "0") <= now),
      )
      .sort((a, b) => Number(BigInt(a.requestId) - BigInt(b.requestId)))
      .map((j) => j.requestId);
  }

  protected async runJob(key: string): Promise<void> {
    const job = this.#state.jobs[key];
    if (job === undefined) return;
    if (job.status === "submitted") return this.#finalize(job);
    if (job.status === "declining") return this.#decline(job);
    return this.#serve(job);
  }

  async #serve(job: WorkerJob): Promise<void> {
    const { hub, registry } = this.deps;
    const requestId = BigInt(job.requestId);
    const log = this.logger.child(`request-${job.requestId}`);
    // Idempotency: the chain decides whether there is still anything to do.
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_REQUESTED || request.worker.toLowerCase() !== this.#me) {
      return this.#afterTheFact(job, request.status, request.worker);
    }
    const now = await this.deps.chainTime();
    if (now > request.deadline) return this.#settle(job, "skipped", "response deadline passed before the result");

    const model = await registry.getModel(request.modelId);
    const backoff = this.#state.backoff?.[String(request.modelId)];
    if (backoff !== undefined && BigInt(backoff.epoch) === BigInt(model.epoch) && now < BigInt(backoff.until)) {
      log.info("model.backoff", { modelId: request.modelId, reason: ethers.decodeBytes32String(backoff.reason) });
      return this.#startDecline(job, backoff.reason, `backing off: ${backoff.detail}`);
    }

    job.attempts += 1;
    const started = performance.now();
    const context = await loadRequestContext(hub, registry, requestId, this.deps.ipfsGateway);
    if (context.input === null && context.inputRetryable) {
      // An input source that is down may be back before the deadline: an INPUT_FETCH posted now would lose its
      // dispute against verifiers that fetch it later. Retry with backoff; post INPUT_FETCH only at the last chance.
      const lastChance = request.deadline - BigInt(this.deps.declineMarginSeconds ?? 20);
      if (now < lastChance) {
        const retryAt = now + 5n * 2n ** BigInt(Math.min(job.attempts - 1, 6));
        job.nextCheck = String(retryAt < lastChance ? retryAt : lastChance);
        log.warn("input.fetch_retry", { attempt: job.attempts, retryAt: job.nextCheck, error: context.inputProblem });
        await this.persist();
        return;
      }
    }
    let outcome: InferenceOutcome;
    try {
      outcome = await execute(context, this.deps, await this.#limits());
    } catch (error) {
      if (!(error instanceof ModelStoreError)) throw error; // an RPC hiccup, a full disk: the runner retries the job
      const retryable = error instanceof ModelFetchError && error.retryable;
      const lastChance = request.deadline - BigInt(this.deps.declineMarginSeconds ?? 20);
      if (retryable && job.attempts < (this.deps.fetchAttempts ?? 3) && now < lastChance) {
        // Stays "assigned": tried again after 5, 10, 20 ... seconds of chain time, and no later than the last
        // moment a decline still reaches the chain before the deadline.
        const retryAt = now + 5n * 2n ** BigInt(job.attempts - 1);
        job.nextCheck = String(retryAt < lastChance ? retryAt : lastChance);
        log.warn("model.fetch_retry", { attempt: job.attempts, retryAt: job.nextCheck, error: error.message });
        await this.persist();
        return;
      }
      const reason = error instanceof ModelHashMismatchError ? DECLINE_HASH_MISMATCH : DECLINE_MODEL_UNAVAILABLE;
      log.error(error instanceof ModelHashMismatchError ? "model.hash_mismatch" : "model.unavailable", {
        modelId: request.modelId,
        error: error.message,
      });
      this.#state.backoff![String(request.modelId)] = {
        epoch: String(model.epoch),
        until: String(now + BigInt(this.deps.modelBackoffSeconds ?? 3_600)),
        reason,
        detail: error.message,
      };
      return this.#startDecline(job, reason, error.message);
    }
    let output = outcome.output;
    const tampered = this.deps.tamper?.(requestId, outcome, context.model) ?? null;
    if (tampered !== null) output = tampered;
    const computeMs = performance.now() - started;

    job.status = "submitting";
    await this.persist();
    const again = await hub.getRequest(requestId); // a previous run may have submitted before a crash
    if (again.status !== STATUS_REQUESTED || again.worker.toLowerCase() !== this.#me) {
      return this.#afterTheFact(job, again.status, again.worker);
    }
    const sent = await this.#submissions.add({ requestId, output, isError: outcome.kind === "error" });
    if (!sent.sent) return this.#settle(job, "skipped", `submit reverted with ${sent.errorName}: already handled`);
    const receipt = sent.receipt;
    job.txHash = receipt.hash;
    // The receipt says when the module's window ends and whether the request is final already (NONE). A batch
    // receipt holds the events of every request in it: pick this one's.
    const events = receipt.logs
      .map((l) => safeParse(hub.interface, l))
      .filter((e): e is ethers.LogDescription => e !== null && BigInt(e.args[0] as bigint) === requestId);
    const submitted = events.find((e) => e.name === "ResultSubmitted");
    if (submitted !== undefined) job.deadline = String(submitted.args.deadline);
    const final = events.some((e) => e.name === "RequestFinalized");
    log.info("job.submitted", {
      requestId: job.requestId,
      kind: outcome.kind,
      errorCode: outcome.kind === "error" ? outcome.code : undefined,
      tampered: tampered !== null || undefined,
      computeMs: Math.round(computeMs * 100) / 100,
      gasUsed: receipt.gasUsed,
      tx: receipt.hash,
    });
    return this.#settle(job, final ? "finalized" : "submitted");
  }

  /** The request is no longer ours to serve: work out what happened (a crash may have hidden our own action). */
  async #afterTheFact(job: WorkerJob, status: bigint, worker: string): Promise<void> {
    if (worker.toLowerCase() === this.#me && status !== STATUS_REQUESTED) {
      // A result of ours was posted (by a run that crashed before recording it).
      const posted = await this.#postedByMe(BigInt(job.requestId));
      if (posted !== null) {
        job.deadline = posted.deadline;
        return this.#settle(job, status === STATUS_SUBMITTED || status === STATUS_DISPUTED ? "submitted" : "finalized");
      }
    }
    if (job.declineReason !== undefined && (await this.#declinedByMe(BigInt(job.requestId)))) {
      return this.#settle(job, "declined", "decline found on-chain");
    }
    return this.#settle(job, "skipped", "already handled on-chain");
  }

  /** Records the decline reason before sending it, so a restart finishes the same decline. */
  async #startDecline(job: WorkerJob, reason: string, detail: string): Promise<void> {
    job.status = "declining";
    job.declineReason = reason;
    job.note = detail;
    await this.persist();
    return this.#decline(job);
  }

  async #decline(job: WorkerJob): Promise<void> {
    const { hub } = this.deps;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_REQUESTED || request.worker.toLowerCase() !== this.#me) {
      return this.#afterTheFact(job, request.status, request.worker);
    }
    const reason = job.declineReason ?? DECLINE_MODEL_UNAVAILABLE;
    const sent = await sendTolerant(
      this.deps.sender,
      this.logger,
      `decline #${requestId}`,
      () => hub.decline.populateTransaction(requestId, reason),
      ALREADY_HANDLED,
      { requestId: job.requestId },
    );
    if (!sent.sent) return this.#afterTheFact(job, (await hub.getRequest(requestId)).status, request.worker);
    job.txHash = sent.receipt.hash;
    this.logger.info("job.declined", { requestId: job.requestId, reason: ethers.decodeBytes32String(reason) });
    return this.#settle(job, "declined", job.note);
  }

  /**
   * Finalizes this worker's own result once the module's window has passed (anyone may; the worker is the one
   * paid). While the module has no verdict (a dispute is running) it asks again later.
   */
  async #finalize(job: WorkerJob): Promise<void> {
    const { hub } = this.deps;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_SUBMITTED && request.status !== STATUS_DISPUTED) {
      return this.#settle(job, "finalized", "settled on-chain");
    }
    const now = await this.deps.chainTime();
    if (request.status === STATUS_DISPUTED || now <= request.deadline) return this.#later(job, now);
    // processBatch settles what is final and skips the rest, so a batch never fails for one request's sake.
    const receipt = await this.#finalizations.add(requestId);
    const settled = receipt.logs
      .map((l) => safeParse(hub.interface, l))
      .some((e) => e !== null && SETTLED_EVENTS.has(e.name) && BigInt(e.args[0] as bigint) === requestId);
    if (settled) {
      this.logger.info("job.finalized", { requestId: job.requestId, tx: receipt.hash });
      return this.#settle(job, "finalized");
    }
    const after = await hub.getRequest(requestId);
    if (after.status !== STATUS_SUBMITTED && after.status !== STATUS_DISPUTED) {
      return this.#settle(job, "finalized", "settled by someone else");
    }
    return this.#later(job, now); // the module is still deciding
  }

  /** Sends waiting results: one transaction for all of them, or one each if the batch would revert. */
  async #submitMany(items: readonly Submission[]): Promise<SendOutcome[]> {
    const { hub, sender } = this.deps;
    if (items.length > 1) {
      const ids = items.map((i) => i.requestId);
      try {
        const receipt = await sender.send(
          () =>
            hub.submitResultBatch.populateTransaction(
              ids,
              items.map((i) => i.output),
              items.map((i) => i.isError),
            ),
          `submitResultBatch #${ids.join(",#")}`,
        );
        this.logger.info("tx.mined", {
          action: "submitResultBatch",
          requests: ids.join(","),
          tx: receipt.hash,
          gasUsed: receipt.gasUsed,
        });
        return items.map(() => ({ sent: true, receipt }));
      } catch (error) {
        if (!(error instanceof TxRevertedError)) throw error;
        // One of them moved on meanwhile (deadline, reassignment): the batch is all or nothing, so send each.
        this.logger.info("batch.split", { requests: ids.join(","), error: error.errorName });
      }
    }
    const outcomes: SendOutcome[] = [];
    for (const item of items) {
      outcomes.push(
        await sendTolerant(
          sender,
          this.logger,
          `submitResult #${item.requestId}`,
          () => hub.submitResult.populateTransaction(item.requestId, item.output, item.isError),
          ALREADY_HANDLED,
          { requestId: String(item.requestId) },
        ),
      );
    }
    return outcomes;
  }

  /** Finalizes waiting results in one `processBatch` (it skips any that is not final). */
  async #finalizeMany(ids: readonly bigint[]): Promise<ethers.TransactionReceipt[]> {
    const { hub, sender } = this.deps;
    const receipt = await sender.send(
      () => hub.processBatch.populateTransaction([...ids]),
      `processBatch #${ids.join(",#")}`,
    );
    this.logger.info("tx.mined", {
      action: "processBatch",
      requests: ids.join(","),
      tx: receipt.hash,
      gasUsed: receipt.gasUsed,
    });
    return ids.map(() => receipt);
  }

  async #later(job: WorkerJob, now: bigint): Promise<void> {
    job.nextCheck = String(now + 30n);
    await this.persist();
  }

  async #postedByMe(requestId: bigint): Promise<{ deadline: string } | null> {
    const { hub } = this.deps;
    const events = await hub.queryFilter(hub.filters.ResultSubmitted(requestId, this.deps.address));
    const last = events.at(-1);
    return last === undefined ? null : { deadline: String(last.args.deadline) };
  }

  async #declinedByMe(requestId: bigint): Promise<boolean> {
    const { hub } = this.deps;
    return (await hub.queryFilter(hub.filters.WorkerDeclined(requestId, this.deps.address))).length > 0;
  }

  #nextPrune = 0n;

  async #maybePrune(now: bigint): Promise<void> {
    if (now < this.#nextPrune) return;
    this.#nextPrune = now + 600n;
    const retain = BigInt(this.deps.retainFinishedSeconds ?? 86_400);
    const dropped = pruneFinished(this.#state.jobs, (j) => FINISHED.has(j.status), now, retain);
    if (dropped > 0) {
      await this.persist();
      this.logger.info("jobs.pruned", { dropped });
    }
  }

  async #maybeRefresh(now: bigint): Promise<void> {
    if (now < this.#nextJailCheck) return;
    this.#nextJailCheck = now + BigInt(this.deps.jailCheckSeconds ?? 60);
    try {
      await refreshIfUnjailed(
        this.deps.contracts.staking,
        this.deps.sender,
        this.logger,
        this.deps.address,
        ROLE_WORKER,
        now,
      );
    } catch (error) {
      this.#nextJailCheck = 0n; // try again next round
      this.logger.warn("operator.refresh_failed", { error: (error as Error).message });
    }
  }

  #nextStakeCheck = 0n;
  /** The last stake state logged (a warning is logged once per change, not every check). */
  #stakeCovered: boolean | null = null;

  /** Free stake and the collateral of the cheapest job any active model would lock now (null: no active model). */
  async stakeStatus(): Promise<{ freeStake: bigint; needed: bigint | null }> {
    const { hub, registry } = this.deps;
    const freeStake = await this.deps.contracts.staking.freeStake(this.deps.address);
    const ratio = BigInt((await hub.params()).stakeToFeeRatio);
    const count = await registry.modelCount();
    let needed: bigint | null = null;
    for (let id = count; id >= 1n && id > count - STAKE_CHECK_MODELS; id--) {
      const model = await registry.getModel(id);
      if (!model.active || model.suspended) continue;
      const [modelFee, protocolFee] = await hub.quote(id);
      const collateral = (modelFee + protocolFee) * ratio;
      if (needed === null || collateral < needed) needed = collateral;
    }
    return { freeStake, needed };
  }

  /**
   * The hub skips a worker whose free stake cannot cover a job's collateral. Says so once per change of state
   * (`stake.insufficient` / `stake.sufficient`), and stakes `topUp` more from the wallet when configured and the
   * wallet holds it.
   */
  async #maybeCheckStake(now: bigint): Promise<void> {
    if (now < this.#nextStakeCheck) return;
    this.#nextStakeCheck = now + BigInt(this.deps.stakeCheckSeconds ?? 60);
    try {
      const { freeStake, needed } = await this.stakeStatus();
      if (needed === null) return;
      let covered = freeStake >= needed;
      if (!covered && this.deps.topUp !== undefined && this.deps.topUp > 0n) {
        covered = await this.#topUpStake(freeStake, needed, this.deps.topUp);
      }
      if (covered === this.#stakeCovered) return;
      const first = this.#stakeCovered === null;
      this.#stakeCovered = covered;
      if (!covered) {
        this.logger.warn("stake.insufficient", {
          freeStake,
          needed,
          action:
            this.deps.topUp === undefined
              ? "no new work until stake is added (stake more, or run with --top-up <OPG>)"
              : "no new work: the wallet cannot pay the top-up",
        });
      } else if (!first) this.logger.info("stake.sufficient", { freeStake, needed });
    } catch (error) {
      this.#nextStakeCheck = 0n; // try again next round
      this.logger.warn("stake.check_failed", { error: (error as Error).message });
    }
  }

  /** Stakes `amount` from the wallet if it holds it. @returns whether the free stake now covers `needed`. */
  async #topUpStake(freeStake: bigint, needed: bigint, amount: bigint): Promise<boolean> {
    const { staking } = this.deps.contracts;
    const erc20 = new ethers.Contract(
      this.deps.contracts.token,
      ["function approve(address,uint256) returns (bool)", "function balanceOf(address) view returns (uint256)"],
      staking.runner,
    );
    const wallet = (await erc20.getFunction("balanceOf").staticCall(this.deps.address)) as bigint;
    if (wallet < amount) {
      this.logger.warn("stake.top_up_unaffordable", { freeStake, needed, topUp: amount, wallet });
      return false;
    }
    const roles = Number((await staking.getOperator(this.deps.address)).roles) | ROLE_WORKER;
    const spender = await staking.getAddress();
    await this.deps.sender.send(
      () => erc20.getFunction("approve").populateTransaction(spender, amount),
      "approve stake",
    );
    await this.deps.sender.send(() => staking.stake.populateTransaction(amount, roles), "stake top-up");
    const after = await staking.freeStake(this.deps.address);
    this.logger.info("stake.topped_up", { freeStake: after, needed, topUp: amount, wallet: wallet - amount });
    return after >= needed;
  }

  #maxOutputBytes: bigint | null = null;

  /** The hub's output size cap (read once; a governance change takes effect on restart). */
  async #limits(): Promise<{ maxOutputBytes: bigint }> {
    this.#maxOutputBytes ??= (await this.deps.hub.params()).maxOutputBytes;
    return { maxOutputBytes: this.#maxOutputBytes };
  }

  async #settle(job: WorkerJob, status: WorkerJobStatus, note?: string): Promise<void> {
    const doneAt = FINISHED.has(status) ? String(await this.deps.chainTime()) : undefined;
    job.status = status;
    if (note !== undefined) job.note = note;
    if (doneAt !== undefined) job.doneAt = doneAt;
    await this.persist();
    if (status === "skipped" || status === "failed") {
      this.logger[status === "failed" ? "error" : "info"]("job." + status, { requestId: job.requestId, note });
    }
  }
}

function safeParse(iface: ethers.Interface, log: ethers.Log) {
  try {
    return iface.parseLog(log);
  } catch {
    return null;
  }
}
