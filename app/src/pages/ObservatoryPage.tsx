/**
 * Observatory: the network's health from its on-chain events, as the app server's persistent indexer counts them —
 * calls over time, active workers and verifiers and their stake, disputes, slashes, fees by party, usage per model.
 * Polled every few seconds.
 */
import { useState } from "react";

import { CallsChart } from "../components/CallsChart.js";
import { ErrorLine, Hex, ModeBadge } from "../components/common.js";
import { getObservatory } from "../lib/api.js";
import { useApp } from "../lib/context.js";
import { errorText, formatOpg } from "../lib/format.js";
import { readObservatory, type ObservatoryView } from "../lib/observatory.js";
import { usePoll } from "../lib/usePoll.js";

const WINDOWS: Array<{ seconds: number; label: string }> = [
  { seconds: 10, label: "10 s" },
  { seconds: 60, label: "1 min" },
  { seconds: 600, label: "10 min" },
  { seconds: 3_600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
];
const POLL_MS = 3_000;

export function ObservatoryPage() {
  const [windowSeconds, setWindowSeconds] = useState(60);
  const [view, setView] = useState<ObservatoryView | null>(null);
  const [error, setError] = useState<string | null>(null);

  usePoll(
    async () => {
      try {
        setView(readObservatory(await getObservatory(windowSeconds)));
        setError(null);
      } catch (e) {
        setError(errorText(e));
      }
    },
    POLL_MS,
    [windowSeconds],
  );

  return (
    <div className="page">
      <header className="page-head">
        <h1>Observatory</h1>
        {view !== null && (
          <p className="muted small">
            indexed to block {view.syncedBlock} of {view.head}
            {view.confirmations > 0 && ` (${view.confirmations} confirmations)`} · refreshed every {POLL_MS / 1000} s
          </p>
        )}
      </header>
      <ErrorLine error={error} />
      {view === null ? (
        error === null && <p className="muted">Reading the indexer…</p>
      ) : (
        <Dashboard view={view} windowSeconds={windowSeconds} setWindowSeconds={setWindowSeconds} />
      )}
    </div>
  );
}

function Dashboard({
  view,
  windowSeconds,
  setWindowSeconds,
}: {
  view: ObservatoryView;
  windowSeconds: number;
  setWindowSeconds: (seconds: number) => void;
}) {
  const { models } = useApp();
  const kinds = new Map(models.map((m) => [m.id, m.kind === "CAUSAL_LM" ? "text" : "tensor"]));
  const { requests, disputes, fees } = view;
  const resolved = disputes.upheld + disputes.rejected + disputes.undecided;
  const feeRows: Array<[string, bigint]> = [
    ["Workers", fees.worker],
    ["Verifiers", fees.verifier],
    ["Royalties", fees.royalty],
    ["Treasury", fees.treasury],
    ["Callbacks", fees.callbacks],
    ["Refunds to requesters", fees.refunds],
  ];
  const credits = Object.entries(fees.credits).filter(([, amount]) => amount > 0n);

  return (
    <>
      <div className="cards">
        <Card
          label="Requests"
          testId="observatory-total"
          value={requests.total}
          note={`${requests.byStatus.open} open`}
        />
        <Card
          label="Active workers"
          testId="observatory-workers"
          value={view.workers}
          note={`weight ${view.stake.workerWeight}`}
        />
        <Card
          label="Active verifiers"
          testId="observatory-verifiers"
          value={view.verifiers}
          note={`weight ${view.stake.verifierWeight}`}
        />
        <Card
          label="Stake bonded (OPG)"
          value={wholeOpg(view.stake.active)}
          note={`${formatOpg(view.stake.unbonding, 0)} unbonding`}
        />
        <Card label="Disputes" value={disputes.opened} note={`${resolved} resolved, ${disputes.open} open`} />
        <Card label="Slashes" value={view.slashes.count} note={formatOpg(view.slashes.amount)} />
      </div>

      <section className="panel" data-testid="observatory-calls">
        <div className="panel-head">
          <h3>Calls over time</h3>
          <div className="segmented" role="group" aria-label="Window">
            {WINDOWS.map((w) => (
              <button
                key={w.seconds}
                className={w.seconds === windowSeconds ? "active" : ""}
                onClick={() => setWindowSeconds(w.seconds)}
              >
                {w.label}
              </button>
            ))}
          </div>
        </div>
        {requests.buckets.length === 0 ? (
          <p className="muted">No request yet.</p>
        ) : (
          <CallsChart buckets={requests.buckets} />
        )}
        <p className="muted small">
          Bars: requests per window of{" "}
          {WINDOWS.find((w) => w.seconds === requests.windowSeconds)?.label ?? `${requests.windowSeconds} s`}:{" "}
          {requests.byStatus.finalized} finalized, {requests.byStatus.rejected} rejected, {requests.byStatus.expired}{" "}
          expired, {requests.byStatus.refunded} refunded, {requests.byStatus.open} open; {requests.declines} declined
          assignments.
        </p>
      </section>

      <div className="grid two">
        <section className="panel">
          <h3>Verification</h3>
          <table className="table compact">
            <tbody>
              <Row label="Committees drawn" value={view.committees} />
              <Row label="Disputes opened" value={disputes.opened} />
              <Row label="… worker upheld" value={disputes.upheld} />
              <Row label="… result rejected" value={disputes.rejected} />
              <Row label="… undecided" value={disputes.undecided} />
              <Row label="… still open" value={disputes.open} />
              <Row label="Juries drawn" value={disputes.juries} />
              <Row label="Appeals" value={disputes.appeals} />
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h3>Penalties</h3>
          <table className="table compact">
            <tbody>
              <Row label="Fault slashes" value={`${view.slashes.count} · ${formatOpg(view.slashes.amount)}`} />
              {Object.entries(view.slashes.byReason)
                .filter(([, amount]) => amount > 0n)
                .map(([reason, amount]) => (
                  <Row key={reason} label={`… ${reason}`} value={formatOpg(amount)} />
                ))}
              <Row label="Timeouts" value={view.liveness.timeouts} />
              <Row label="Liveness penalties" value={`${view.liveness.count} · ${formatOpg(view.liveness.amount)}`} />
              <Row label="Jailed (faults / liveness)" value={`${view.jails.faults} / ${view.jails.liveness}`} />
            </tbody>
          </table>
        </section>
      </div>

      <div className="grid two">
        <section className="panel">
          <h3>Fees</h3>
          <table className="table compact">
            <tbody>
              {feeRows.map(([label, amount]) => (
                <Row key={label} label={label} value={formatOpg(amount)} />
              ))}
              {credits.map(([reason, amount]) => (
                <Row key={reason} label={`Credits: ${reason}`} value={formatOpg(amount)} />
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h3>Fees by party</h3>
          {view.parties.length === 0 ? (
            <p className="muted">Nobody was paid yet.</p>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th>Account</th>
                  <th>Roles</th>
                  <th className="num">Earned</th>
                  <th className="num">Refunded</th>
                </tr>
              </thead>
              <tbody>
                {view.parties.slice(0, 20).map((p) => (
                  <tr key={p.account}>
                    <td>{p.account.startsWith("0x") ? <Hex value={p.account} keep={4} /> : p.account}</td>
                    <td className="small">{p.roles.join(", ")}</td>
                    <td className="num">{formatOpg(p.earned)}</td>
                    <td className="num">{formatOpg(p.refunded)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section className="panel">
        <h3>Usage per model</h3>
        <p className="muted small">
          {view.models.registered} registered, {view.models.active} active, {view.models.suspended} suspended
        </p>
        <table className="table" data-testid="observatory-models">
          <thead>
            <tr>
              <th>Model</th>
              <th>Kind</th>
              <th>Mode</th>
              <th className="num">Calls</th>
              <th className="num">Finalized</th>
              <th className="num">Failed</th>
              <th className="num">Fees</th>
              <th className="num">Royalty</th>
            </tr>
          </thead>
          <tbody>
            {view.models.usage.map((u) => (
              <tr key={u.modelId}>
                <td>#{u.modelId}</td>
                <td className="small">{kinds.get(u.modelId) ?? ""}</td>
                <td>{u.mode === null ? <span className="muted">?</span> : <ModeBadge mode={u.mode} />}</td>
                <td className="num">{u.calls}</td>
                <td className="num">{u.finalized}</td>
                <td className="num">{u.failed}</td>
                <td className="num">{formatOpg(u.fees)}</td>
                <td className="num">{formatOpg(u.royalty)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

/** OPG wei as whole OPG with thousands separators ("80,000"). */
function wholeOpg(wei: bigint): string {
  return (wei / 10n ** 18n).toLocaleString("en-US");
}

function Card({
  label,
  value,
  note,
  testId,
}: {
  label: string;
  value: string | number;
  note?: string;
  testId?: string;
}) {
  return (
    <div className="card">
      <div className="card-label">{label}</div>
      <div className="card-value" data-testid={testId}>
        {value}
      </div>
      {note !== undefined && <div className="card-note muted">{note}</div>}
    </div>
  );
}

function Row({ label, value }: { label: string; value: string | number }) {
  return (
    <tr>
      <td>{label}</td>
      <td className="num">{value}</td>
    </tr>
  );
}
