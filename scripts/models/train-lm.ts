/**
 * Trains the language model and writes `models/lm/`: `model.onnx` (decoder with a key/value cache),
 * `model-no-cache.onnx`, `tokenizer.json` and `model.json` (hyper-parameters, seed, held-out figures, sha256s).
 * Prints training progress (step, loss, tokens/s, ETA), the held-out loss, perplexity and bits per character, and
 * a greedy sample generated through onnxruntime. About ten minutes on one core (docs/MODELS.md).
 *
 *   npm run models:train-lm
 *   OPG_LM_SEED=7 OPG_LM_DIR=/tmp/lm npx tsx scripts/models/train-lm.ts      # another seed / directory
 *   OPG_LM_STEPS=20 OPG_LM_DIR=/tmp/lm npx tsx scripts/models/train-lm.ts    # a quick check (20 + 3 steps)
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { buildLanguageModel, LM_SEED, LM_TRAINING, type LanguageModel } from "../../offchain/lm/build.js";
import { Decoder } from "../../offchain/lm/decoder.js";
import type { StepReport } from "../../offchain/lm/train.js";

const seed = process.env.OPG_LM_SEED === undefined ? LM_SEED : Number(process.env.OPG_LM_SEED);
const dir = path.resolve(process.env.OPG_LM_DIR ?? "models/lm");
const quickSteps = process.env.OPG_LM_STEPS === undefined ? undefined : Number(process.env.OPG_LM_STEPS);
const SIZE_LIMIT = 5 * 1024 * 1024;
const SAMPLE_PROMPT = "The jury said that";
const SAMPLE_TOKENS = 40;

const started = performance.now();
const clock = (ms: number): string => {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
};
const tty = process.stdout.isTTY === true;
let smoothed: number | null = null;

function showStep(r: StepReport): void {
  smoothed = smoothed === null ? r.loss : 0.9 * smoothed + 0.1 * r.loss;
  const line =
    `  step ${String(r.step).padStart(4)}/${r.totalSteps}  phase ${r.phase + 1}  loss ${r.loss.toFixed(3)} ` +
    `(avg ${smoothed.toFixed(3)})  lr ${r.learningRate.toExponential(2)}  ${Math.round(r.tokensPerSecond)} tok/s  ` +
    `elapsed ${clock(r.elapsedMs)}  ETA ${clock(r.etaMs)}`;
  if (tty) process.stdout.write(`\r${line}${r.step === r.totalSteps ? "\n" : ""}`);
  else if (r.step % 20 === 0 || r.step === 1 || r.step === r.totalSteps) console.log(line);
}

console.log(`Training the OPG language model (seed ${seed}) into ${path.relative(process.cwd(), dir) || "."}/`);
const training =
  quickSteps === undefined
    ? {}
    : {
        phases: [
          { ...(LM_TRAINING.phases[0] as (typeof LM_TRAINING.phases)[number]), steps: quickSteps },
          { ...(LM_TRAINING.phases[1] as (typeof LM_TRAINING.phases)[number]), steps: 3 },
        ],
        warmupSteps: Math.max(1, Math.min(LM_TRAINING.warmupSteps, Math.floor(quickSteps / 2))),
      };
const lm: LanguageModel = await buildLanguageModel({
  seed,
  training,
  onStep: showStep,
  onProgress: (message) => console.log(`  [${clock(performance.now() - started)}] ${message}`),
});

await mkdir(dir, { recursive: true });
const card = lm.card;
await writeFile(path.join(dir, card.files.model.file), lm.model);
await writeFile(path.join(dir, card.files.modelNoCache.file), lm.modelNoCache);
await writeFile(path.join(dir, card.files.tokenizer.file), lm.tokenizerJson);
const cardText = `${JSON.stringify(card, null, 2)}\n`;
await writeFile(path.join(dir, "model.json"), cardText);

const h = card.heldOut;
console.log(
  `\nHeld-out (${card.dataset.split.split(":")[0]}; ${h.tokens.toLocaleString("en-US")} tokens, ` +
    `${h.bytes.toLocaleString("en-US")} characters):`,
);
console.log(
  `  loss ${h.loss.toFixed(4)} nats/token   perplexity ${h.perplexity.toFixed(2)}   ${h.bitsPerCharacter.toFixed(4)} bits/character`,
);
console.log(
  `  training: ${card.training.tokensSeen.toLocaleString("en-US")} tokens in ${clock(card.training.seconds * 1000)} (${card.training.tokensPerSecond} tok/s)`,
);

const decoder = await Decoder.load({ model: lm.model, tokenizer: lm.tokenizerJson });
try {
  const ids = decoder.tokenizer.encode(SAMPLE_PROMPT);
  let { logits, cache } = await decoder.step(ids);
  const generated: number[] = [];
  for (let i = 0; i < SAMPLE_TOKENS; i++) {
    const row = logits[logits.length - 1] as Float32Array;
    let best = 0;
    for (let v = 1; v < row.length; v++) if ((row[v] as number) > (row[best] as number)) best = v;
    if (best === decoder.eosTokenId) break;
    generated.push(best);
    ({ logits, cache } = await decoder.step([best], cache));
  }
  console.log(
    `\nGreedy sample (onnxruntime, KV cache): ${JSON.stringify(SAMPLE_PROMPT + decoder.tokenizer.decode(generated))}`,
  );
} finally {
  await decoder.close();
}

console.log("\nfile                  size        sha256");
let total = cardText.length;
for (const f of Object.values(card.files)) {
  total += f.sizeBytes;
  console.log(`${f.file.padEnd(21)} ${`${(f.sizeBytes / 1024).toFixed(1)} KB`.padStart(10)}  ${f.sha256}`);
}
console.log(`model.json            ${`${(cardText.length / 1024).toFixed(1)} KB`.padStart(10)}`);
console.log(`total                 ${`${(total / 1024 / 1024).toFixed(2)} MB`.padStart(10)} (limit 5 MB)`);
if (total > SIZE_LIMIT) {
  console.error("The files exceed 5 MB together: shrink the model (LM_ARCHITECTURE in offchain/lm/build.ts).");
  process.exitCode = 1;
}
console.log(`\nDone in ${clock(performance.now() - started)}.`);
