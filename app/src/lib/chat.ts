/**
 * The chat session: every message the user writes becomes one generation request whose prompt is the conversation
 * so far (offchain/chat/conversation.ts: oldest turns dropped to fit the context), followed through its stages
 * until it settles; the verified generation, cut at the next turn, is the reply. Kept above the pages so a request
 * keeps being followed while another page is open.
 */
import { useCallback, useRef, useState } from "react";

import type { InferenceRecord, OpgClient, Stage } from "../../../offchain/client/client.js";
import { conversationPrompt, replyText, type Turn } from "../../../offchain/chat/conversation.js";
import type { ApiModel } from "./api.js";
import { errorText } from "./format.js";

export type MessagePhase = "preparing" | "sending" | "waiting" | "done" | "failed";

export interface ChatMessage {
  key: number;
  text: string;
  model: ApiModel;
  maxNewTokens: number;
  temperature: number;
  phase: MessagePhase;
  /** Older turns left out of the prompt to fit the model's context. */
  dropped: number;
  promptTokens: number | null;
  requestId: string | null;
  /** The request transaction. */
  requestTx: string | null;
  /** The latest record read while following the request. */
  record: InferenceRecord | null;
  /** The reply shown (the generation up to the next turn) and the whole verified generation. */
  reply: string | null;
  generated: string | null;
  stopName: string | null;
  error: string | null;
}

export interface SendOptions {
  model: ApiModel;
  maxNewTokens: number;
  temperature: number;
  autoDeposit: boolean;
}

export interface ChatSession {
  messages: ChatMessage[];
  /** A message is being sent or followed (the next one waits: the conversation is its prompt). */
  busy: boolean;
  send: (client: OpgClient, text: string, options: SendOptions) => Promise<void>;
  clear: () => void;
}

/** A stage's name as the pages show it: a language model's result is its generation. */
export function stageLabel(name: Stage["name"], generation = true): string {
  return name === "computed" && generation ? "generated" : name;
}
export const STAGE_ORDER: Array<Stage["name"]> = ["requested", "assigned", "computed", "verified", "settled"];

/** The message's status in words; once the request has settled it contains "settled". */
export function messageStatus(message: ChatMessage): string {
  const record = message.record;
  const settled = record?.stages.some((s) => s.name === "settled") === true;
  if (message.phase === "preparing") return "preparing the prompt";
  if (message.phase === "sending") return "sending the request";
  if (settled && record !== null) {
    if (record.settlement?.kind === "refunded") return `settled: refunded (${record.settlement.reason})`;
    if (record.output?.isError === true) return `settled: error result ${record.output.errorCode ?? ""}`.trim();
    return "settled";
  }
  if (message.phase === "failed") return "failed";
  const last = record?.stages.at(-1);
  return last === undefined ? "requested" : stageLabel(last.name);
}

/** The turns of the messages that got a reply (failed exchanges are not part of the conversation). */
function conversationTurns(messages: readonly ChatMessage[]): Turn[] {
  return messages.flatMap((m): Turn[] =>
    m.phase === "done" && m.reply !== null
      ? [
          { role: "user", text: m.text },
          { role: "assistant", text: m.reply },
        ]
      : [],
  );
}

export function useChatSession(onSettled?: () => void): ChatSession {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [busy, setBusy] = useState(false);
  const nextKey = useRef(1);
  const current = useRef<ChatMessage[]>([]);
  current.current = messages;

  const send = useCallback(
    async (client: OpgClient, text: string, options: SendOptions) => {
      const key = nextKey.current++;
      const turns = [...conversationTurns(current.current), { role: "user" as const, text }];
      const update = (patch: Partial<ChatMessage>) =>
        setMessages((all) => all.map((m) => (m.key === key ? { ...m, ...patch } : m)));
      setMessages((all) => [
        ...all,
        {
          key,
          text,
          model: options.model,
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature,
          phase: "preparing",
          dropped: 0,
          promptTokens: null,
          requestId: null,
          requestTx: null,
          record: null,
          reply: null,
          generated: null,
          stopName: null,
          error: null,
        },
      ]);
      setBusy(true);
      try {
        const modelId = BigInt(options.model.id);
        const lm = await client.languageModel(modelId);
        const prompt = conversationPrompt(turns, lm.tokenizer, lm.contextLength, options.maxNewTokens);
        update({ phase: "sending", dropped: prompt.dropped, promptTokens: prompt.ids.length });
        const outcome = await client.generate(modelId, {
          prompt: prompt.ids,
          maxNewTokens: options.maxNewTokens,
          temperature: options.temperature,
          autoDeposit: options.autoDeposit,
          onSent: (sent) => update({ phase: "waiting", requestId: sent.requestId.toString(), requestTx: sent.txHash }),
          onRecord: (record) => update({ record }),
        });
        update({
          phase: "done",
          record: outcome.record,
          reply: replyText(outcome.text),
          generated: outcome.text,
          stopName: outcome.stopName,
        });
      } catch (error) {
        update({ phase: "failed", error: errorText(error) });
      } finally {
        setBusy(false);
        onSettled?.();
      }
    },
    [onSettled],
  );

  const clear = useCallback(() => setMessages([]), []);
  return { messages, busy, send, clear };
}
