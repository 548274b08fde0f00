/**
 * Prints the expected value of posting a wrong result, per network parameter file and verification mode, for an
 * attacker holding a share of verifier stake split over any number of addresses (model: offchain/economics/model.ts,
 * reasoning: docs/ECONOMICS.md).
 *
 *   npm run econ                                   table for every ignition/parameters/*.json, a = 1/3
 *   npm run econ -- --json                         the same figures as JSON
 *   npm run econ -- --network sepolia              sensitivity block for another network (default mainnet)
 *   npm run econ -- --set DisputeCourt.jurySize=9  evaluate with an override (repeatable; amounts in wei)
 *   npm run econ -- --tickets 50000 --share 0.25   other verifier population / attacker share
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import {
  DEFAULT_ASSUMPTIONS,
  defaultProposerShare,
  evaluateMode,
  mergeParameters,
  MODES,
  protocolParams,
  REFERENCE_FEE,
  type Assumptions,
  type Mode,
  type ModeResult,
  type ProtocolParams,
} from "../offchain/economics/model.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const { values: args } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    network: { type: "string", default: "mainnet" },
    dir: { type: "string", default: path.join(ROOT, "ignition/parameters") },
    set: { type: "string", multiple: true, default: [] },
    tickets: { type: "string" },
    share: { type: "string" },
  },
});

interface Line {
  network: string;
  mode: Mode;
  attackerShare: number;
  proposerShare: number;
  pFinal: number;
  ev: number;
  evMinFee: number;
  breakEvenGain: number;
  breakEvenGainMinFee: number;
  strategy: string;
  result: ModeResult;
}

/** Applies `--set Module.name=value` overrides on top of a parameter file. */
function withOverrides(file: Record<string, Record<string, unknown>>, sets: string[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = structuredClone(file);
  for (const set of sets) {
    const match = /^(\w+)\.(\w+)=(\d+)$/.exec(set);
    if (match === null) throw new Error(`--set ${set}: expected Module.name=<integer> (amounts in wei)`);
    const [, id, name, value] = match as unknown as [string, string, string, string];
    out[id] = { ...(out[id] ?? {}), [name]: value };
  }
  return out;
}

function evaluateLine(network: string, params: ProtocolParams, mode: Mode, over: Partial<Assumptions>): Line {
  const assumptions: Partial<Assumptions> = { proposerShare: defaultProposerShare(network), ...base, ...over };
  const result = evaluateMode(mode, params, { ...assumptions, fee: REFERENCE_FEE });
  const atMin = evaluateMode(mode, params, { ...assumptions, fee: params.minFee });
  return {
    network,
    mode,
    attackerShare: assumptions.attackerShare ?? DEFAULT_ASSUMPTIONS.attackerShare,
    proposerShare: assumptions.proposerShare ?? DEFAULT_ASSUMPTIONS.proposerShare,
    pFinal: result.best.pFinal,
    ev: result.best.ev,
    evMinFee: atMin.best.ev,
    breakEvenGain: result.breakEvenGain,
    breakEvenGainMinFee: atMin.breakEvenGain,
    strategy: result.best.strategy,
    result,
  };
}

const base: Partial<Assumptions> = {};
if (args.tickets !== undefined) base.totalTickets = Number(args.tickets);
if (args.share !== undefined) base.attackerShare = Number(args.share);

const files = readdirSync(args.dir)
  .filter((f) => f.endsWith(".json"))
  .sort();
if (files.length === 0) throw new Error(`no parameter file in ${args.dir}`);

const networks = files.map((file) => {
  const network = file.replace(/\.json$/, "");
  const raw = JSON.parse(readFileSync(path.join(args.dir, file), "utf8")) as Record<string, Record<string, unknown>>;
  const { merged, ignored } = mergeParameters(withOverrides(raw, args.set));
  const params = protocolParams(merged);
  return { network, file, ignored, params, lines: MODES.map((mode) => evaluateLine(network, params, mode, {})) };
});

const reference = networks.find((n) => n.network === args.network);
if (reference === undefined) {
  throw new Error(`--network ${args.network}: no ${args.network}.json in ${args.dir}`);
}
const sensitivity: (Line & { vary: string })[] = [];
const vary = (label: string, mode: Mode, over: Partial<Assumptions>) =>
  sensitivity.push({ vary: label, ...evaluateLine(reference.network, reference.params, mode, over) });
for (const mode of ["OPTIMISTIC", "COMMITTEE"] as const) {
  for (const a of [0.1, 0.2, 1 / 3]) vary(`a = ${a.toFixed(3)}`, mode, { attackerShare: a });
}
for (const d of [0.5, 0.9, 1]) vary(`d = ${d}`, "OPTIMISTIC", { detection: d });
for (const mode of ["OPTIMISTIC", "COMMITTEE"] as const) {
  for (const pi of [0, 0.05]) vary(`π = ${pi}`, mode, { proposerShare: pi });
  vary("π = 1 (draw controlled)", mode, { proposerShare: 1 });
  vary("honest reveal 0.9", mode, { honestRevealRate: 0.9 });
  vary(`worker free stake ${reference.params.minWorkerStake}`, mode, {
    workerFreeStake: reference.params.minWorkerStake,
  });
  vary("binomial (N → ∞)", mode, { sampling: "binomial" });
}
vary(`${reference.params.maxChallengers - 1} honest challengers`, "OPTIMISTIC", {
  honestChallengers: reference.params.maxChallengers - 1,
});

const a0 = { ...DEFAULT_ASSUMPTIONS, ...base };

if (args.json) {
  const finite = (x: number) => (Number.isFinite(x) ? x : null);
  const strip = ({ result, ...line }: Line) => ({
    ...line,
    breakEvenGain: finite(line.breakEvenGain),
    breakEvenGainMinFee: finite(line.breakEvenGainMinFee),
    collateral: result.collateral,
    gain: result.gain,
    workerSlash: result.workerSlash,
    honestChallengerEv: result.honestChallengerEv ?? null,
    pRejected: result.best.pRejected,
    pRefunded: result.best.pRefunded,
    strategies: result.strategies,
  });
  const out = {
    assumptions: { ...a0, fee: REFERENCE_FEE },
    overrides: args.set,
    networks: networks.map((n) => ({
      network: n.network,
      file: n.file,
      ignoredSections: n.ignored,
      params: n.params,
      modes: n.lines.map(strip),
    })),
    sensitivity: { network: reference.network, lines: sensitivity.map((s) => ({ vary: s.vary, ...strip(s) })) },
  };
  console.log(JSON.stringify(out, null, 2));
} else {
  const num = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : "∞");
  const signed = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(3);
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const row = (cells: string[], widths: number[]) =>
    cells.map((c, i) => (i >= 3 && i <= 8 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ");
  const header = ["network", "mode", "a", "π", "P(final)", "EV@1 OPG", "EV@minFee", "G*@1 OPG", "G*@minFee"];
  const widths = [10, 10, 5, 4, 9, 9, 9, 9, 9, 0];
  const cells = (l: Line, first: string) => [
    first,
    l.mode,
    l.attackerShare.toFixed(3),
    l.proposerShare.toString(),
    pct(l.pFinal),
    signed(l.ev),
    signed(l.evMinFee),
    num(l.breakEvenGain, 2),
    num(l.breakEvenGainMinFee, 2),
    l.strategy,
  ];

  console.log("EV of posting a wrong result, OPG (model: offchain/economics/model.ts, reasoning: docs/ECONOMICS.md)");
  console.log(
    `attacker: a of ${a0.totalTickets.toLocaleString("en-US")} verifier tickets, any split; honest party ` +
      `${100 * a0.honestPartyShare} % of N; detection d = ${a0.detection}; honest nodes online; worker free stake ` +
      `${a0.workerFreeStake} (slash = collateral); G = collateral + fee; G* = break-even gain`,
  );
  if (args.set.length > 0) console.log(`overrides: ${args.set.join(" ")}`);
  for (const n of networks) {
    if (n.ignored.length > 0) console.log(`${n.file}: ignored sections ${n.ignored.join(", ")}`);
  }
  console.log();
  console.log(row([...header, "best strategy"], widths));
  for (const n of networks) for (const l of n.lines) console.log(row(cells(l, n.network), widths));

  console.log();
  console.log(`sensitivity (${reference.network}; one assumption changed from the line above)`);
  console.log(row(["vary", ...header.slice(1), "best strategy"], [24, ...widths.slice(1)]));
  for (const s of sensitivity) console.log(row(cells(s, s.vary), [24, ...widths.slice(1)]));

  const bad = networks.flatMap((n) => n.lines).filter((l) => l.mode !== "NONE" && (l.ev >= 0 || l.evMinFee >= 0));
  console.log();
  console.log(
    bad.length === 0
      ? "every verified mode (OPTIMISTIC, COMMITTEE) has a negative EV on every network; NONE is unverified (EV = G)."
      : `NOT SECURE: ${bad.map((l) => `${l.network}/${l.mode}`).join(", ")} have EV ≥ 0 (see docs/ECONOMICS.md); ` +
          "NONE is unverified (EV = G).",
  );
}
