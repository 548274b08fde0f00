/**
 * Normal samples for weight initialisation from the project's seeded generator (`offchain/zoo/random.ts`), so the
 * same seed gives the same float32 weights on every machine.
 */
import type { SeededRandom } from "../zoo/random.js";

/** `n` float32 samples of normal(0, sigma) from `rng` (Box–Muller, both outputs of each pair used). */
export function gaussian(rng: SeededRandom, n: number, sigma: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1 - rng.next(); // (0, 1]: the logarithm is finite
    const u2 = rng.next();
    const r = Math.sqrt(-2 * Math.log(u1)) * sigma;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
