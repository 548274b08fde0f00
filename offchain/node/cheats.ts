/**
 * Dishonest behaviours for demos, the devnet and tests, injected into the node classes (which hold none themselves):
 * a worker that posts wrong outputs, so the network can be seen challenging, out-voting and slashing it; verifiers
 * that stay silent, so silence penalties, escalations and appeals can be seen; a lazy verifier that attests without
 * computing. The production tasks (`npx hardhat worker|verifier`) have no option that reaches these.
 */
import { decodeGenerationResult, encodeGenerationResult } from "../lm/generation.js";
import { perturbOutput } from "../model/tolerance.js";
import { KIND_CAUSAL_LM } from "./jobs.js";
import type { BallotStrategy } from "./verifier.js";
import type { OutputTamperer } from "./worker.js";

/**
 * Posts a wrong result for a fraction `rate` of requests (decided per request id, so a restarted cheater makes the
 * same choice): a tensor output outside the model's tolerance, or a generation with one token substituted (a
 * valid token id, the rest of the text unchanged: the subtlest lie about a generation). Error results are left alone.
 */
export function cheatingTamperer(rate: number): OutputTamperer | undefined {
  if (rate <= 0) return undefined;
  return (requestId, outcome, model) => {
    if (outcome.kind !== "ok") return null;
    if (Number((requestId * 2654435761n) % 1000n) / 1000 >= rate) return null;
    if (BigInt(model.kind) === KIND_CAUSAL_LM)
      return substituteToken(outcome.output, requestId, Number(model.eosTokenId));
    return perturbOutput(outcome.output, model.tolerance * 1_000n + 1_000_000n);
  };
}

/** The generation with the token at a position chosen by `requestId` replaced by a neighbouring id (never EOS). */
export function substituteToken(output: Uint8Array, requestId: bigint, eosTokenId: number): Uint8Array | null {
  const generation = decodeGenerationResult(output);
  if ("problem" in generation || generation.tokens.length === 0) return null;
  const tokens = [...generation.tokens];
  // Not the last token when there are several: substituting a final EOS would also break the stop rule.
  const position = Number(requestId % BigInt(Math.max(1, tokens.length - 1)));
  const original = tokens[position]!;
  let substitute = original === 0 ? 1 : original - 1;
  if (substitute === eosTokenId) substitute = substitute === 0 ? 2 : substitute - 1;
  tokens[position] = substitute;
  return encodeGenerationResult({ tokens, stop: generation.stop });
}

/** Stays silent (never commits) as a juror in the given court rounds, and honest otherwise. */
export function silentJuror(rounds: readonly number[]): BallotStrategy {
  return ({ kind, round, verify }) => (kind === "vote" && rounds.includes(round) ? null : verify());
}

/** Stays silent as a committee member (never commits an attestation), and honest otherwise. */
export const silentMember: BallotStrategy = ({ kind, verify }) => (kind === "attestation" ? null : verify());

/**
 * A lazy verifier: attests "agree" and votes to uphold the worker without running the model. Honest committees and
 * juries out-vote it when the worker cheated, and it then loses its minority or silence penalties. Combine with
 * `sampleRate: 0` (it re-checks no OPTIMISTIC result either).
 */
export const lazyVerifier: BallotStrategy = () => true;
