/**
 * Worker node: serves the requests the hub assigns to this operator. For each `WorkerAssigned` event naming it, it
 * checks the request on-chain, fetches and verifies the model, runs it, and posts the canonical output (or a
 * canonical error result for input the model cannot take). It also finalizes its own results once their window
 * has passed, so it gets paid without waiting for anyone else.
 *
 * Crash safety: a job is written to the state file before its event is acknowledged, and the on-chain status is
 * read again right before every submission, so a restart never loses a job and never submits twice.
 */
import { TxRevertedError } from "../chain/sender.js";
import { ModelFetchError, ModelHashMismatchError } from "../model/store.js";
import { perturbOutput } from "../model/tolerance.js";
import { execute, loadRequestContext, type NodeDeps } from "./jobs.js";
import { NodeRunner, type FeedEvent, type RunnerOptions } from "./runner.js";

const STATUS_REQUESTED = 1n;
const STATUS_SUBMITTED = 2n;
const STATUS_FINALIZED = 4n;
/** Reverts that mean "someone already moved this request on": the job is done, not failed. */
const ALREADY_HANDLED = new Set(["HubInvalidStatus", "HubNotAssignedWorker", "HubDeadlinePassed"]);

export type WorkerJobStatus = "assigned" | "submitting" | "submitted" | "finalized" | "skipped" | "failed";

export interface WorkerJob {
  requestId: string;
  status: WorkerJobStatus;
  deadline: string; // response deadline, then finalization time (unix seconds)
  txHash?: string;
  attempts: number;
  note?: string;
}

export interface WorkerState {
  jobs: Record<string, WorkerJob>;
}

export interface WorkerDeps extends NodeDeps<WorkerState> {
  /** Demo and tests only: post a wrong output for this fraction of jobs (decided per request id). */
  cheatRate?: number;
  /** How many times a job whose model cannot be fetched is retried before it is left to time out. */
  maxAttempts?: number;
}

export class WorkerNode extends NodeRunner {
  #state: WorkerState = { jobs: {} };
  readonly #me: string;

  constructor(
    private readonly deps: WorkerDeps,
    options: RunnerOptions,
  ) {
    super(deps.feed, deps.logger, options);
    this.#me = deps.address.toLowerCase();
  }

  get jobs(): Readonly<Record<string, WorkerJob>> {
    return this.#state.jobs;
  }

  protected async restore(): Promise<void> {
    this.#state = await this.deps.stateFile.load();
    const open = Object.values(this.#state.jobs).filter((j) =>
      ["assigned", "submitting", "submitted"].includes(j.status),
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
      const existing = this.#state.jobs[requestId];
      if (existing !== undefined && existing.status !== "skipped") continue; // duplicate delivery
      this.#state.jobs[requestId] = {
        requestId,
        status: "assigned",
        deadline: String(event.args["deadline"]),
        attempts: 0,
      };
      changed = true;
      this.logger.info("job.assigned", { requestId, deadline: String(event.args["deadline"]), tx: event.txHash });
    }
    if (changed) await this.persist();
  }

  protected async ready(): Promise<string[]> {
    const now = await this.deps.chainTime();
    return Object.values(this.#state.jobs)
      .filter(
        (j) =>
          j.status === "assigned" ||
          j.status === "submitting" ||
          (j.status === "submitted" && BigInt(j.deadline) < now),
      )
      .sort((a, b) => Number(BigInt(a.requestId) - BigInt(b.requestId)))
      .map((j) => j.requestId);
  }

  protected async runJob(key: string): Promise<void> {
    const job = this.#state.jobs[key];
    if (job === undefined) return;
    if (job.status === "submitted") return this.#finalize(job);
    return this.#serve(job);
  }

  async #serve(job: WorkerJob): Promise<void> {
    const { hub, registry } = this.deps;
    const requestId = BigInt(job.requestId);
    const log = this.logger.child(`request-${job.requestId}`);
    // Idempotency: the chain decides whether there is still anything to do.
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_REQUESTED || request.worker.toLowerCase() !== this.#me) {
      // After a crash between broadcast and bookkeeping, a NONE-mode result of ours is already Finalized.
      const ownFinal = request.status === STATUS_FINALIZED && request.worker.toLowerCase() === this.#me;
      return this.#settle(
        job,
        request.status === STATUS_SUBMITTED ? "submitted" : ownFinal ? "finalized" : "skipped",
        "already handled on-chain",
      );
    }
    const now = await this.deps.chainTime();
    if (now > request.deadline) return this.#settle(job, "skipped", "response deadline passed before the result");

    job.attempts += 1;
    const started = performance.now();
    const context = await loadRequestContext(hub, registry, requestId, this.deps.ipfsGateway);
    let outcome;
    try {
      outcome = await execute(context, this.deps.store, this.deps.runtime, await this.#limits());
    } catch (error) {
      if (error instanceof ModelFetchError && job.attempts < (this.deps.maxAttempts ?? 5)) {
        log.warn("model.fetch_retry", { attempt: job.attempts, error: error.message });
        return; // stays "assigned": retried next round, until the deadline
      }
      if (error instanceof ModelHashMismatchError) {
        log.error("model.hash_mismatch", { error: error.message });
        return this.#settle(job, "failed", error.message);
      }
      // Anything else (an RPC hiccup, a full disk) is not the model's fault: the runner retries the whole job.
      throw error;
    }
    let output = outcome.output;
    const cheat = this.#cheats(requestId) && outcome.kind === "ok";
    if (cheat) output = perturbOutput(output, context.model.tolerance * 1_000n + 1_000_000n);
    const computeMs = performance.now() - started;

    job.status = "submitting";
    await this.persist();
    const again = await hub.getRequest(requestId); // a previous run may have submitted before a crash
    if (again.status !== STATUS_REQUESTED) return this.#settle(job, "submitted", "found submitted on restart");
    try {
      const receipt = await this.deps.sender.send(
        () => hub.submitResult.populateTransaction(requestId, output, outcome.kind === "error"),
        `submitResult #${requestId}`,
      );
      job.txHash = receipt.hash;
      // The receipt already says when the window ends and whether the request finalized (NONE mode).
      const events = receipt.logs.map((l) => hub.interface.parseLog(l)).filter((e) => e !== null);
      const submitted = events.find((e) => e.name === "ResultSubmitted");
      if (submitted !== undefined) job.deadline = String(submitted.args.windowEnd);
      const final = events.some((e) => e.name === "RequestFinalized");
      log.info("job.submitted", {
        requestId: job.requestId,
        kind: outcome.kind,
        errorCode: outcome.kind === "error" ? outcome.code : undefined,
        cheated: cheat || undefined,
        computeMs: Math.round(computeMs * 100) / 100,
        gasUsed: receipt.gasUsed,
        tx: receipt.hash,
      });
      return this.#settle(job, final ? "finalized" : "submitted");
    } catch (error) {
      if (error instanceof TxRevertedError && ALREADY_HANDLED.has(error.errorName ?? "")) {
        return this.#settle(job, "skipped", `submit reverted with ${error.errorName}: already handled`);
      }
      throw error; // stays "submitting": the next round re-checks the chain and retries
    }
  }

  /** Finalizes this worker's own result once its window has passed (anyone may; the worker is the one paid). */
  async #finalize(job: WorkerJob): Promise<void> {
    const { hub } = this.deps;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_SUBMITTED) return this.#settle(job, "finalized", "settled on-chain");
    if ((await this.deps.chainTime()) <= request.deadline) return;
    try {
      const receipt = await this.deps.sender.send(
        () => hub.finalize.populateTransaction(requestId),
        `finalize #${requestId}`,
      );
      this.logger.info("job.finalized", { requestId: job.requestId, tx: receipt.hash, gasUsed: receipt.gasUsed });
      return this.#settle(job, "finalized");
    } catch (error) {
      if (error instanceof TxRevertedError && error.errorName === "HubInvalidStatus") {
        return this.#settle(job, "finalized", "settled by someone else");
      }
      throw error;
    }
  }

  #maxOutputBytes: bigint | null = null;

  /** The hub's output size cap (read once; a governance change takes effect on restart). */
  async #limits(): Promise<{ maxOutputBytes: bigint }> {
    this.#maxOutputBytes ??= (await this.deps.hub.params()).maxOutputBytes;
    return { maxOutputBytes: this.#maxOutputBytes };
  }

  #cheats(requestId: bigint): boolean {
    const rate = this.deps.cheatRate ?? 0;
    if (rate <= 0) return false;
    // Deterministic per request, so a restarted cheater makes the same choice.
    return Number((requestId * 2654435761n) % 1000n) / 1000 < rate;
  }

  async #settle(job: WorkerJob, status: WorkerJobStatus, note?: string): Promise<void> {
    job.status = status;
    if (note !== undefined) job.note = note;
    await this.persist();
    if (status === "skipped" || status === "failed") {
      this.logger[status === "failed" ? "error" : "info"]("job." + status, { requestId: job.requestId, note });
    }
  }
}
