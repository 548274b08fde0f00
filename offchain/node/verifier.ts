/**
 * Verifier node (v2). Re-executes results and acts on what it finds:
 * - OPTIMISTIC results: re-checks a configurable sample; a result outside the model's tolerance is challenged with
 *   `optimistic.challenge` (bond from the free balance in Settlement, topped up from the wallet when short). If a
 *   case is already open the same call joins it — unless that would leave too few verifiers to sit on the jury.
 * - COMMITTEE results: keeps the round moving (`drawCommittee` once the draw's block is known, `escalate` or
 *   `hub.finalize` once the reveals are over). When `CommitteeDrawn` includes it (possibly with several seats) it
 *   re-executes, commits `attestationCommitment(requestId, me, agree, salt)` and reveals once every seat committed
 *   or the commit window closed.
 * - Court: when `JuryDrawn` includes it, it re-executes and commits, then reveals, its vote. For the requests it
 *   touches it draws juries, resolves rounds and finalizes the request once the case is over.
 * Salts and votes are persisted before the commitment is sent, so a restart between commit and reveal still reveals.
 * Keeper steps race with other nodes: a step someone else already took is not an error. Comparison is element-wise
 * within the model's tolerance, never by hash alone.
 */
import { randomBytes } from "node:crypto";

import { ethers } from "ethers";

import {
  checkPosted,
  loadPostedResult,
  loadRequestContext,
  pruneFinished,
  refreshIfUnjailed,
  sendTolerant,
  type NodeDeps,
  type SendOutcome,
} from "./jobs.js";
import { performKeeperPlan, planKeeperStep, type KeeperPlan } from "./keeper.js";
import { NodeRunner, type FeedEvent, type RunnerOptions } from "./runner.js";

const STATUS_SUBMITTED = 2n;
const STATUS_DISPUTED = 3n;
const ROLE_VERIFIER = 2;
const PHASE_NONE = 0n;
const PHASE_DRAWING = 1n;
const PHASE_VOTING = 2n;
const PHASE_RESOLVED = 3n;

/** Reverts of this node's own duties that mean "not due yet" or "already done by someone else". */
const ATTEST_RACES = new Set(["CommitteeAlreadyActed", "CommitteeDeadlinePassed", "CommitteeCommitPhaseOpen"]);
const DRAW_JURY_RACES = new Set([
  "CourtWrongPhase",
  "CourtRandomnessPending",
  "CourtTooFewJurors",
  "CourtDeadlinePassed",
]);
const VOTE_RACES = new Set(["CourtAlreadyActed", "CourtDeadlinePassed", "CourtCommitPhaseOpen", "CourtWrongPhase"]);
const CHALLENGE_RACES = new Set([
  "OptimisticWindowClosed",
  "OptimisticNotSubmitted",
  "CourtWrongPhase",
  "CourtDeadlinePassed",
  "CourtAlreadyChallenger",
  "CourtPartyConflict",
  "CourtTooManyChallengers",
  "CourtDrawPending",
]);

/**
 * - `result`: a posted result; OPTIMISTIC: the sampled re-check (and challenge); COMMITTEE: the keeper of its round.
 * - `attest`: this node's seats on a committee. `case`: the court keeper. `vote`: this node's seats on a jury.
 */
export type VerifierJobKind = "result" | "attest" | "case" | "vote";
export type VerifierStage = "pending" | "keeping" | "committed" | "revealed" | "done";

export interface VerifierJob {
  key: string;
  kind: VerifierJobKind;
  requestId: string;
  stage: VerifierStage;
  /** `result` jobs: which module the request is under, once known. */
  module?: "optimistic" | "committee" | "other";
  /** `vote` jobs: the court round. */
  round?: number;
  /** Seats held (attestations and votes). */
  seats?: number;
  /** Attestation (agree) or vote (upholdWorker), and its salt: persisted before the commitment is sent. */
  choice?: boolean;
  salt?: string;
  commitDeadline?: string;
  revealDeadline?: string;
  /** Chain time at which the job was done (done jobs are pruned some time after). */
  doneAt?: string;
  note?: string;
}

export interface VerifierState {
  jobs: Record<string, VerifierJob>;
}

/**
 * What a node commits for one of its duties. `verify()` re-executes the model and gives the honest answer (the
 * result is within tolerance); a lazy strategy answers without calling it. Returns the choice to commit, or null to
 * stay silent. Demo and tests only (a lazy or dishonest verifier, see cheats.ts): production wiring injects none and
 * always commits the honest answer.
 */
export type BallotStrategy = (duty: {
  kind: "attestation" | "vote";
  requestId: bigint;
  /** Court round (0 for a committee attestation). */
  round: number;
  verify: () => Promise<boolean>;
}) => boolean | null | Promise<boolean | null>;

export interface VerifierDeps extends NodeDeps<VerifierState> {
  ballot?: BallotStrategy;
  /** Fraction of OPTIMISTIC results re-checked (0..1). Committee and jury duties are always done. */
  sampleRate: number;
  /** At start-up, top the free balance in Settlement up to this amount from the wallet (challenge bonds). */
  bondReserve?: bigint;
  /**
   * Join an open case only if at least this many other verifiers would remain outside it to sit on the jury
   * (parties cannot). Default: the court's `jurySize` — a jury is drawn only from at least as many distinct
   * non-party verifiers as seats (IStaking.drawPanel), so a join below it leaves the case without a jury.
   */
  minJuryPool?: number;
  /** Seconds of chain time between two checks of the operator's jail. Default 60. */
  jailCheckSeconds?: number;
  /** Seconds of chain time done jobs stay in the state file. Default 86,400. */
  retainFinishedSeconds?: number;
  /**
   * Largest random delay (ms) before a keeper step this node takes for a request it touches (draw, escalate, resolve,
   * finalize), after which it plans again: the committee members, the jurors and the keepers of one request rarely
   * send the same step. Default 1,000; its own attestations and votes are never delayed.
   */
  keeperJitterMs?: number;
  /** Random source of the jitter (tests). Default Math.random. */
  random?: () => number;
}

interface Verdict {
  agree: boolean;
  reason: string;
}

export class VerifierNode extends NodeRunner {
  #state: VerifierState = { jobs: {} };
  readonly #me: string;
  readonly #verdicts = new Map<string, Promise<Verdict>>();
  #nextJailCheck = 0n;
  #reserveChecked = false;
  /** Block at which each open job last ran (in memory: a restart runs every open job once). */
  readonly #ranAt = new Map<string, number>();
  #headBlock = -1;

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
    const open = Object.values(this.#state.jobs).filter((j) => j.stage !== "done");
    if (open.length > 0) this.logger.info("verifier.resumed", { openJobs: open.length });
  }

  protected async persist(): Promise<void> {
    await this.deps.stateFile.save(this.#state);
  }

  protected async handle(events: FeedEvent[]): Promise<void> {
    let changed = false;
    const add = (job: VerifierJob, tx: string) => {
      if (this.#state.jobs[job.key] !== undefined) return;
      this.#state.jobs[job.key] = job;
      changed = true;
      this.logger.info("job.queued", { job: job.key, tx });
    };
    const touched = (requestId: string) =>
      ["result", "attest", "case"].some((k) => this.#state.jobs[`${k}:${requestId}`] !== undefined) ||
      Object.values(this.#state.jobs).some((j) => j.kind === "vote" && j.requestId === requestId);
    for (const event of events) {
      const requestId = String(event.args["requestId"]);
      switch (event.name) {
        case "ResultSubmitted":
          if (String(event.args["worker"]).toLowerCase() === this.#me) break;
          add({ key: `result:${requestId}`, kind: "result", requestId, stage: "pending" }, event.txHash);
          break;
        case "CommitteeDrawn": {
          const seats = this.#seatsOf(event.args["seats"]);
          if (seats === 0) break;
          add(
            {
              key: `attest:${requestId}`,
              kind: "attest",
              requestId,
              stage: "pending",
              seats,
              commitDeadline: String(event.args["commitDeadline"]),
              revealDeadline: String(event.args["revealDeadline"]),
            },
            event.txHash,
          );
          add({ key: `result:${requestId}`, kind: "result", requestId, stage: "pending" }, event.txHash);
          break;
        }
        case "RoundOpened":
          if (touched(requestId))
            add({ key: `case:${requestId}`, kind: "case", requestId, stage: "keeping" }, event.txHash);
          break;
        case "JuryDrawn": {
          const seats = this.#seatsOf(event.args["seats"]);
          if (seats > 0) {
            const round = Number(event.args["round"]);
            add(
              {
                key: `vote:${requestId}:${round}`,
                kind: "vote",
                requestId,
                round,
                stage: "pending",
                seats,
                commitDeadline: String(event.args["commitDeadline"]),
                revealDeadline: String(event.args["revealDeadline"]),
              },
              event.txHash,
            );
          }
          if (touched(requestId))
            add({ key: `case:${requestId}`, kind: "case", requestId, stage: "keeping" }, event.txHash);
          break;
        }
      }
    }
    if (changed) await this.persist();
  }

  /**
   * Votes first (their phases are short), then attestations, court keeping, results; oldest first. A job that ran
   * without finishing waits for the next block: nothing it waits for can change before.
   */
  protected async ready(): Promise<string[]> {
    const head = await this.deps.chainHead();
    this.#headBlock = head.number;
    await this.#housekeeping(head.timestamp);
    const priority: Record<VerifierJobKind, number> = { vote: 0, attest: 1, case: 2, result: 3 };
    return Object.values(this.#state.jobs)
      .filter((j) => j.stage !== "done" && (this.#ranAt.get(j.key) ?? -1) < head.number)
      .sort((a, b) => priority[a.kind] - priority[b.kind] || Number(BigInt(a.requestId) - BigInt(b.requestId)))
      .map((j) => j.key);
  }

  protected async runJob(key: string): Promise<void> {
    const job = this.#state.jobs[key];
    if (job === undefined || job.stage === "done") return;
    this.#ranAt.set(key, this.#headBlock);
    switch (job.kind) {
      case "result":
        return this.#result(job);
      case "attest":
        return this.#attest(job);
      case "case":
        return this.#keepCase(job);
      case "vote":
        return this.#vote(job);
    }
  }

  // ----------------------------------------------------------------------------------------------- results

  async #result(job: VerifierJob): Promise<void> {
    const { hub, optimistic, committee } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (job.module === undefined) {
      const module = request.module.toLowerCase();
      job.module =
        module === (await optimistic.getAddress()).toLowerCase()
          ? "optimistic"
          : module === (await committee.getAddress()).toLowerCase()
            ? "committee"
            : "other";
      job.stage = job.module === "committee" ? "keeping" : job.stage;
      await this.persist();
    }
    if (request.status !== STATUS_SUBMITTED && request.status !== STATUS_DISPUTED) {
      return this.#done(job, "settled on-chain");
    }
    if (job.module === "optimistic") return this.#checkOptimistic(job, request);
    if (job.module === "committee") return this.#keepCommittee(job);
    return this.#done(job, "no verification duty for this module");
  }

  /** OPTIMISTIC: re-execute a sampled result and challenge (or join the case against) a wrong one. */
  async #checkOptimistic(
    job: VerifierJob,
    request: Awaited<ReturnType<VerifierDeps["hub"]["getRequest"]>>,
  ): Promise<void> {
    const { court, optimistic } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    if (!this.#sampled(requestId)) return this.#done(job, "not sampled");
    if (request.requester.toLowerCase() === this.#me) return this.#done(job, "own request");
    const kase = await court.getCase(requestId);
    const now = await this.deps.chainTime();
    if (kase.phase === PHASE_NONE && now > request.deadline) return this.#done(job, "window closed");
    if (kase.phase === PHASE_RESOLVED) return this.#done(job, "case already resolved");

    const verdict = await this.#verdict(requestId);
    this.logger.info("job.verified", { job: job.key, agree: verdict.agree, reason: verdict.reason });
    if (verdict.agree) return this.#done(job, "result within tolerance");

    if (kase.phase !== PHASE_NONE) {
      if (await court.isParty(requestId, this.deps.address)) {
        this.#ensureCase(job.requestId);
        return this.#done(job, "already a challenger or juror of the case");
      }
      if (!(await this.#mayJoin(requestId))) return this.#done(job, "case open; staying available as a juror");
    }
    await this.#ensureBond();
    const sent = await this.#send(
      job,
      `challenge #${requestId}`,
      () => optimistic.challenge.populateTransaction(requestId),
      CHALLENGE_RACES,
    );
    if (!sent.sent && sent.errorName === "CourtDrawPending") {
      // Joins pause while the jury's word is known and the jury is undrawn: keep the case (it draws), retry later.
      this.#ensureCase(job.requestId);
      return;
    }
    if (!sent.sent) return this.#done(job, `challenge not accepted (${sent.errorName})`);
    this.logger.info("case.challenged", { requestId: job.requestId, joined: kase.phase !== PHASE_NONE });
    this.#ensureCase(job.requestId);
    return this.#done(job, kase.phase === PHASE_NONE ? "challenged" : "joined the challenge");
  }

  /**
   * Whether joining leaves at least `minJuryPool` (default the court's `jurySize`) verifiers outside the case: a
   * jury needs as many distinct non-party verifiers as seats, and a case without one ends Undecided.
   */
  async #mayJoin(requestId: bigint): Promise<boolean> {
    const { staking, court, hub } = this.deps.contracts;
    const [total, challengers, request] = await Promise.all([
      staking.operatorCount(ROLE_VERIFIER),
      court.challengersOf(requestId),
      hub.getRequest(requestId),
    ]);
    const parties = new Set([
      request.worker,
      request.requester,
      ...challengers.map((c) => c.account),
      this.deps.address,
    ]);
    let inPool = total;
    for (const party of parties) if ((await staking.weightOf(party, ROLE_VERIFIER)) > 0n) inPool -= 1n;
    const min = this.deps.minJuryPool ?? Number((await court.params()).jurySize);
    return inPool >= BigInt(min);
  }

  /** COMMITTEE keeper: draw the committee, then finalize or escalate once the reveals are over (keeper.ts). */
  async #keepCommittee(job: VerifierJob): Promise<void> {
    const { committee } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    const plan = await planKeeperStep(this.deps.contracts, requestId, await this.deps.chainTime());
    if (plan.kind === "terminal") return this.#done(job, "settled on-chain");
    if (plan.stage === "court") {
      this.#ensureCase(job.requestId);
      return this.#done(job, "escalated to the court");
    }
    if (plan.kind === "waiting") return;
    const fresh = await this.#afterJitter(requestId);
    if (fresh.kind !== "due" || fresh.stage !== plan.stage) return; // someone else took the step: the next run sees it
    const outcome = await performKeeperPlan(this.deps, requestId, fresh, { job: job.key });
    if (outcome.kind === "applied" && outcome.step === "finalize") return this.#done(job, "finalized");
    if (outcome.kind === "lost" && outcome.errorName === "HubInvalidStatus") return this.#done(job, "finalized");
    if (outcome.kind === "applied" && outcome.step === "escalate") {
      const round = await committee.roundOf(requestId);
      this.logger.info("committee.escalated", {
        requestId: job.requestId,
        agreeSeats: round.agreeSeats,
        disagreeSeats: round.disagreeSeats,
      });
      this.#ensureCase(job.requestId);
      await this.persist();
    }
  }

  // ----------------------------------------------------------------------------------------------- committee seats

  async #attest(job: VerifierJob): Promise<void> {
    const { hub, committee } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_SUBMITTED && request.status !== STATUS_DISPUTED)
      return this.#done(job, "settled on-chain");
    const now = await this.deps.chainTime();
    const mine = await committee.attestationOf(requestId, this.deps.address);

    if (job.stage === "pending") {
      if (!mine.committed) {
        if (now > BigInt(job.commitDeadline ?? "0")) return this.#done(job, "commit phase missed");
        if (job.choice === undefined || job.salt === undefined) {
          const choice = await this.#choose("attestation", requestId, 0, job.key);
          if (choice === null) return this.#done(job, "abstained");
          job.choice = choice;
          job.salt = ethers.hexlify(randomBytes(32));
          await this.persist(); // the salt must survive a crash, or the attestation cannot be revealed
        }
        const commitment = await committee.attestationCommitment(requestId, this.deps.address, job.choice, job.salt);
        await this.#send(
          job,
          `commitAttestation #${requestId}`,
          () => committee.commitAttestation.populateTransaction(requestId, commitment),
          ATTEST_RACES,
        );
        if (!(await committee.attestationOf(requestId, this.deps.address)).committed)
          return this.#done(job, "commit not accepted");
      } else if (
        !(await this.#ownCommitment(job, mine.commitment, (c, s) =>
          committee.attestationCommitment(requestId, this.deps.address, c, s),
        ))
      ) {
        return this.#done(job, "committed on-chain with a salt this node does not hold");
      }
      job.stage = "committed";
      await this.persist();
      this.logger.info("attestation.committed", { requestId: job.requestId, agree: job.choice, seats: job.seats });
      return;
    }
    // committed: reveal once every seat committed or the commit window closed.
    if (mine.revealed) return this.#revealed(job, "attestation");
    const round = await committee.roundOf(requestId);
    if (round.committedSeats < round.seats && now <= round.commitDeadline) return;
    if (now > round.revealDeadline) return this.#done(job, "reveal phase missed");
    await this.#send(
      job,
      `revealAttestation #${requestId}`,
      () => committee.revealAttestation.populateTransaction(requestId, job.choice!, job.salt!),
      ATTEST_RACES,
    );
    if (!(await committee.attestationOf(requestId, this.deps.address)).revealed) return;
    return this.#revealed(job, "attestation");
  }

  // ----------------------------------------------------------------------------------------------- court

  /** Court keeper for a request this node touches: draw the jury, resolve rounds, finalize the request. */
  async #keepCase(job: VerifierJob): Promise<void> {
    const { court } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    const plan = await planKeeperStep(this.deps.contracts, requestId, await this.deps.chainTime());
    if (plan.kind === "terminal") return this.#done(job, "settled on-chain");
    if (plan.kind === "waiting" || plan.stage !== "court") return; // not opened yet, or nothing due
    const fresh = await this.#afterJitter(requestId);
    if (fresh.kind !== "due" || fresh.stage !== "court") return; // someone else took the step: the next run sees it
    const before = fresh.steps[0]?.name === "resolve" ? await court.getCase(requestId) : null;
    const outcome = await performKeeperPlan(this.deps, requestId, fresh, { job: job.key });
    if (outcome.kind === "applied" && outcome.step === "resolve" && before !== null && before.phase === PHASE_VOTING) {
      const after = await court.getCase(requestId);
      this.logger.info("case.resolved", {
        requestId: job.requestId,
        round: before.round,
        upholdSeats: before.upholdSeats,
        rejectSeats: before.rejectSeats,
        appealed: after.phase !== PHASE_RESOLVED,
      });
    }
    const finalized =
      (outcome.kind === "applied" && outcome.step === "finalize") ||
      (outcome.kind === "lost" && outcome.errorName === "HubInvalidStatus");
    if (finalized) return this.#done(job, "finalized");
  }

  /** Waits up to `keeperJitterMs` at random, then plans the request's keeper step again. */
  async #afterJitter(requestId: bigint): Promise<KeeperPlan> {
    const jitter = Math.floor((this.deps.random ?? Math.random)() * (this.deps.keeperJitterMs ?? 1_000));
    if (jitter > 0) await new Promise((resolve) => setTimeout(resolve, jitter));
    return planKeeperStep(this.deps.contracts, requestId, await this.deps.chainTime());
  }

  async #vote(job: VerifierJob): Promise<void> {
    const { hub, court } = this.deps.contracts;
    const requestId = BigInt(job.requestId);
    const round = job.round ?? 1;
    const request = await hub.getRequest(requestId);
    if (request.status !== STATUS_SUBMITTED && request.status !== STATUS_DISPUTED)
      return this.#done(job, "settled on-chain");
    const kase = await court.getCase(requestId);
    if (Number(kase.round) !== round || kase.phase !== PHASE_VOTING) return this.#done(job, "round over");
    const now = await this.deps.chainTime();
    const ballot = await court.ballotOf(requestId, round, this.deps.address);

    if (job.stage === "pending") {
      if (!ballot.committed) {
        if (now > kase.commitDeadline) return this.#done(job, "commit phase missed");
        if (job.choice === undefined || job.salt === undefined) {
          // Uphold the worker iff its result is within tolerance.
          const choice = await this.#choose("vote", requestId, round, job.key);
          if (choice === null) return this.#done(job, "abstained");
          job.choice = choice;
          job.salt = ethers.hexlify(randomBytes(32));
          await this.persist(); // the salt must survive a crash, or the vote cannot be revealed
        }
        const commitment = await court.voteCommitment(requestId, round, this.deps.address, job.choice, job.salt);
        await this.#send(
          job,
          `commitVote #${requestId}`,
          () => court.commitVote.populateTransaction(requestId, commitment),
          VOTE_RACES,
        );
        if (!(await court.ballotOf(requestId, round, this.deps.address)).committed)
          return this.#done(job, "commit not accepted");
      } else if (
        !(await this.#ownCommitment(job, ballot.commitment, (c, s) =>
          court.voteCommitment(requestId, round, this.deps.address, c, s),
        ))
      ) {
        return this.#done(job, "committed on-chain with a salt this node does not hold");
      }
      job.stage = "committed";
      await this.persist();
      this.logger.info("vote.committed", {
        requestId: job.requestId,
        round,
        upholdWorker: job.choice,
        seats: job.seats,
      });
      return;
    }
    if (ballot.revealed) return this.#revealed(job, "vote");
    if (kase.committedSeats < kase.seats && now <= kase.commitDeadline) return;
    if (now > kase.revealDeadline) return this.#done(job, "reveal phase missed");
    await this.#send(
      job,
      `revealVote #${requestId}`,
      () => court.revealVote.populateTransaction(requestId, job.choice!, job.salt!),
      VOTE_RACES,
    );
    if (!(await court.ballotOf(requestId, round, this.deps.address)).revealed) return;
    this.#ensureCase(job.requestId);
    return this.#revealed(job, "vote");
  }

  // ----------------------------------------------------------------------------------------------- helpers

  /** After a restart: is the on-chain commitment the one this node's persisted choice and salt make? */
  async #ownCommitment(
    job: VerifierJob,
    onChain: string,
    commitmentOf: (choice: boolean, salt: string) => Promise<string>,
  ): Promise<boolean> {
    if (job.choice === undefined || job.salt === undefined) return false;
    return (await commitmentOf(job.choice, job.salt)) === onChain;
  }

  async #revealed(job: VerifierJob, what: "attestation" | "vote"): Promise<void> {
    this.logger.info(`${what}.revealed`, {
      requestId: job.requestId,
      round: job.round,
      choice: job.choice,
      seats: job.seats,
    });
    return this.#done(job, `${what} revealed`);
  }

  /** Queues the court keeper for a request this node is involved in (persisted with the caller's next save). */
  #ensureCase(requestId: string): void {
    const key = `case:${requestId}`;
    if (this.#state.jobs[key] === undefined) this.#state.jobs[key] = { key, kind: "case", requestId, stage: "keeping" };
  }

  /** Re-executes the request's model once per request (shared by the check, the attestation and every vote). */
  #verdict(requestId: bigint): Promise<Verdict> {
    const key = String(requestId);
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      verdict = this.#recompute(requestId);
      verdict.catch(() => this.#verdicts.delete(key));
      this.#verdicts.set(key, verdict);
      if (this.#verdicts.size > 1_000) this.#verdicts.delete(this.#verdicts.keys().next().value!);
    }
    return verdict;
  }

  async #recompute(requestId: bigint): Promise<Verdict> {
    const context = await loadRequestContext(this.deps.hub, this.deps.registry, requestId, this.deps.ipfsGateway);
    if (context.input === null && context.inputRetryable) {
      // No verdict on an input source that is down right now: the runner retries the job (and this check) later.
      throw new Error(`request ${requestId}: input temporarily unavailable (${context.inputProblem}); retrying`);
    }
    const posted = await loadPostedResult(this.deps.hub, requestId);
    return checkPosted(context, this.deps, await this.#limits(), posted.output);
  }

  /** A challenge bonds `court.params().challengeBond` from the free balance: top it up from the wallet if short. */
  async #ensureBond(): Promise<void> {
    const bond = (await this.deps.contracts.court.params()).challengeBond;
    await this.#topUp(bond, "bond.low");
  }

  async #topUp(target: bigint, event: string): Promise<void> {
    const { settlement } = this.deps.contracts;
    const balance = await settlement.balanceOf(this.deps.address);
    if (balance >= target) return;
    const missing = target - balance;
    this.logger.warn(event, { balance, target, action: "depositing the difference from the wallet" });
    const erc20 = new ethers.Contract(
      this.deps.contracts.token,
      ["function approve(address,uint256) returns (bool)"],
      settlement.runner,
    );
    const spender = await settlement.getAddress();
    await this.deps.sender.send(
      () => erc20.getFunction("approve").populateTransaction(spender, missing),
      "approve deposit",
    );
    await this.deps.sender.send(() => settlement.deposit.populateTransaction(missing), "deposit");
  }

  #nextPrune = 0n;

  async #housekeeping(now: bigint): Promise<void> {
    if (now >= this.#nextPrune) {
      this.#nextPrune = now + 600n;
      const retain = BigInt(this.deps.retainFinishedSeconds ?? 86_400);
      const dropped = pruneFinished(this.#state.jobs, (j) => j.stage === "done", now, retain);
      if (dropped > 0) {
        await this.persist();
        this.logger.info("jobs.pruned", { dropped });
      }
    }
    if (!this.#reserveChecked && this.deps.bondReserve !== undefined && this.deps.bondReserve > 0n) {
      try {
        await this.#topUp(this.deps.bondReserve, "bond.reserve");
        this.#reserveChecked = true;
      } catch (error) {
        this.logger.warn("bond.reserve_failed", { error: (error as Error).message });
      }
    }
    if (now < this.#nextJailCheck) return;
    this.#nextJailCheck = now + BigInt(this.deps.jailCheckSeconds ?? 60);
    try {
      await refreshIfUnjailed(
        this.deps.contracts.staking,
        this.deps.sender,
        this.logger,
        this.deps.address,
        ROLE_VERIFIER,
        now,
      );
    } catch (error) {
      this.#nextJailCheck = 0n;
      this.logger.warn("operator.refresh_failed", { error: (error as Error).message });
    }
  }

  #send(
    job: VerifierJob,
    label: string,
    populate: () => Promise<ethers.ContractTransaction>,
    tolerated: ReadonlySet<string>,
  ): Promise<SendOutcome> {
    return sendTolerant(this.deps.sender, this.logger, label, populate, tolerated, { job: job.key });
  }

  /** The honest answer (re-executes the model), unless an injected strategy decides otherwise. */
  async #choose(
    kind: "attestation" | "vote",
    requestId: bigint,
    round: number,
    jobKey: string,
  ): Promise<boolean | null> {
    const verify = async () => {
      const verdict = await this.#verdict(requestId);
      this.logger.info("job.verified", { job: jobKey, agree: verdict.agree, reason: verdict.reason });
      return verdict.agree;
    };
    return this.deps.ballot === undefined ? verify() : this.deps.ballot({ kind, requestId, round, verify });
  }

  #seatsOf(list: unknown): number {
    if (!Array.isArray(list) && !(typeof list === "object" && list !== null && "length" in list)) return 0;
    return Array.from(list as ArrayLike<unknown>).filter((a) => String(a).toLowerCase() === this.#me).length;
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
    const doneAt = String(await this.deps.chainTime());
    this.#ranAt.delete(job.key);
    job.stage = "done";
    job.note = note;
    job.doneAt = doneAt;
    await this.persist();
    this.logger.info("job.done", { job: job.key, note });
  }
}
