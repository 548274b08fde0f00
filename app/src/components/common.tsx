/** Small presentational pieces shared by the pages. */
import type { ReactNode } from "react";

import type { Stage } from "../../../offchain/client/client.js";
import { stageLabel, STAGE_ORDER } from "../lib/chat.js";
import { short } from "../lib/format.js";

/** The verification mode as a badge (NONE / OPTIMISTIC / COMMITTEE). */
export function ModeBadge({ mode }: { mode: string }) {
  return <span className={`badge mode-${mode.toLowerCase()}`}>{mode}</span>;
}

/** A hex value shortened, the whole value in its tooltip and selectable on click. */
export function Hex({ value, keep = 6 }: { value: string; keep?: number }) {
  return (
    <code className="hex" title={value}>
      {short(value, keep)}
    </code>
  );
}

/** A list of addresses (one entry per distinct address, with its seat count when it holds several). */
export function Addresses({ list, empty = "none" }: { list: readonly string[]; empty?: string }) {
  if (list.length === 0) return <span className="muted">{empty}</span>;
  const counts = new Map<string, { address: string; n: number }>();
  for (const address of list) {
    const entry = counts.get(address.toLowerCase());
    if (entry === undefined) counts.set(address.toLowerCase(), { address, n: 1 });
    else entry.n++;
  }
  return (
    <span className="addresses">
      {[...counts.values()].map(({ address, n }) => (
        <span key={address}>
          <Hex value={address} keep={4} />
          {n > 1 && <span className="muted"> ×{n}</span>}
        </span>
      ))}
    </span>
  );
}

/** The five stages of a request as a track: done ones filled, the next one pending. */
export function StageTrack({
  stages,
  failed = false,
  generation = true,
}: {
  stages: readonly Stage[];
  failed?: boolean;
  /** A language model's request (its result is a generation). */
  generation?: boolean;
}) {
  const done = new Set(stages.map((s) => s.name));
  const next = STAGE_ORDER.find((name) => !done.has(name));
  return (
    <ol className="stage-track">
      {STAGE_ORDER.map((name) => {
        const stage = stages.find((s) => s.name === name);
        const state = stage !== undefined ? "done" : name === next && !failed ? "current" : "todo";
        return (
          <li
            key={name}
            className={state}
            title={stage === undefined ? undefined : `${stage.detail} · block ${stage.blockNumber}`}
          >
            {stageLabel(name, generation)}
          </li>
        );
      })}
    </ol>
  );
}

/** A label / value grid. */
export function Facts({ rows }: { rows: Array<[string, ReactNode] | null | false> }) {
  return (
    <dl className="facts">
      {rows
        .filter((row): row is [string, ReactNode] => Array.isArray(row))
        .map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

export function ErrorLine({ error }: { error: string | null }) {
  return error === null ? null : <p className="error">{error}</p>;
}
