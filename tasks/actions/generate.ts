/**
 * `generate`: text generation with a registered causal language model. The prompt is encoded with the model's
 * registered tokenizer (fetched and checked against its sha256) and checked as the worker will check it, so nothing
 * is paid for a request that could only earn an error result; with --wait the stages are followed like `infer` and
 * the verified text is printed with its token count and its record.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { OpgClient } from "../../offchain/client/client.js";
import {
  GenerationInputError,
  NoGenerationError,
  NotALanguageModelError,
  buildGenerationRequest,
  readGeneration,
} from "../../offchain/client/generation.js";
import { MAX_SEED, encodeGenerationRequest } from "../../offchain/lm/generation.js";
import { TaskInputError, commandHint, formatOpg, openProtocol, parseId, parseTemperature } from "./context.js";
import { friendly, funds, printRecord, progressReporter, sending } from "./requester.js";

export async function generateAction(
  args: {
    deployment: string;
    account: string;
    model: string;
    prompt: string;
    maxTokens: number;
    temperature: string;
    seed: string;
    timeout: number;
    wait: boolean;
    json: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  const say = args.json ? console.error : console.log;
  const modelId = parseId(args.model, "--model", `see \`${commandHint(hre, "model:list", args)}\``);
  if (args.prompt === "")
    throw new TaskInputError('--prompt is empty: pass the text to continue, e.g. --prompt "The jury said"');
  const temperature = parseTemperature(args.temperature);
  let seed: bigint | undefined;
  if (args.seed !== "") {
    if (!/^\d+$/.test(args.seed) || BigInt(args.seed) > MAX_SEED) {
      throw new TaskInputError(`--seed must be a whole number from 0 to ${MAX_SEED}, got "${args.seed}"`);
    }
    seed = BigInt(args.seed);
  }
  const ctx = await openProtocol(hre, args);
  const count = await ctx.contracts.registry.modelCount();
  if (modelId > count) {
    throw new TaskInputError(
      `model #${modelId} does not exist (${count} registered): see \`${commandHint(hre, "model:list", args)}\``,
    );
  }
  const client = new OpgClient(ctx.addresses, ctx.signer);
  const model = await typed(client.languageModel(modelId));
  const request = await typed(
    Promise.resolve().then(() =>
      buildGenerationRequest(model, { prompt: args.prompt, maxNewTokens: args.maxTokens, temperature, seed }),
    ),
  );
  const started = Date.now();
  const { requestId, txHash } = await funds(
    sending(ctx, () => client.request(modelId, encodeGenerationRequest(request), { autoDeposit: true })),
  );
  say(
    `request #${requestId} sent (tx ${txHash}), prompt ${request.prompt.length} tokens, up to ${request.maxNewTokens} ` +
      `new, temperature ${request.temperatureMilli / 1000}, seed ${request.seed}, fee ${formatOpg(await client.quote(modelId))}`,
  );
  if (!args.wait) {
    say(`follow it with: ${commandHint(hre, `request:status --id ${requestId}`, args)}`);
    return;
  }
  const record = await friendly(
    client.wait(requestId, { timeoutSeconds: args.timeout, ...progressReporter(say, started) }),
  );
  if (record.status !== "Finalized") {
    printRecord(record, args.json);
    const refunded = record.settlement?.kind === "refunded" ? `; ${formatOpg(record.settlement.amount)} refunded` : "";
    throw new TaskInputError(
      `request #${requestId} ended ${record.status}: there is no verified text${refunded}; send it again`,
    );
  }
  const generation = await typed(Promise.resolve().then(() => readGeneration(model, request, record)));
  if (args.json) {
    const out = { text: generation.text, tokens: generation.tokens, stop: generation.stopName, record };
    console.log(JSON.stringify(out, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    return;
  }
  console.log(`\n${args.prompt}${generation.text}`);
  console.log(
    `\n${generation.tokens.length} new tokens (stop: ${generation.stopName}), verified; prompt ${generation.promptTokens} tokens`,
  );
  printRecord(record, false);
}

/** The generation client's typed errors carry their fix: one line, no stack trace. */
async function typed<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (
      error instanceof NotALanguageModelError ||
      error instanceof GenerationInputError ||
      error instanceof NoGenerationError
    ) {
      throw new TaskInputError(error.message);
    }
    throw error;
  }
}
