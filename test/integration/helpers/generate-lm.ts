/**
 * Child process for the cross-process determinism test: generates with the shipped language model and the
 * protocol's sampler, prints `{ pid, results }` as JSON. Argument: a JSON job `{ requests: [{ requestId, prompt,
 * maxNewTokens, temperatureMilli, seed }], threads }`.
 *
 * Mocha loads every file under test/integration: this one only does its work when it is the process's entry script.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import { Decoder } from "../../../offchain/lm/decoder.js";
import { stepping } from "../../../offchain/lm/adapters.js";
import { generate } from "../../../offchain/lm/generate.js";
import { readShippedLanguageModel } from "../../../offchain/lm/shipped.js";
import { defaultSessionOptions } from "../../../offchain/model/runtime.js";

interface Job {
  requests: Array<{
    requestId: string;
    prompt: number[];
    maxNewTokens: number;
    temperatureMilli: number;
    seed: string;
  }>;
  threads: number;
}

async function main(job: Job): Promise<void> {
  const shipped = await readShippedLanguageModel();
  const decoder = await Decoder.load({
    model: shipped.model,
    tokenizer: shipped.tokenizer,
    sessionOptions: { ...defaultSessionOptions(), intraOpNumThreads: job.threads },
  });
  const model = {
    limits: { contextLength: decoder.contextLength, eosTokenId: decoder.eosTokenId, vocabSize: decoder.vocabSize },
    decimals: 4,
    tolerance: 10n,
  };
  const results = [];
  for (const r of job.requests) {
    const request = {
      prompt: r.prompt,
      maxNewTokens: r.maxNewTokens,
      temperatureMilli: r.temperatureMilli,
      seed: BigInt(r.seed),
    };
    results.push(await generate(stepping(decoder), BigInt(r.requestId), request, model));
  }
  await decoder.close();
  console.log(JSON.stringify({ pid: process.pid, results }));
}

const entry = process.argv[1];
if (entry !== undefined && path.resolve(entry) === fileURLToPath(import.meta.url)) {
  await main(JSON.parse(process.argv[2] ?? "{}") as Job);
}
