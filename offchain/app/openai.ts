/**
 * The OpenAI-style chat API backed by the network: `POST /v1/chat/completions` takes OpenAI's request shape, turns
 * the messages into the conversation prompt of a registered language model (offchain/chat/conversation.ts), sends
 * it as a generation request, follows it until it is final on-chain and answers in OpenAI's response shape, with
 * the request id, its record link and the result hash in an `opg` field. `GET /v1/models` lists the language models.
 *
 * Differences from OpenAI, each answered with an OpenAI-style error: no streaming, one choice (`n` = 1), and the model
 * is a registry id ("7"). `system` messages become the first user turn (the shipped model has no system role).
 */
import type { OpgClient } from "../client/client.js";
import { GenerationInputError, NoGenerationError, NotALanguageModelError } from "../client/generation.js";
import { MessageTooLongError, conversationPrompt, replyText, type Turn } from "../chat/conversation.js";
import type { ModelSummary } from "./models.js";

/** An error in OpenAI's shape, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: "invalid_request_error" | "api_error" = "invalid_request_error",
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): object {
    return { error: { message: this.message, type: this.type, param: this.param, code: null } };
  }
}

export interface ChatCompletionDeps {
  /** The client that pays for API requests (null: the API has no account and says how to give it one). */
  client: OpgClient | null;
  models: () => Promise<ModelSummary[]>;
  /** Link to a request's record in the web app's explorer. */
  recordUrl: (requestId: bigint) => string;
  /** Seconds to wait for a request to be final. */
  timeoutSeconds: number;
}

const DEFAULT_MAX_TOKENS = 48;

export async function listModels(deps: ChatCompletionDeps): Promise<object> {
  const models = (await deps.models()).filter((m) => m.kind === "CAUSAL_LM" && m.active && !m.suspended);
  return {
    object: "list",
    data: models.map((m) => ({ id: m.id, object: "model", created: 0, owned_by: m.owner, opg: m })),
  };
}

export async function chatCompletion(body: unknown, deps: ChatCompletionDeps): Promise<object> {
  const request = parseRequest(body);
  if (deps.client === null) {
    throw new ApiError(
      503,
      "this server has no account to pay for requests: start it with OPG_APP_PRIVATE_KEY (a funded account)",
      "api_error",
    );
  }
  const client = deps.client;
  let model;
  try {
    model = await client.languageModel(BigInt(request.model));
  } catch (error) {
    if (error instanceof NotALanguageModelError)
      throw new ApiError(400, error.message, "invalid_request_error", "model");
    throw new ApiError(
      404,
      `model ${request.model} does not exist: GET /v1/models lists them`,
      "invalid_request_error",
      "model",
    );
  }
  let prompt;
  try {
    prompt = conversationPrompt(request.turns, model.tokenizer, model.contextLength, request.maxTokens);
  } catch (error) {
    if (error instanceof MessageTooLongError)
      throw new ApiError(400, error.message, "invalid_request_error", "messages");
    throw error;
  }
  let outcome;
  try {
    outcome = await client.generate(BigInt(request.model), {
      model,
      prompt: prompt.ids,
      maxNewTokens: request.maxTokens,
      temperature: request.temperature,
      seed: request.seed,
      autoDeposit: true,
      timeoutSeconds: deps.timeoutSeconds,
    });
  } catch (error) {
    if (error instanceof GenerationInputError) throw new ApiError(400, error.message);
    if (error instanceof NoGenerationError) throw new ApiError(502, error.message, "api_error");
    throw error;
  }
  const { record } = outcome;
  if (record.status !== "Finalized") {
    throw new ApiError(
      502,
      `request ${record.requestId} ended ${record.status}: no verified text (the fee was refunded); send it again`,
      "api_error",
    );
  }
  const content = replyText(outcome.text);
  const completionTokens = outcome.tokens.length;
  return {
    id: `opg-${record.requestId}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content },
        finish_reason: outcome.stopName === "eos" ? "stop" : "length",
      },
    ],
    usage: {
      prompt_tokens: prompt.ids.length,
      completion_tokens: completionTokens,
      total_tokens: prompt.ids.length + completionTokens,
    },
    opg: {
      requestId: record.requestId.toString(),
      record: deps.recordUrl(record.requestId),
      status: record.status,
      mode: record.mode,
      worker: record.worker,
      resultHash: record.resultHash,
      droppedTurns: prompt.dropped,
      seed: outcome.request.seed.toString(),
      transactions: record.stages.map((s) => ({ stage: s.name, tx: s.txHash })),
      generated: outcome.text,
    },
  };
}

interface ParsedRequest {
  model: string;
  turns: Turn[];
  maxTokens: number;
  temperature: number;
  seed: bigint | undefined;
}

function parseRequest(body: unknown): ParsedRequest {
  if (typeof body !== "object" || body === null) throw new ApiError(400, "the body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (b["stream"] === true)
    throw new ApiError(400, "streaming is not supported: send stream: false", "invalid_request_error", "stream");
  if (b["n"] !== undefined && b["n"] !== 1)
    throw new ApiError(400, "only n = 1 is supported", "invalid_request_error", "n");
  const model = typeof b["model"] === "number" ? String(b["model"]) : b["model"];
  if (typeof model !== "string" || !/^[1-9]\d*$/.test(model)) {
    throw new ApiError(
      400,
      'model must be a language model id such as "7" (GET /v1/models)',
      "invalid_request_error",
      "model",
    );
  }
  const messages = b["messages"];
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ApiError(
      400,
      "messages must be a non-empty array of {role, content}",
      "invalid_request_error",
      "messages",
    );
  }
  const turns: Turn[] = messages.map((m: unknown, i) => {
    const message = m as { role?: unknown; content?: unknown };
    if (typeof message?.content !== "string") {
      throw new ApiError(400, `messages[${i}].content must be a string`, "invalid_request_error", "messages");
    }
    if (message.role === "user" || message.role === "system") return { role: "user", text: message.content };
    if (message.role === "assistant") return { role: "assistant", text: message.content };
    throw new ApiError(
      400,
      `messages[${i}].role must be system, user or assistant`,
      "invalid_request_error",
      "messages",
    );
  });
  if (turns.at(-1)?.role !== "user") {
    throw new ApiError(400, "the last message must be the user's", "invalid_request_error", "messages");
  }
  const maxTokens = b["max_tokens"] ?? b["max_completion_tokens"] ?? DEFAULT_MAX_TOKENS;
  if (!Number.isSafeInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > 1024) {
    throw new ApiError(400, "max_tokens must be a whole number from 1 to 1024", "invalid_request_error", "max_tokens");
  }
  const temperature = b["temperature"] ?? 0;
  if (typeof temperature !== "number" || !(temperature >= 0 && temperature <= 2)) {
    throw new ApiError(400, "temperature must be a number from 0 to 2", "invalid_request_error", "temperature");
  }
  const seed = b["seed"];
  if (seed !== undefined && (!Number.isSafeInteger(seed) || (seed as number) < 0)) {
    throw new ApiError(400, "seed must be a non-negative whole number", "invalid_request_error", "seed");
  }
  return {
    model,
    turns,
    maxTokens: maxTokens as number,
    temperature,
    seed: seed === undefined ? undefined : BigInt(seed as number),
  };
}
