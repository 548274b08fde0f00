/**
 * Verifier node. Re-executes results and acts on what it finds:
 * - drawn into a COMMITTEE: attests agreement or disagreement (disagreement opens a dispute with its bond);
 * - OPTIMISTIC results: re-checks a configurable sample and challenges those outside the model's tolerance;
 * - drawn as a juror: commits its vote with a fresh random salt (persisted before the commit is sent), reveals once
 *   the commit phase is over, and resolves the dispute after the reveal phase (it is paid only once resolved).
 * Comparison is element-wise within the model's tolerance, never by hash alone.
 */
import { randomBytes } from "node:crypto";

import { ethers } from "ethers";

import { TxRevertedError } from "../chain/sender.js";
import { compareOutputs } from "../model/tolerance.js";
import { execute, loadPostedResult, loadRequestContext, type NodeDeps } from "./jobs.js";
import { NodeRunner, type FeedEvent, type RunnerOptions } from "./runner.js";

const STATUS_SUBMITTED = 2n;
const STATUS_DISPUTED = 3n;
const MODE_OPTIMISTIC = 1n;
const ALREADY_HANDLED = new Set(["HubInvalidStatus", "HubAlreadyActed", "HubDeadlinePassed", "HubNotCommitted"]);

export type VerifierJobKind = "attest" | "check" | "vote";
export type VerifierStage = "pending" | "committed" | "revealed" | "done";

export interface VerifierJob {
  key: string;
  kind: VerifierJobKind;
  requestId: string;
  stage: VerifierStage;
  /** Dispute votes: what we voted and the salt, persisted before the commit is sent. */
  vote?: boolean;
  salt?: string;
  commitDeadline?: string;
  revealDeadline?: string;
  note?: string;
}

export interface VerifierState {
  jobs: Record<string, VerifierJob>;
}

export interface VerifierDeps extends NodeDeps<VerifierState> {
  /** Fraction of OPTIMISTIC results re-checked (0..1). */
  sampleRate: number;
}

export class VerifierNode extends NodeRunner {
  #state: VerifierState = { jobs: {} };
  readonly #me: string;

  constructor(
    private readonly deps: VerifierDeps,
    options: RunnerOptions,
  ) {
    super(deps.feed, deps.logger, options);
    this.#me = deps.address.toLowerCase();
  }

  get jobs(): Readonly<Record<string, VerifierJob>> {
    return this.#state.jobs;
  }

  protected async restore(): Promise<void> {
    this.#state = await this.deps.stateFile.load();
  }

  protected async persist(): Promise<void> {
    await this.deps.stateFile.save(this.#state);
  }

  protected async handle(events: FeedEvent[]): Promise<void> {
    let changed = false;
    for (const event of events) {
      const requestId = String(event.args["requestId"]);
      let job: VerifierJob | null = null;
      if (event.name === "CommitteeDrawn" && this.#includesMe(event.args["members"])) {
        job = { key: `attest:${requestId}`, kind: "attest", requestId, stage: "pending" };
      } else if (event.name === "ResultSubmitted" && String(event.args["worker"]).toLowerCase() !== this.#me) {
        if (this.#sampled(BigInt(requestId))) {
          job = { key: `check:${requestId}`, kind: "check", requestId, stage: "pending" };
        }
      } else if (event.name === "DisputeOpened" && this.#includesMe(event.args["jurors"])) {
        job = {
          key: `vote:${requestId}`,
          kind: "vote",
          requestId,
          stage: "pending",
          commitDeadline: String(event.args["commitDeadline"]),
          revealDeadline: String(event.args["revealDeadline"]),
        };
      }
      if (job !== null && this.#state.jobs[job.key] === undefined) {
        this.#state.jobs[job.key] = job;
        changed = true;
        this.logger.info("job.queued", { job: job.key, tx: event.txHash });
      }
    }
    if (changed) await this.persist();
  }

  /** Dispute votes first (their phases are short), then attestations, then sampled re-checks; oldest first. */
  protected async ready(): Promise<string[]> {
    const now = await this.deps.chainTime();
    const priority: Record<VerifierJobKind, number> = { vote: 0, attest: 1, check: 2 };
    return Object.values(this.#state.jobs)
      .filter((j) => {
        if (j.stage === "pending") return true;
        if (j.stage === "committed") return true; // reveal checks its own phase
        if (j.stage === "revealed") return now > BigInt(j.revealDeadline ?? "0");
        return false;
      })
      .sort((a, b) => priority[a.kind] - priority[b.kind] || Number(BigInt(a.requestId) - BigInt(b.requestId)))
      .map((j) => j.key);
  }

  protected async runJob(key: string): Promise<void> {
    const job = this.#state.jobs[key];
    if (job === undefined) return;
    if (job.kind === "vote") return this.#vote(job);
    return this.#verify(job);
  }

  /** Attest (COMMITTEE) or sample-check (OPTIMISTIC). */
  async #verify(job: VerifierJob): Promise<void> {
    const { hub } = this.deps;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_SUBMITTED) return this.#done(job, "no longer open");
    if ((await this.deps.chainTime()) > request.deadline) return this.#done(job, "window closed");
    if (job.kind === "check" && request.mode !== MODE_OPTIMISTIC) return this.#done(job, "not OPTIMISTIC");
    if (job.kind === "check" && request.requester.toLowerCase() === this.#me) return this.#done(job, "own request");

    const verdict = await this.#recompute(requestId);
    this.logger.info("job.verified", { job: job.key, agree: verdict.agree, reason: verdict.reason });
    if (job.kind === "check" && verdict.agree) return this.#done(job, "result within tolerance");
    if (!verdict.agree) await this.#ensureBond();
    const label = job.kind === "attest" ? `attest #${requestId}` : `challenge #${requestId}`;
    await this.#send(job, label, () =>
      job.kind === "attest"
        ? hub.attest.populateTransaction(requestId, verdict.agree)
        : hub.challenge.populateTransaction(requestId),
    );
    return this.#done(job, verdict.agree ? "attested agreement" : "disputed");
  }

  /** Dispute juror: commit, then reveal, then resolve. */
  async #vote(job: VerifierJob): Promise<void> {
    const { hub } = this.deps;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_DISPUTED) return this.#done(job, "dispute settled");
    const now = await this.deps.chainTime();
    const dispute = await hub.getDispute(requestId);

    if (job.stage === "pending") {
      if (now > dispute.commitDeadline) return this.#done(job, "commit phase missed");
      const verdict = await this.#recompute(requestId);
      job.vote = verdict.agree; // uphold the worker iff its result is within tolerance
      job.salt = job.salt ?? ethers.hexlify(randomBytes(32));
      await this.persist(); // the salt must survive a crash, or the vote cannot be revealed
      const commitment = await hub.voteCommitment(requestId, this.deps.address, job.vote, job.salt);
      await this.#send(job, `commitVote #${requestId}`, () =>
        hub.commitVote.populateTransaction(requestId, commitment),
      );
      // "Already handled" may mean our own earlier commit (fine) or a closed phase (not committed): ask the chain.
      if (!(await hub.ballotOf(requestId, this.deps.address)).acted) return this.#done(job, "commit not accepted");
      job.stage = "committed";
      await this.persist();
      this.logger.info("vote.committed", { requestId: job.requestId, upholdWorker: job.vote });
      return;
    }
    if (job.stage === "committed") {
      const phaseOver = now > dispute.commitDeadline || dispute.commits >= dispute.jurorCount;
      if (!phaseOver) return;
      if (now > dispute.revealDeadline) return this.#done(job, "reveal phase missed");
      await this.#send(job, `revealVote #${requestId}`, () =>
        hub.revealVote.populateTransaction(requestId, job.vote ?? false, job.salt ?? ethers.ZeroHash),
      );
      if (!(await hub.ballotOf(requestId, this.deps.address)).revealed) return this.#done(job, "reveal not accepted");
      job.stage = "revealed";
      await this.persist();
      this.logger.info("vote.revealed", { requestId: job.requestId, upholdWorker: job.vote });
      return;
    }
    // revealed: resolve once the reveal phase is over (the keeper duty; anyone may).
    await this.#send(job, `resolveDispute #${requestId}`, () => hub.resolveDispute.populateTransaction(requestId));
    return this.#done(job, "resolved");
  }

  async #recompute(requestId: bigint): Promise<{ agree: boolean; reason: string }> {
    const context = await loadRequestContext(this.deps.hub, this.deps.registry, requestId, this.deps.ipfsGateway);
    const [mine, posted] = await Promise.all([
      execute(context, this.deps.store, this.deps.runtime, await this.#limits()),
      loadPostedResult(this.deps.hub, requestId),
    ]);
    const comparison = compareOutputs(mine.output, posted.output, context.model.tolerance);
    return { agree: comparison.agree, reason: comparison.reason };
  }

  /** A disagreement posts the challenge bond from the hub balance: top it up from the wallet if needed. */
  async #ensureBond(): Promise<void> {
    const { hub } = this.deps;
    const bond = (await hub.params()).challengeBond;
    const balance = await hub.balanceOf(this.deps.address);
    if (balance >= bond) return;
    this.logger.warn("bond.low", { balance, bond, action: "depositing the difference from the wallet" });
    const token = await hub.token();
    const erc20 = new ethers.Contract(token, ["function approve(address,uint256) returns (bool)"], hub.runner);
    const missing = bond - balance;
    await this.deps.sender.send(
      () => erc20.getFunction("approve").populateTransaction(hub.target, missing),
      "approve bond",
    );
    await this.deps.sender.send(() => hub.deposit.populateTransaction(missing), "deposit bond");
  }

  async #send(job: VerifierJob, label: string, populate: () => Promise<ethers.ContractTransaction>): Promise<void> {
    try {
      const receipt = await this.deps.sender.send(populate, label);
      this.logger.info("tx.mined", { job: job.key, action: label, tx: receipt.hash, gasUsed: receipt.gasUsed });
    } catch (error) {
      if (error instanceof TxRevertedError && ALREADY_HANDLED.has(error.errorName ?? "")) {
        this.logger.info("tx.already_handled", { job: job.key, action: label, error: error.errorName });
        return;
      }
      throw error;
    }
  }

  #includesMe(list: unknown): boolean {
    return Array.isArray(list) && list.some((a) => String(a).toLowerCase() === this.#me);
  }

  #sampled(requestId: bigint): boolean {
    const rate = this.deps.sampleRate;
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    // Unpredictable to the worker (depends on this verifier's address), stable across restarts.
    const digest = ethers.keccak256(ethers.solidityPacked(["address", "uint256"], [this.deps.address, requestId]));
    return Number(BigInt(digest) % 10_000n) / 10_000 < rate;
  }

  #maxOutputBytes: bigint | null = null;

  /** The hub's output size cap (read once; a governance change takes effect on restart). */
  async #limits(): Promise<{ maxOutputBytes: bigint }> {
    this.#maxOutputBytes ??= (await this.deps.hub.params()).maxOutputBytes;
    return { maxOutputBytes: this.#maxOutputBytes };
  }

  async #done(job: VerifierJob, note: string): Promise<void> {
    job.stage = "done";
    job.note = note;
    await this.persist();
    this.logger.info("job.done", { job: job.key, note });
  }
}
