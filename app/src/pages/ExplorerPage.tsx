/**
 * Explorer: one request's whole record from the chain — model, input and decoded output, the verification history
 * (stages, committee attestations, challenges, jury rounds and votes, appeals) and the settlement split — with the
 * result hash recomputed in this browser from the posted output bytes.
 */
import { useState, type FormEvent } from "react";

import { TERMINAL } from "../../../offchain/client/client.js";
import { dtypeLabel, type TensorData } from "../../../offchain/codec/tensor.js";
import { Addresses, ErrorLine, Facts, Hex, ModeBadge, StageTrack } from "../components/common.js";
import { stageLabel } from "../lib/chat.js";
import { useApp } from "../lib/context.js";
import { loadRequest, tensorValues, type ExplorerData, type InputView, type OutputView } from "../lib/explorer.js";
import { errorText, formatOpg, relative } from "../lib/format.js";
import { explorerHref } from "../lib/route.js";
import { usePoll } from "../lib/usePoll.js";

export function ExplorerPage({ requestId }: { requestId: string | null }) {
  const { reader } = useApp();
  const [query, setQuery] = useState(requestId ?? "");
  const [data, setData] = useState<ExplorerData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const valid = requestId !== null && /^\d+$/.test(requestId);
  const terminal = data !== null && TERMINAL.has(data.record.status);

  usePoll(
    async () => {
      if (!valid) {
        setData(null);
        setError(requestId === null ? null : `"${requestId}" is not a request id (a whole number)`);
        return;
      }
      setLoading(true);
      try {
        const loaded = await loadRequest(reader, BigInt(requestId));
        setData(loaded);
        setError(null);
      } catch (e) {
        setError(errorText(e)); // a record already shown stays (a failed poll is no reason to blank it)
      } finally {
        setLoading(false);
      }
    },
    // A request that is still moving is read again every few seconds; a terminal one once.
    terminal ? null : 3_000,
    [requestId, reader, terminal],
  );

  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = query.trim().replace(/^#/, "");
    if (id !== "") location.hash = explorerHref(id);
  };

  return (
    <div className="page">
      <header className="page-head">
        <h1>Explorer</h1>
        <form className="row" onSubmit={open}>
          <input
            aria-label="Request id"
            data-testid="explorer-id"
            placeholder="request id"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            inputMode="numeric"
          />
          <button type="submit">Open</button>
        </form>
      </header>
      {requestId === null && <p className="muted">Enter a request id, or open one from a chat message.</p>}
      <ErrorLine error={error} />
      {loading && data === null && error === null && <p className="muted">Reading the chain…</p>}
      {data !== null && data.record.requestId.toString() === requestId && <RequestRecord data={data} />}
    </div>
  );
}

function RequestRecord({ data }: { data: ExplorerData }) {
  const { record, model, input, output, hashCheck } = data;
  const appeals = Math.max(0, (record.dispute?.rounds.length ?? 0) - 1);
  return (
    <div className="record-page" data-testid="explorer-request" data-request-id={record.requestId.toString()}>
      <section className="panel record-head">
        <h2>
          Request #{record.requestId.toString()} <ModeBadge mode={record.mode} />{" "}
          <span className={`badge status-${record.status.toLowerCase()}`}>{record.status}</span>
        </h2>
        <StageTrack
          stages={record.stages}
          generation={model.kind === "CAUSAL_LM"}
          failed={TERMINAL.has(record.status) && record.status !== "Finalized"}
        />
        <HashVerdict check={hashCheck} />
      </section>

      <div className="grid two">
        <section className="panel">
          <h3>Model</h3>
          <Facts
            rows={[
              ["Id", `#${model.id}`],
              ["Kind", model.kind],
              ["Mode", <ModeBadge mode={model.mode} />],
              ["Content hash", <Hex value={model.contentHash} />],
              ["URI", <code className="wrap">{model.uri}</code>],
              model.kind === "CAUSAL_LM" && ["Tokenizer", <Hex value={model.tokenizerHash} />],
              model.kind === "CAUSAL_LM" && ["Tokenizer URI", <code className="wrap">{model.tokenizerUri}</code>],
              model.kind === "CAUSAL_LM" && ["Context", `${model.contextLength} tokens, EOS id ${model.eosTokenId}`],
              model.kind === "TENSOR" && ["Output decimals", String(model.outputDecimals)],
              ["Owner", <Hex value={model.owner} keep={4} />],
            ]}
          />
        </section>
        <section className="panel">
          <h3>Request</h3>
          <Facts
            rows={[
              ["Requester", <Hex value={record.requester} keep={4} />],
              [
                "Worker",
                record.worker === null ? <span className="muted">none</span> : <Hex value={record.worker} keep={4} />,
              ],
              ["Model fee", formatOpg(record.fee.modelFee)],
              ["Protocol fee", formatOpg(record.fee.protocolFee)],
              record.fee.callbackFee > 0n && ["Callback fee", formatOpg(record.fee.callbackFee)],
              input !== null && ["Request tx", <Hex value={input.txHash} />],
              input !== null && [
                "Input",
                input.uri === null ? "inline (calldata)" : <code className="wrap">{input.uri}</code>,
              ],
              input?.hash != null && ["Input hash", <Hex value={input.hash} />],
              input?.uriCheck != null && [
                "Input check",
                input.uriCheck.matches === true ? "fetched, hash matches" : (input.uriCheck.problem ?? "not fetched"),
              ],
              data.tokenizerProblem !== null && ["Tokenizer", <span className="error">{data.tokenizerProblem}</span>],
            ]}
          />
        </section>
      </div>

      <div className="grid two">
        <section className="panel">
          <h3>Input</h3>
          {input?.view == null ? (
            <p className="muted">Not available in the browser.</p>
          ) : (
            <InputBlock view={input.view} />
          )}
        </section>
        <section className="panel">
          <h3>Output</h3>
          {output === null ? <p className="muted">No result posted yet.</p> : <OutputBlock view={output} />}
        </section>
      </div>

      <section className="panel">
        <h3>Verification history</h3>
        <table className="table">
          <thead>
            <tr>
              <th>Stage</th>
              <th>Detail</th>
              <th>Block</th>
              <th>Transaction</th>
            </tr>
          </thead>
          <tbody>
            {record.stages.map((s) => (
              <tr key={s.name}>
                <td>{stageLabel(s.name, model.kind === "CAUSAL_LM")}</td>
                <td>{s.detail}</td>
                <td>{s.blockNumber}</td>
                <td>
                  <Hex value={s.txHash} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {record.failedAssignments.length > 0 && (
          <>
            <h4>Assignments that ended without a result</h4>
            <ul className="plain">
              {record.failedAssignments.map((f) => (
                <li key={f.txHash + f.worker}>
                  <Hex value={f.worker} keep={4} /> {f.kind === "declined" ? "declined" : "timed out"}: {f.detail}
                </li>
              ))}
            </ul>
          </>
        )}
        {record.committee.length > 0 && (
          <>
            <h4>Committee</h4>
            <p>
              Seats: <Addresses list={record.committee} />
            </p>
            {record.attestations.length === 0 ? (
              <p className="muted">No attestation revealed yet.</p>
            ) : (
              <table className="table">
                <thead>
                  <tr>
                    <th>Member</th>
                    <th>Attests</th>
                    <th>Seats</th>
                    <th>Transaction</th>
                  </tr>
                </thead>
                <tbody>
                  {record.attestations.map((a) => (
                    <tr key={a.txHash + a.verifier}>
                      <td>
                        <Hex value={a.verifier} keep={4} />
                      </td>
                      <td className={a.agree ? "ok" : "bad"}>{a.agree ? "agrees" : "disagrees"}</td>
                      <td>{a.seats}</td>
                      <td>
                        <Hex value={a.txHash} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
        {record.dispute !== null && (
          <>
            <h4>
              Dispute: {record.dispute.outcome}
              {appeals > 0 && ` (${appeals} appeal${appeals === 1 ? "" : "s"})`}
            </h4>
            <p>
              Challengers: <Addresses list={record.dispute.challengers} />
            </p>
            {record.dispute.rounds.map((round, index) => (
              <div key={round.round} className="round">
                <p>
                  Round {round.round}
                  {index > 0 ? " (appeal)" : ""}: jury <Addresses list={round.seats} />
                </p>
                {round.votes.length === 0 ? (
                  <p className="muted">No vote revealed.</p>
                ) : (
                  <ul className="plain">
                    {round.votes.map((v) => (
                      <li key={v.juror}>
                        <Hex value={v.juror} keep={4} />{" "}
                        <span className={v.upholdWorker ? "ok" : "bad"}>
                          {v.upholdWorker ? "upholds the worker" : "rejects the result"}
                        </span>{" "}
                        <span className="muted">
                          ({v.seats} seat{v.seats === 1 ? "" : "s"})
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            ))}
          </>
        )}
        {record.deadlines.length > 0 && (
          <>
            <h4>Waiting for</h4>
            <ul className="plain">
              {record.deadlines.map((d) => (
                <li key={d.label}>
                  {d.label} <span className="muted">{relative(d.at, record.chainTime)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section className="panel">
        <h3>Settlement</h3>
        {record.settlement === null ? (
          <p className="muted">Not settled yet.</p>
        ) : record.settlement.kind === "finalized" ? (
          <Facts
            rows={[
              ["Worker", formatOpg(record.settlement.workerPay)],
              ["Verifiers", formatOpg(record.settlement.verifierPay)],
              [
                "Royalty",
                <>
                  {formatOpg(record.settlement.royalty)} <span className="muted">to</span>{" "}
                  <Hex value={record.settlement.royaltyRecipient} keep={4} />
                </>,
              ],
              ["Treasury", formatOpg(record.settlement.treasuryPay)],
            ]}
          />
        ) : (
          <Facts
            rows={[
              ["Refunded", formatOpg(record.settlement.amount)],
              ["Why", record.settlement.reason],
            ]}
          />
        )}
      </section>
    </div>
  );
}

/** Whether keccak256 of the posted output, computed here, is the hub's resultHash. */
function HashVerdict({ check }: { check: ExplorerData["hashCheck"] }) {
  if (check === null) return <p className="muted">No result posted yet: nothing to check.</p>;
  return (
    <div className={`verdict ${check.matches ? "ok" : "bad"}`}>
      <span className="verdict-mark" data-testid="explorer-hash-match">
        {check.matches ? "match" : "mismatch"}
      </span>
      <div>
        <strong>
          {check.matches
            ? "The result hash matches the chain"
            : "MISMATCH: the output does not hash to the chain's resultHash"}
        </strong>
        <div className="small">
          keccak256(output bytes) computed in this browser <Hex value={check.computed} keep={10} />
          {" · "}on-chain resultHash {check.onChain === null ? "none" : <Hex value={check.onChain} keep={10} />}
        </div>
      </div>
    </div>
  );
}

function InputBlock({ view }: { view: InputView }) {
  if (view.kind === "unreadable") return <p className="error">{view.problem}</p>;
  if (view.kind === "tensors") return <Tensors tensors={view.tensors} />;
  return (
    <>
      <h4>Prompt</h4>
      {view.promptText === null ? (
        <p className="muted">No tokenizer: ids only.</p>
      ) : (
        <pre className="text">{view.promptText}</pre>
      )}
      <Facts
        rows={[
          ["Prompt tokens", String(view.promptIds.length)],
          ["Max new tokens", String(view.maxNewTokens)],
          ["Temperature", view.temperature === 0 ? "0 (greedy)" : String(view.temperature)],
          ["Seed", view.seed.toString()],
        ]}
      />
      <details>
        <summary>Token ids</summary>
        <code className="ids">{view.promptIds.join(" ")}</code>
      </details>
    </>
  );
}

function OutputBlock({ view }: { view: OutputView }) {
  if (view.kind === "unreadable") return <p className="error">{view.problem}</p>;
  if (view.kind === "error") {
    return (
      <Facts rows={[["Error result", <code>{view.code}</code>], view.detail !== null && ["Detail", view.detail]]} />
    );
  }
  if (view.kind === "tensors") return <Tensors tensors={view.tensors} />;
  return (
    <>
      <h4>Generated text</h4>
      {view.text === null ? (
        <p className="muted">No tokenizer: ids only.</p>
      ) : (
        <pre className="text" data-testid="explorer-output-text">
          {view.text}
        </pre>
      )}
      <Facts
        rows={[
          ["Tokens", String(view.tokens.length)],
          ["Stopped by", view.stop],
        ]}
      />
      <details>
        <summary>Token ids</summary>
        <code className="ids">{view.tokens.join(" ")}</code>
      </details>
    </>
  );
}

function Tensors({ tensors }: { tensors: TensorData[] }) {
  return (
    <table className="table">
      <thead>
        <tr>
          <th>#</th>
          <th>Type</th>
          <th>Shape</th>
          <th>Values</th>
        </tr>
      </thead>
      <tbody>
        {tensors.map((t, i) => (
          <tr key={i}>
            <td>{i}</td>
            <td>
              {dtypeLabel(t.dtype)}
              {t.decimals > 0 && <span className="muted"> /10^{t.decimals}</span>}
            </td>
            <td>[{t.shape.join(", ")}]</td>
            <td>
              <code className="wrap">{tensorValues(t)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
