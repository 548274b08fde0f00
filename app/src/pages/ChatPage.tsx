/**
 * Chat: a conversation with a text model in which every message is a generation request, followed live from
 * requested to settled, with its verification (mode, worker, committee or jury), result hash, transactions and fee.
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";

import type { InferenceRecord } from "../../../offchain/client/client.js";
import { Addresses, ErrorLine, Facts, Hex, ModeBadge, StageTrack } from "../components/common.js";
import { WalletPanel } from "../components/WalletPanel.js";
import { useBalances } from "../lib/balances.js";
import { messageStatus, stageLabel, type ChatMessage, type ChatSession } from "../lib/chat.js";
import { useApp } from "../lib/context.js";
import { formatOpg, relative } from "../lib/format.js";
import { explorerHref } from "../lib/route.js";

const MAX_NEW_TOKENS = 1_024;
const MAX_TEMPERATURE = 2;

export function ChatPage({ session }: { session: ChatSession }) {
  const { models, wallet } = useApp();
  const client = wallet.status === "connected" ? wallet.client : null;
  const { balances, error: balanceError, refresh } = useBalances(client);
  const textModels = useMemo(() => models.filter((m) => m.kind === "CAUSAL_LM" && m.active && !m.suspended), [models]);
  const [modelId, setModelId] = useState<string>("");
  const [maxNewTokens, setMaxNewTokens] = useState(32);
  const [temperature, setTemperature] = useState(0);
  const [autoDeposit, setAutoDeposit] = useState(true);
  const [text, setText] = useState("");
  const [formError, setFormError] = useState<string | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  const model = textModels.find((m) => m.id === modelId) ?? textModels[0];

  // Balances move when a message settles (fee locked, refunds): refresh them then rather than on the next poll.
  useEffect(() => {
    if (!session.busy) void refresh();
  }, [session.busy, refresh]);

  useEffect(() => {
    // A block body: scrollIntoView returns a promise in recent browsers, and an effect may only return a cleanup.
    bottom.current?.scrollIntoView({ block: "end", behavior: "smooth" });
  }, [session.messages.length]);

  const send = () => {
    const message = text.trim();
    if (message === "" || client === null || model === undefined || session.busy) return;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS) {
      setFormError(`max new tokens must be a whole number from 1 to ${MAX_NEW_TOKENS}`);
      return;
    }
    if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
      setFormError(`temperature must be from 0 (greedy) to ${MAX_TEMPERATURE}`);
      return;
    }
    setFormError(null);
    setText("");
    void session.send(client, message, { model, maxNewTokens, temperature, autoDeposit });
  };

  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  };

  return (
    <div className="chat-layout">
      <aside className="sidebar">
        <WalletPanel balances={balances} balanceError={balanceError} refresh={refresh} busy={session.busy} />
        <section className="panel">
          <h2>Model</h2>
          {textModels.length === 0 ? (
            <p className="muted">No active text model (CAUSAL_LM) is registered on this network.</p>
          ) : (
            <>
              <select
                aria-label="Text model"
                data-testid="chat-model"
                value={model?.id ?? ""}
                onChange={(e) => setModelId(e.target.value)}
              >
                {textModels.map((m) => (
                  <option key={m.id} value={m.id}>
                    #{m.id} · {m.mode} · {formatOpg(m.fee)}
                  </option>
                ))}
              </select>
              {model !== undefined && (
                <Facts
                  rows={[
                    ["Mode", <ModeBadge mode={model.mode} />],
                    ["Context", `${model.contextLength} tokens`],
                    ["Fee", formatOpg(model.fee)],
                    ["Model hash", <Hex value={model.contentHash} />],
                  ]}
                />
              )}
            </>
          )}
          <label className="field">
            <span>Max new tokens</span>
            <input
              type="number"
              min={1}
              max={MAX_NEW_TOKENS}
              value={maxNewTokens}
              onChange={(e) => setMaxNewTokens(Number(e.target.value))}
            />
          </label>
          <label className="field">
            <span>Temperature</span>
            <input
              type="number"
              min={0}
              max={MAX_TEMPERATURE}
              step={0.1}
              value={temperature}
              onChange={(e) => setTemperature(Number(e.target.value))}
            />
          </label>
          <label className="check">
            <input type="checkbox" checked={autoDeposit} onChange={(e) => setAutoDeposit(e.target.checked)} />
            <span>Deposit the fee when the free balance is short</span>
          </label>
        </section>
      </aside>

      <section className="conversation">
        <header className="conversation-head">
          <h1>Chat</h1>
          <p className="muted">
            Every message is an inference request: the conversation is its prompt, the reply is the verified, settled
            generation.
          </p>
          {session.messages.length > 0 && (
            <button className="secondary" onClick={session.clear} disabled={session.busy}>
              New conversation
            </button>
          )}
        </header>
        <div className="messages">
          {session.messages.length === 0 && <p className="empty muted">Write a message to start the conversation.</p>}
          {session.messages.map((m) => (
            <MessageView key={m.key} message={m} />
          ))}
          <div ref={bottom} />
        </div>
        <div className="composer">
          <textarea
            data-testid="chat-input"
            placeholder={
              client === null
                ? "Connect a wallet to chat"
                : "Write a message (Enter sends, Shift+Enter breaks the line)"
            }
            value={text}
            rows={2}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={onKey}
            disabled={client === null}
          />
          <button
            data-testid="chat-send"
            onClick={send}
            disabled={client === null || model === undefined || session.busy || text.trim() === ""}
          >
            {session.busy ? "Waiting…" : "Send"}
          </button>
        </div>
        <ErrorLine error={formError} />
      </section>
    </div>
  );
}

function MessageView({ message: m }: { message: ChatMessage }) {
  const record = m.record;
  const status = messageStatus(m);
  const settled = record?.stages.some((s) => s.name === "settled") === true;
  return (
    <article className="message" data-testid="chat-message" data-request-id={m.requestId ?? undefined}>
      <div className="bubble user">{m.text}</div>
      <div className={`bubble assistant ${settled ? "settled" : ""} ${m.phase === "failed" ? "failed" : ""}`}>
        <header className="message-head">
          <ModeBadge mode={record?.mode ?? m.model.mode} />
          <span className="muted">model #{m.model.id}</span>
          {m.requestId !== null && (
            <a href={explorerHref(m.requestId)} data-testid="message-explorer-link">
              request #{m.requestId}
            </a>
          )}
          <span
            className={`status ${settled ? "ok" : m.phase === "failed" ? "bad" : "live"}`}
            data-testid="message-status"
          >
            {status}
          </span>
        </header>
        <StageTrack stages={record?.stages ?? []} failed={m.phase === "failed"} />
        {m.dropped > 0 && (
          <p className="muted small" data-testid="message-dropped">
            {m.dropped} older turn{m.dropped === 1 ? "" : "s"} left out to fit the model's context
          </p>
        )}
        {m.reply !== null && (
          <p className="reply" data-testid="message-reply">
            {m.reply === "" ? <span className="muted">(empty reply)</span> : m.reply}
          </p>
        )}
        {m.phase !== "done" && m.phase !== "failed" && m.reply === null && <p className="typing muted">…</p>}
        {record !== null && !settled && record.deadlines.length > 0 && (
          <p className="muted small">
            {record.deadlines.map((d) => `${d.label} ${relative(d.at, record.chainTime)}`).join(" · ")}
          </p>
        )}
        <ErrorLine error={m.error} />
        {record !== null && <RecordSummary message={m} record={record} />}
      </div>
    </article>
  );
}

/** Who computed and checked the reply, its hash and fee at a glance; the split and transactions on demand. */
function RecordSummary({ message: m, record }: { message: ChatMessage; record: InferenceRecord }) {
  const jurors = record.dispute?.rounds.flatMap((r) => r.seats) ?? [];
  const fee = record.fee.modelFee + record.fee.protocolFee + record.fee.callbackFee;
  // One line per transaction (a NONE-mode result is posted, verified and settled by the same one).
  const transactions = new Map<string, string[]>();
  const add = (hash: string, label: string) => transactions.set(hash, [...(transactions.get(hash) ?? []), label]);
  if (m.requestTx !== null) add(m.requestTx, "request");
  for (const stage of record.stages) if (stage.name !== "requested") add(stage.txHash, stageLabel(stage.name));
  for (const a of record.attestations) add(a.txHash, `attestation ${a.agree ? "✓" : "✗"}`);
  return (
    <>
      <div className="summary small">
        <span>
          <span className="muted">worker</span>{" "}
          {record.worker === null ? (
            <span className="muted">not assigned</span>
          ) : (
            <Hex value={record.worker} keep={4} />
          )}
        </span>
        {record.committee.length > 0 && (
          <span>
            <span className="muted">committee</span> <Addresses list={record.committee} />
          </span>
        )}
        {record.attestations.length > 0 && (
          <span>
            <span className="muted">attested</span>{" "}
            {record.attestations.map((a) => (a.agree ? "✓" : "✗").repeat(a.seats)).join("")}
          </span>
        )}
        {jurors.length > 0 && (
          <span>
            <span className="muted">jurors</span> <Addresses list={jurors} />
          </span>
        )}
        <span>
          <span className="muted">result</span>{" "}
          {record.resultHash === null ? <span className="muted">none yet</span> : <Hex value={record.resultHash} />}
        </span>
        <span>
          <span className="muted">fee</span> {formatOpg(fee)}
        </span>
      </div>
      <details className="record">
        <summary>Settlement and transactions</summary>
        <Facts
          rows={[
            record.dispute !== null && [
              "Dispute",
              `${record.dispute.outcome}, ${record.dispute.rounds.length} jury round(s), challenged by ${record.dispute.challengers.length}`,
            ],
            ["Fee locked", `${formatOpg(record.fee.modelFee)} model + ${formatOpg(record.fee.protocolFee)} protocol`],
            record.settlement?.kind === "finalized" && [
              "Paid",
              `worker ${formatOpg(record.settlement.workerPay)} · verifiers ${formatOpg(record.settlement.verifierPay)} · ` +
                `royalty ${formatOpg(record.settlement.royalty)} · treasury ${formatOpg(record.settlement.treasuryPay)}`,
            ],
            record.settlement?.kind === "refunded" && [
              "Refunded",
              `${formatOpg(record.settlement.amount)} (${record.settlement.reason})`,
            ],
            m.promptTokens !== null && ["Prompt", `${m.promptTokens} tokens`],
            m.stopName !== null && ["Stopped by", m.stopName],
            [
              "Transactions",
              <ul className="txs">
                {[...transactions].map(([hash, labels]) => (
                  <li key={hash}>
                    <Hex value={hash} /> <span className="muted">{labels.join(", ")}</span>
                  </li>
                ))}
              </ul>,
            ],
          ]}
        />
      </details>
    </>
  );
}
