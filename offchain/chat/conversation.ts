/**
 * A conversation as the prompt of a causal language model — shared by the terminal chat, the web app and the
 * OpenAI-style API, and free of Node APIs so it runs in the browser too.
 *
 * Format: every turn is one block `User: <text>` or `Assistant: <text>`, blocks separated by a newline, and the
 * prompt ends with `Assistant:` for the model to continue. The prompt must leave room for the reply inside the
 * model's context: when the whole conversation does not fit in `contextLength − maxNewTokens` tokens, the oldest
 * turns are dropped, whole and one at a time, until it does (the latest user message is always kept; a message too
 * long on its own is refused). The reply shown is the generated text up to the first line that starts a new turn
 * (`User:` / `Assistant:`), trimmed; the on-chain record keeps every generated token.
 */
import type { LmTokenizer } from "../lm/tokenizer.js";

export type Role = "user" | "assistant";

export interface Turn {
  role: Role;
  text: string;
}

export interface ConversationPrompt {
  /** The prompt text (what the tokenizer encoded). */
  text: string;
  /** Its token ids. */
  ids: number[];
  /** Oldest turns left out to fit the context. */
  dropped: number;
}

/** The latest message alone does not leave room for the reply in the model's context. */
export class MessageTooLongError extends Error {
  override readonly name = "MessageTooLongError";
}

const LABEL: Record<Role, string> = { user: "User:", assistant: "Assistant:" };
const TURN_START = /\n(?:User|Assistant):/;

/** The prompt text of `turns`, ending with the assistant's label. */
export function formatConversation(turns: readonly Turn[]): string {
  return [...turns.map((t) => `${LABEL[t.role]} ${t.text.trim()}`), LABEL.assistant].join("\n");
}

/**
 * The prompt of `turns` (the last one the user's new message) that leaves `maxNewTokens` free in the context,
 * dropping the oldest turns as needed.
 * @throws {MessageTooLongError} when even the last turn alone does not fit
 */
export function conversationPrompt(
  turns: readonly Turn[],
  tokenizer: Pick<LmTokenizer, "encode">,
  contextLength: number,
  maxNewTokens: number,
): ConversationPrompt {
  if (turns.length === 0) throw new MessageTooLongError("the conversation is empty: write a message first");
  const budget = contextLength - maxNewTokens;
  for (let dropped = 0; dropped < turns.length; dropped++) {
    const text = formatConversation(turns.slice(dropped));
    const ids = tokenizer.encode(text);
    if (ids.length <= budget) return { text, ids, dropped };
  }
  const alone = tokenizer.encode(formatConversation(turns.slice(-1))).length;
  throw new MessageTooLongError(
    `your message takes ${alone} tokens, but the model's context holds ${contextLength} with ${maxNewTokens} kept ` +
      `for the reply: shorten it by at least ${alone - budget} tokens`,
  );
}

/** The reply to show: the generated text up to the first line that starts another turn, trimmed. */
export function replyText(generated: string): string {
  const cut = generated.search(TURN_START);
  return (cut >= 0 ? generated.slice(0, cut) : generated).trim();
}
