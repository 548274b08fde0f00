/**
 * Dishonest behaviours for demos and tests, injected into the node classes (which hold none themselves): a worker
 * that posts wrong outputs, so the network can be seen challenging, out-voting and slashing it.
 */
import { perturbOutput } from "../model/tolerance.js";
import type { OutputTamperer } from "./worker.js";

/**
 * Posts an output outside the model's tolerance for a fraction `rate` of requests (decided per request id, so a
 * restarted cheater makes the same choice). Error results are left alone.
 */
export function cheatingTamperer(rate: number): OutputTamperer | undefined {
  if (rate <= 0) return undefined;
  return (requestId, outcome, model) => {
    if (outcome.kind !== "ok") return null;
    if (Number((requestId * 2654435761n) % 1000n) / 1000 >= rate) return null;
    return perturbOutput(outcome.output, model.tolerance * 1_000n + 1_000_000n);
  };
}
