/**
 * Economics of the v2 verification game: the expected value (EV) of posting a wrong result, per verification mode,
 * for an attacker who runs the worker and holds a share `a` of the verifier stake (split over any number of
 * addresses), with the attacker's best strategy.
 *
 * Pure: no I/O, no chain access. `scripts/economics.ts` feeds it the parameter files, `docs/ECONOMICS.md` explains
 * it, `test/integration/economics.test.ts` checks it (also against a Monte Carlo simulation of the ticket draw).
 *
 * The game, as the v2 interfaces specify it (contracts/interfaces/IDisputeCourt.sol, ICommitteeModule.sol,
 * IOptimisticModule.sol, IStaking.sol):
 *
 * - **Panels** (committees and juries) are `n` distinct whole-OPG tickets drawn by stake without replacement among
 *   eligible non-parties. The attacker's seat count is hypergeometric in tickets: `J ~ H(N, K, n)` with `N` eligible
 *   verifier tickets and `K = floor(a·N)` of them the attacker's. It depends on tickets only, so splitting a stake over
 *   addresses changes nothing (it can only lose each address's fractional ticket). `binomial(n, K/N)` is its
 *   large-`N` limit and, for the attacker's winning tails, its upper bound; both are available (`sampling`).
 * - **Party exclusion**: parties sit on no jury. Excluding an honest party removes its whole stake from the pool (we
 *   charge `honestPartyShare · N` tickets per honest party), which raises the attacker's share; excluding the
 *   attacker's own parties would lower it, and is ignored (conservative).
 * - **Court round** of `s` seats (`jurySize`, then `appealJurySize`): honest jurors reveal a vote against the wrong
 *   result (each with probability `honestRevealRate`); the attacker reveals last (reveals are public), knowing how
 *   many honest seats revealed, and splits its own seats between upholding, rejecting (defecting to the majority to
 *   earn the voter reward) and silence (to force a tie). The majority of revealed seats decides; a tie or no reveal
 *   is undecided: round 1 → appeal, round 2 → Undecided (the request is Refunded: the worker is neither paid nor
 *   slashed). With every honest seat revealing and an odd `s`, a tie needs the attacker to hold a majority, so it
 *   never beats winning outright; the tie strategy matters when honest seats are silent.
 * - **Payoffs** (IDisputeCourt NatSpec): Rejected — the worker is slashed max(slashBps × slashable, collateral),
 *   defenders `defenderSlashBps` of their stake; challengers share `challengerRewardBps` of that pool pro rata to
 *   weight, majority seats `voterRewardBps`; minority seats lose `minorityPenaltyBps`, silent seats
 *   `nonRevealPenaltyBps` (per seat, to the treasury). Upheld — bonds are forfeited and stake-backed challengers
 *   slashed `challengeBond`; majority seats share `voterRewardBps` of that pool and the treasury takes the rest, so
 *   an attacker that wins gets only its jurors' voter share of the honest bonds (its own bonds are forfeited too).
 * - **Slashable stake**: the slash reaches the judged job's collateral, free active stake and unbonding stake,
 *   never other jobs' collateral. A busy worker whose other jobs lock all its stake (free = 0) is slashed exactly
 *   the collateral: that is the attacker's best choice and the default (`workerFreeStake = 0`).
 * - **Grinding**: a draw uses the hash of a block after the triggering transaction. Whoever builds that block can
 *   grind its hash (transaction order, extra data) and so chooses the panel. With a share `π` of block proposers
 *   (own, or bribed), the attacker controls each draw with probability `π` and then takes every seat; otherwise the
 *   draw is fair: P' = (1 − π)·P + π, the conservative bound. It holds only if the proposer of the ticket block is
 *   unknown when the draw is triggered, and if nobody can change the sortition weights between the moment the word
 *   is known and the draw (see docs/ECONOMICS.md, "What parameters cannot fix"); `π = 1` is the figure otherwise.
 *
 * Gains and losses, in OPG, per wrong result. `f` = model fee, F = f·(1 + protocolFeeBps), collateral C = F·ratio.
 * - gain G of a finalized wrong result = C + f: the value the protocol claims to secure per request (the collateral)
 *   plus all the pay the attacker can collect (worker, model owner and committee verifier shares of f). An upheld
 *   result also brings its majority jurors the voter share of the honest challengers' forfeited bonds.
 * - loss when Rejected = worker slash + the attacker's defenders' slashes − what the coalition recovers (its share of
 *   the challenger reward, its majority seats' share of the voter reward) + its penalised seats (minority, silent).
 * - break-even gain = the largest G for which EV < 0 at the best strategy: the honest figure of the security of one
 *   request (EV is increasing in G).
 */

import { PARAMETER_DEFAULTS, type ModuleId } from "../../ignition/defaults.js";

export const BPS = 10_000;
const WEI_PER_OPG = 10n ** 18n;

// ----------------------------------------------------------------------------------------------------- parameters

/** The protocol parameters the game depends on. Amounts in OPG (not wei), shares in basis points. */
export interface ProtocolParams {
  // Staking
  minWorkerStake: number;
  minVerifierStake: number;
  // ModelRegistry
  minFee: number;
  // InferenceHub
  protocolFeeBps: number;
  verifierShareBps: number;
  stakeToFeeRatio: number;
  // DisputeCourt
  jurySize: number;
  appealJurySize: number;
  maxChallengers: number;
  slashBps: number;
  defenderSlashBps: number;
  challengerRewardBps: number;
  voterRewardBps: number;
  minorityPenaltyBps: number;
  nonRevealPenaltyBps: number;
  challengeBond: number;
  // CommitteeModule
  committeeSize: number;
  quorum: number;
  silencePenaltyBps: number;
}

/** A parameter value as it may appear in `PARAMETER_DEFAULTS` or in an Ignition parameter file. */
export type ParameterValue = number | bigint | string;

/** Parameters by Ignition module id, as in `ignition/defaults.ts`. */
export type ModuleParameters = { [M in ModuleId]: Record<string, ParameterValue> };

/** An error in a parameter file, with what to fix. */
export class EconomicsParameterError extends Error {
  override readonly name = "EconomicsParameterError";
}

/**
 * Merges an Ignition parameter file (`{ "<ModuleId>": { "<name>": value } }`) over `PARAMETER_DEFAULTS`. Sections
 * whose id is not a v2 module (e.g. the v1 `StakingV1`, `InferenceHubV1`) are ignored and listed in `ignored`; a
 * known section's unknown name is an error (a typo would otherwise silently keep the default).
 */
export function mergeParameters(file: unknown): { merged: ModuleParameters; ignored: string[] } {
  const merged = Object.fromEntries(
    Object.entries(PARAMETER_DEFAULTS).map(([id, values]) => [id, { ...values } as Record<string, ParameterValue>]),
  ) as ModuleParameters;
  const ignored: string[] = [];
  if (typeof file !== "object" || file === null || Array.isArray(file)) {
    throw new EconomicsParameterError("a parameter file must hold one JSON object of sections by module id");
  }
  for (const [id, section] of Object.entries(file as Record<string, unknown>)) {
    if (!(id in merged)) {
      ignored.push(id);
      continue;
    }
    const target = merged[id as ModuleId];
    if (typeof section !== "object" || section === null || Array.isArray(section)) {
      throw new EconomicsParameterError(`section ${id} must be an object of parameter values`);
    }
    for (const [name, value] of Object.entries(section as Record<string, unknown>)) {
      if (!(name in target)) {
        throw new EconomicsParameterError(
          `${id}.${name} is not a parameter of ${id} (known: ${Object.keys(target).join(", ")})`,
        );
      }
      if (typeof value !== "number" && typeof value !== "string" && typeof value !== "bigint") {
        throw new EconomicsParameterError(`${id}.${name} must be a number or a decimal string, got ${typeof value}`);
      }
      target[name] = value;
    }
  }
  return { merged, ignored };
}

function integerOf(value: ParameterValue | undefined, where: string): bigint {
  if (value === undefined) throw new EconomicsParameterError(`${where} is missing`);
  if (typeof value === "bigint") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new EconomicsParameterError(`${where} = ${value}: write large amounts as decimal strings ("…n" too)`);
    }
    return BigInt(value);
  }
  const text = value.endsWith("n") ? value.slice(0, -1) : value;
  if (!/^\d+$/.test(text)) throw new EconomicsParameterError(`${where} = "${value}" is not a decimal integer`);
  return BigInt(text);
}

function countOf(p: ModuleParameters, id: ModuleId, name: string): number {
  return Number(integerOf(p[id][name], `${id}.${name}`));
}

function opgOf(p: ModuleParameters, id: ModuleId, name: string): number {
  const wei = integerOf(p[id][name], `${id}.${name}`);
  return Number(wei / WEI_PER_OPG) + Number(wei % WEI_PER_OPG) / 1e18;
}

/** The game's parameters from merged module parameters (wei → OPG). */
export function protocolParams(p: ModuleParameters): ProtocolParams {
  return {
    minWorkerStake: opgOf(p, "Staking", "minWorkerStake"),
    minVerifierStake: opgOf(p, "Staking", "minVerifierStake"),
    minFee: opgOf(p, "ModelRegistry", "minFee"),
    protocolFeeBps: countOf(p, "InferenceHub", "protocolFeeBps"),
    verifierShareBps: countOf(p, "InferenceHub", "verifierShareBps"),
    stakeToFeeRatio: countOf(p, "InferenceHub", "stakeToFeeRatio"),
    jurySize: countOf(p, "DisputeCourt", "jurySize"),
    appealJurySize: countOf(p, "DisputeCourt", "appealJurySize"),
    maxChallengers: countOf(p, "DisputeCourt", "maxChallengers"),
    slashBps: countOf(p, "DisputeCourt", "slashBps"),
    defenderSlashBps: countOf(p, "DisputeCourt", "defenderSlashBps"),
    challengerRewardBps: countOf(p, "DisputeCourt", "challengerRewardBps"),
    voterRewardBps: countOf(p, "DisputeCourt", "voterRewardBps"),
    minorityPenaltyBps: countOf(p, "DisputeCourt", "minorityPenaltyBps"),
    nonRevealPenaltyBps: countOf(p, "DisputeCourt", "nonRevealPenaltyBps"),
    challengeBond: opgOf(p, "DisputeCourt", "challengeBond"),
    committeeSize: countOf(p, "CommitteeModule", "committeeSize"),
    quorum: countOf(p, "CommitteeModule", "quorum"),
    silencePenaltyBps: countOf(p, "CommitteeModule", "silencePenaltyBps"),
  };
}

/** The shipped defaults (`ignition/defaults.ts`) as game parameters. */
export function defaultProtocolParams(): ProtocolParams {
  return protocolParams(mergeParameters({}).merged);
}

// ----------------------------------------------------------------------------------------------------- assumptions

export type Sampling = "hypergeometric" | "binomial";

/** Everything the game depends on that is not a protocol parameter. Defaults: `DEFAULT_ASSUMPTIONS`. */
export interface Assumptions {
  /** Attacker's share of eligible verifier tickets, 0 ≤ a < 1. */
  attackerShare: number;
  /** Eligible verifier tickets (whole OPG of verifier stake) N. Only the hypergeometric sampling uses it. */
  totalTickets: number;
  /**
   * Share of N held by each honest party (challenger, committee member) excluded from a jury. The appeal also removes
   * the honest round-1 jurors, which the court does not (conservative: it only raises the attacker's share).
   */
  honestPartyShare: number;
  /** Stake of each attacker verifier address, OPG (penalties and defender slashes are shares of it). Default: the
   *  minimum verifier stake (the attacker's cheapest split). */
  attackerAddressStake?: number;
  /** OPTIMISTIC: probability that an honest verifier re-checks the result and challenges inside the window. */
  detection: number;
  /** Share π of the randomness blocks the attacker builds (or buys): each draw is the attacker's with prob. π. */
  proposerShare: number;
  /** Probability that an honest seat (committee member or juror) reveals. The model assumes honest nodes online: 1. */
  honestRevealRate: number;
  /** OPTIMISTIC: honest challengers in a case (the attacker fills the other `maxChallengers` slots). */
  honestChallengers: number;
  /** Worker stake the slash can reach beyond the judged job's collateral (free active + unbonding), OPG. The
   *  attacker's best is 0: its other jobs' collateral locks the rest and no slash touches it. */
  workerFreeStake: number;
  /** Model fee of the attacked request, OPG. */
  fee: number;
  /** Gain G of a finalized wrong result, OPG; default C + fee. */
  gain?: number;
  /** Seat-count distribution: exact (hypergeometric in tickets) or its large-N binomial bound. */
  sampling: Sampling;
}

export const DEFAULT_ASSUMPTIONS: Readonly<Assumptions> = Object.freeze({
  attackerShare: 1 / 3,
  totalTickets: 1_000_000,
  honestPartyShare: 0.01,
  detection: 1,
  proposerShare: 0.01,
  honestRevealRate: 1,
  honestChallengers: 1,
  workerFreeStake: 0,
  fee: 1,
  sampling: "hypergeometric",
});

/** Reference fee of the tables, OPG. */
export const REFERENCE_FEE = 1;

// ----------------------------------------------------------------------------------------------------- panels

function binomialCoefficient(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) c = (c * (n - Math.min(k, n - k) + i)) / i;
  return c;
}

/**
 * P(J = j), j = 0..n, for n distinct tickets drawn uniformly without replacement from N tickets of which K are the
 * attacker's (the exclusion-interval draw of `IStaking.drawPanel`). Zero everywhere if N < n (no panel is drawn).
 */
export function hypergeometricPmf(tickets: number, attackerTickets: number, seats: number): number[] {
  const N = Math.floor(tickets);
  const K = Math.min(Math.max(Math.floor(attackerTickets), 0), N);
  const H = N - K;
  const pmf = new Array<number>(seats + 1).fill(0);
  if (N < seats) return pmf;
  for (let j = 0; j <= seats; j++) {
    if (j > K || seats - j > H) continue;
    let p = binomialCoefficient(seats, j);
    for (let i = 0; i < seats; i++) p *= (i < j ? K - i : H - (i - j)) / (N - i);
    pmf[j] = p;
  }
  return pmf;
}

/** P(J = j), j = 0..n, for n independent seats each the attacker's with probability p. */
export function binomialPmf(seats: number, p: number): number[] {
  const pmf = new Array<number>(seats + 1).fill(0);
  for (let j = 0; j <= seats; j++) pmf[j] = binomialCoefficient(seats, j) * p ** j * (1 - p) ** (seats - j);
  return pmf;
}

/**
 * Distribution of the attacker's seats in a panel of `seats` drawn from `tickets` eligible tickets, `attackerTickets`
 * of them the attacker's, including grinding: with probability `proposerShare` the attacker chose the block hash and
 * holds every seat.
 */
export function seatDistribution(
  tickets: number,
  attackerTickets: number,
  seats: number,
  proposerShare: number,
  sampling: Sampling,
): number[] {
  const fair =
    sampling === "binomial"
      ? binomialPmf(seats, Math.min(attackerTickets / tickets, 1))
      : hypergeometricPmf(tickets, attackerTickets, seats);
  const dist = fair.map((p) => (1 - proposerShare) * p);
  if (attackerTickets >= seats) dist[seats] = (dist[seats] ?? 0) + proposerShare;
  else dist[0] = (dist[0] ?? 0) + proposerShare; // cannot happen with any real stake; keeps the sum at 1
  return dist;
}

/** P(the attacker holds a strict majority of a fair panel): the per-round capture probability before grinding. */
export function majorityProbability(pmf: readonly number[]): number {
  const seats = pmf.length - 1;
  return pmf.reduce((acc, p, j) => (2 * j > seats ? acc + p : acc), 0);
}

// ----------------------------------------------------------------------------------------------------- court

/** Probabilities of the ways a wrong result ends, and the attacker's EV (OPG). They sum to 1. */
export interface Outcomes {
  ev: number;
  /** Wrong result final: no dispute, or upheld by the court. */
  pFinal: number;
  /** Rejected: worker slashed. */
  pRejected: number;
  /** Refunded: Undecided after the appeal, worker neither paid nor slashed. */
  pRefunded: number;
  /** Probability that the attacker chose to force a tie (silence) somewhere on the path. */
  pForcedTie: number;
}

/** One court case as the attacker sees it. */
interface CaseTerms {
  /** Round-1 jury pool after excluding honest parties, tickets. */
  tickets: number;
  attackerTickets: number;
  /** What the attacker gets if the result is upheld: G + its jurors' voter share of the forfeited honest bonds. */
  gainIfUpheld: number;
  /** What the attacker loses if rejected, before recoveries: worker slash + own defenders' slashes. */
  lossIfRejected: number;
  /** The slash pool rewards are shares of (worker slash + all defenders' slashes). */
  slashPool: number;
  /** Attacker's share of challenger weight. */
  challengerShare: number;
}

function evaluateCase(terms: CaseTerms, params: ProtocolParams, a: Assumptions): Outcomes {
  const seatStake = a.attackerAddressStake ?? params.minVerifierStake;
  const silentCost = (seatStake * params.nonRevealPenaltyBps) / BPS;
  const rewardBack = (terms.slashPool * params.challengerRewardBps * terms.challengerShare) / BPS;
  const voterPool = (terms.slashPool * params.voterRewardBps) / BPS;
  const roundTwo = new Map<number, Outcomes>();

  const round = (seats: number, tickets: number, isAppeal: boolean): Outcomes => {
    const out: Outcomes = { ev: 0, pFinal: 0, pRejected: 0, pRefunded: 0, pForcedTie: 0 };
    const dist = seatDistribution(tickets, terms.attackerTickets, seats, a.proposerShare, a.sampling);
    for (let J = 0; J <= seats; J++) {
      const pJ = dist[J] ?? 0;
      if (pJ === 0) continue;
      const honestSeats = seats - J;
      const reveals = binomialPmf(honestSeats, a.honestRevealRate);
      for (let R = 0; R <= honestSeats; R++) {
        const pR = reveals[R] ?? 0;
        if (pR === 0) continue;
        const p = pJ * pR;
        // The attacker's three best replies to R honest reject votes (any other split of its J seats is dominated):
        // uphold with all seats (wins iff J > R); reject with all (joins the majority, earns its voter share, no
        // penalty); or force a tie — uphold R + x, reject x, the parity seat silent — and go to the appeal/Refund.
        const candidates: { ev: number; kind: "up" | "rej" | "tie" }[] = [];
        if (J > R) candidates.push({ ev: terms.gainIfUpheld, kind: "up" });
        if (J + R > 0) {
          candidates.push({ ev: -terms.lossIfRejected + rewardBack + (voterPool * J) / (J + R), kind: "rej" });
        }
        let tie: Outcomes | undefined;
        if (J >= R) {
          const silent = (J - R) % 2;
          if (isAppeal) {
            tie = { ev: 0, pFinal: 0, pRejected: 0, pRefunded: 1, pForcedTie: 0 };
          } else {
            const next = tickets - honestSeats * a.honestPartyShare * a.totalTickets;
            tie = roundTwo.get(next);
            if (tie === undefined) {
              tie = round(params.appealJurySize, next, true);
              roundTwo.set(next, tie);
            }
          }
          candidates.push({ ev: tie.ev - silent * silentCost, kind: "tie" });
        }
        const best = candidates.reduce((x, y) => (y.ev > x.ev ? y : x));
        out.ev += p * best.ev;
        if (best.kind === "up") out.pFinal += p;
        else if (best.kind === "rej") out.pRejected += p;
        else if (tie !== undefined) {
          out.pFinal += p * tie.pFinal;
          out.pRejected += p * tie.pRejected;
          out.pRefunded += p * tie.pRefunded;
          // A tie the honest side caused (R = J = 0 … nobody revealed) is not the attacker's doing.
          out.pForcedTie += p * (J > 0 ? 1 : tie.pForcedTie);
        }
      }
    }
    return out;
  };

  return round(params.jurySize, terms.tickets, false);
}

// ----------------------------------------------------------------------------------------------------- modes

export const MODES = ["NONE", "OPTIMISTIC", "COMMITTEE"] as const;
export type Mode = (typeof MODES)[number];

/** One strategy of the attacker in one mode. */
export interface StrategyResult extends Outcomes {
  strategy: string;
}

/** The figures of one mode. */
export interface ModeResult {
  mode: Mode;
  /** The attacker's best strategy (largest EV). */
  best: StrategyResult;
  strategies: StrategyResult[];
  /** Largest gain G for which the best EV is negative, OPG (0: any gain pays; Infinity: never). */
  breakEvenGain: number;
  gain: number;
  collateral: number;
  workerSlash: number;
  /** OPTIMISTIC: EV of an honest verifier that challenges the wrong result with a bond (if the attacker waits). */
  honestChallengerEv?: number;
}

interface Job {
  collateral: number;
  gain: number;
  workerSlash: number;
}

function jobOf(params: ProtocolParams, a: Assumptions): Job {
  const totalFee = a.fee * (1 + params.protocolFeeBps / BPS);
  const collateral = totalFee * params.stakeToFeeRatio;
  const slashable = collateral + a.workerFreeStake;
  const workerSlash = Math.min(slashable, Math.max((params.slashBps * slashable) / BPS, collateral));
  return { collateral, gain: a.gain ?? collateral + a.fee, workerSlash };
}

function strategies(mode: Mode, params: ProtocolParams, a: Assumptions): StrategyResult[] {
  const job = jobOf(params, a);
  const N = a.totalTickets;
  const K = Math.floor(a.attackerShare * N);
  const honestParty = a.honestPartyShare * N;
  const seatStake = a.attackerAddressStake ?? params.minVerifierStake;

  if (mode === "NONE") {
    // Accepted at submission: no verifier looks, nothing is slashed.
    return [{ strategy: "post (unverified)", ev: job.gain, pFinal: 1, pRejected: 0, pRefunded: 0, pForcedTie: 0 }];
  }

  if (mode === "OPTIMISTIC") {
    const honest = Math.min(Math.max(a.honestChallengers, 1), params.maxChallengers);
    // Wait: final unless an honest verifier challenges (prob. d); then the attacker fills the other challenger
    // slots to share the challenger reward, and keeps the honest bonds if its jury upholds.
    const waited = evaluateCase(
      {
        tickets: N - honest * honestParty,
        attackerTickets: K,
        gainIfUpheld: job.gain + (honest * params.challengeBond * params.voterRewardBps) / BPS,
        lossIfRejected: job.workerSlash,
        slashPool: job.workerSlash,
        challengerShare: (params.maxChallengers - honest) / params.maxChallengers,
      },
      params,
      a,
    );
    const d = a.detection;
    const wait: StrategyResult = {
      strategy: "wait; join the challenge",
      ev: (1 - d) * job.gain + d * waited.ev,
      pFinal: 1 - d + d * waited.pFinal,
      pRejected: d * waited.pRejected,
      pRefunded: d * waited.pRefunded,
      pForcedTie: d * waited.pForcedTie,
    };
    // Self-challenge: the attacker's verifier addresses open the case first and fill every challenger slot, so the
    // whole challenger reward comes back (its own bonds return either way).
    const self = evaluateCase(
      {
        tickets: N,
        attackerTickets: K,
        gainIfUpheld: job.gain,
        lossIfRejected: job.workerSlash,
        slashPool: job.workerSlash,
        challengerShare: 1,
      },
      params,
      a,
    );
    return [wait, { strategy: "self-challenge", ...self }];
  }

  // COMMITTEE: the committee is drawn (with grinding); members reveal attestations. Final without dispute iff at
  // least `quorum` seats agree and none disagrees; otherwise the court judges, with every member excluded from the
  // jury, disagreeing members as stake-backed challengers and agreeing ones as defenders.
  const n = params.committeeSize;
  const committee = seatDistribution(N, K, n, a.proposerShare, a.sampling);
  const policies = ["disagree", "agree", "silent"] as const;
  const totals = Object.fromEntries(
    policies.map((policy) => [policy, { ev: 0, pFinal: 0, pRejected: 0, pRefunded: 0, pForcedTie: 0 }]),
  ) as Record<(typeof policies)[number], Outcomes>;
  const adaptive: Outcomes = { ev: 0, pFinal: 0, pRejected: 0, pRefunded: 0, pForcedTie: 0 };
  const chosen = new Set<string>();
  for (let X = 0; X <= n; X++) {
    const pX = committee[X] ?? 0;
    if (pX === 0) continue;
    const honestMembers = n - X;
    const disagreements = binomialPmf(honestMembers, a.honestRevealRate);
    for (let D = 0; D <= honestMembers; D++) {
      const p = pX * (disagreements[D] ?? 0);
      if (p === 0) continue;
      if (D === 0 && X >= params.quorum) {
        // Every revealing seat is the attacker's: final, whatever the policy.
        for (const t of [...Object.values(totals), adaptive]) {
          t.ev += p * job.gain;
          t.pFinal += p;
        }
        continue;
      }
      const base = {
        tickets: N - honestMembers * honestParty,
        attackerTickets: K,
        gainIfUpheld: job.gain + (D * params.challengeBond * params.voterRewardBps) / BPS,
      };
      const byPolicy: Record<(typeof policies)[number], Outcomes> = {
        disagree: evaluateCase(
          {
            ...base,
            lossIfRejected: job.workerSlash,
            slashPool: job.workerSlash,
            challengerShare: X + D > 0 ? X / (X + D) : 0,
          },
          params,
          a,
        ),
        agree: (() => {
          const defenders = (X * seatStake * params.defenderSlashBps) / BPS;
          return evaluateCase(
            {
              ...base,
              lossIfRejected: job.workerSlash + defenders,
              slashPool: job.workerSlash + defenders,
              challengerShare: 0,
            },
            params,
            a,
          );
        })(),
        silent: (() => {
          const r = evaluateCase(
            { ...base, lossIfRejected: job.workerSlash, slashPool: job.workerSlash, challengerShare: 0 },
            params,
            a,
          );
          return { ...r, ev: r.ev - (X * seatStake * params.silencePenaltyBps) / BPS };
        })(),
      };
      let bestPolicy: (typeof policies)[number] = "disagree";
      for (const policy of policies) {
        const r = byPolicy[policy];
        const t = totals[policy];
        t.ev += p * r.ev;
        t.pFinal += p * r.pFinal;
        t.pRejected += p * r.pRejected;
        t.pRefunded += p * r.pRefunded;
        t.pForcedTie += p * r.pForcedTie;
        if (r.ev > byPolicy[bestPolicy].ev) bestPolicy = policy;
      }
      if (X > 0) chosen.add(bestPolicy);
      const r = byPolicy[bestPolicy];
      adaptive.ev += p * r.ev;
      adaptive.pFinal += p * r.pFinal;
      adaptive.pRejected += p * r.pRejected;
      adaptive.pRefunded += p * r.pRefunded;
      adaptive.pForcedTie += p * r.pForcedTie;
    }
  }
  const members = chosen.size === 0 ? "disagree" : [...chosen].join("/");
  return [
    { strategy: `members ${members} (best per committee)`, ...adaptive },
    ...policies.map((policy) => ({ strategy: `members ${policy}`, ...totals[policy] })),
  ];
}

function bestOf(results: StrategyResult[]): StrategyResult {
  const best = results.reduce((x, y) => (y.ev > x.ev + 1e-12 ? y : x));
  return best.pForcedTie > 1e-12 ? { ...best, strategy: `${best.strategy}; forces ties` } : best;
}

/** The attacker's best EV in `mode` for a gain override (used for the break-even search). */
function bestEv(mode: Mode, params: ProtocolParams, a: Assumptions): number {
  return bestOf(strategies(mode, params, a)).ev;
}

/**
 * The largest gain G (OPG) for which the attacker's best EV stays negative: EV is non-decreasing in G, so this is
 * found by bisection. 0 if even G = 0 pays; Infinity if no gain does (a wrong result can never be final).
 */
export function breakEvenGain(mode: Mode, params: ProtocolParams, a: Assumptions): number {
  const at = (gain: number) => bestEv(mode, params, { ...a, gain });
  if (at(0) >= 0) return 0;
  let lo = 0;
  let hi = Math.max(jobOf(params, a).gain, 1);
  while (at(hi) < 0) {
    lo = hi;
    hi *= 4;
    if (hi > 1e18) return Infinity;
  }
  for (let i = 0; i < 60 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid) < 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The figures of one mode: every strategy, the best one, and the break-even gain. */
export function evaluateMode(mode: Mode, params: ProtocolParams, assumptions: Partial<Assumptions> = {}): ModeResult {
  const a: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  if (!(a.attackerShare >= 0 && a.attackerShare < 1)) throw new RangeError("attackerShare must be in [0, 1)");
  for (const [name, v] of [
    ["detection", a.detection],
    ["proposerShare", a.proposerShare],
    ["honestRevealRate", a.honestRevealRate],
    ["honestPartyShare", a.honestPartyShare],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1]`);
  }
  const all = strategies(mode, params, a);
  const job = jobOf(params, a);
  const result: ModeResult = {
    mode,
    best: bestOf(all),
    strategies: all,
    breakEvenGain: breakEvenGain(mode, params, a),
    gain: job.gain,
    collateral: job.collateral,
    workerSlash: job.workerSlash,
  };
  if (mode === "OPTIMISTIC") {
    // One honest challenger's bond against its share of the challenger reward: the attacker fills the other slots,
    // so each honest challenger holds one `maxChallengers`-th of the challenger weight.
    const wait = all[0];
    if (wait !== undefined && a.detection > 0) {
      const pRejected = wait.pRejected / a.detection;
      const pUpheld = (wait.pFinal - (1 - a.detection)) / a.detection;
      const reward = (job.workerSlash * params.challengerRewardBps) / BPS / params.maxChallengers;
      result.honestChallengerEv = pRejected * reward - pUpheld * params.challengeBond;
    }
  }
  return result;
}

/** Every mode for one parameter set. */
export function evaluateNetwork(params: ProtocolParams, assumptions: Partial<Assumptions> = {}): ModeResult[] {
  return MODES.map((mode) => evaluateMode(mode, params, assumptions));
}

/**
 * Default proposer share π of a network: 0 on local chains, whose single sequencer is the operator (trusted not to
 * grind its own draws); 1 % elsewhere (the attacker builds, or buys, 1 % of blocks).
 */
export function defaultProposerShare(network: string): number {
  return network === "hardhat" || network === "localhost" ? 0 : 0.01;
}
