/**
 * Reads coverage/lcov.info written by `hardhat test --coverage` and prints line coverage of the protocol contracts
 * (mocks, examples' test harnesses and tests excluded), with the uncovered lines. Exits non-zero below the threshold.
 * A line counts as covered only when every statement on it ran (Hardhat's rule), so `if (c) revert E();` with `c`
 * never true is an uncovered line. Branch figures are printed when the lcov file has them (EDR in Hardhat 3.18
 * reports statements only).
 *
 *   npm run coverage            (runs the tests with coverage, then this check)
 *
 * Hardhat collects the statement map while it instruments sources during the build, in the same process as the
 * tests: `hardhat test --coverage --no-compile` therefore writes an empty report. The coverage script builds with
 * `scripts/build.sh --coverage` first (folder-sized solc jobs) and lets `hardhat test --coverage` rebuild from that
 * cache.
 */
import { readFileSync } from "node:fs";

const LINE_THRESHOLD = Number(process.env.OPG_MIN_LINE_COVERAGE ?? 95);
const EXCLUDED = [/^contracts\/mocks\//, /^test\//, /\.t\.sol$/];

interface FileCoverage {
  file: string;
  hit: number;
  found: number;
  uncovered: number[];
  branchesHit: number;
  branchesFound: number;
}

const lcov = readFileSync("coverage/lcov.info", "utf8");
const files: FileCoverage[] = [];
let current: FileCoverage | undefined;
for (const line of lcov.split("\n")) {
  if (line.startsWith("SF:")) {
    current = { file: line.slice(3), hit: 0, found: 0, uncovered: [], branchesHit: 0, branchesFound: 0 };
  } else if (line.startsWith("DA:") && current !== undefined) {
    const [lineNumber, count] = line.slice(3).split(",");
    current.found += 1;
    if (Number(count) > 0) current.hit += 1;
    else current.uncovered.push(Number(lineNumber));
  } else if (line.startsWith("BRDA:") && current !== undefined) {
    current.branchesFound += 1;
    if (!line.endsWith(",-") && !line.endsWith(",0")) current.branchesHit += 1;
  } else if (line === "end_of_record" && current !== undefined) {
    if (current.file.startsWith("contracts/") && !EXCLUDED.some((re) => re.test(current!.file))) files.push(current);
    current = undefined;
  }
}
if (files.length === 0) {
  throw new Error(
    "coverage/lcov.info lists no contract: run `hardhat test --coverage` without --no-compile (the statement map is " +
      "collected while building)",
  );
}

const pct = (hit: number, found: number) => (found === 0 ? 100 : (100 * hit) / found);
const width = Math.max(...files.map((f) => f.file.length));
const hasBranches = files.some((f) => f.branchesFound > 0);
const ranges = (lines: number[]) => {
  const runs: [number, number][] = [];
  for (const n of lines) {
    const last = runs[runs.length - 1];
    if (last !== undefined && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
};
console.log(`\nLine coverage of protocol contracts (mocks excluded; threshold ${LINE_THRESHOLD} %)\n`);
for (const f of files.sort((a, b) => a.file.localeCompare(b.file))) {
  const branches = hasBranches
    ? `  branches ${pct(f.branchesHit, f.branchesFound).toFixed(2).padStart(6)} %  (${f.branchesHit}/${f.branchesFound})`
    : "";
  const uncovered = f.uncovered.length > 0 ? `  uncovered: ${ranges(f.uncovered.sort((a, b) => a - b))}` : "";
  console.log(
    `  ${f.file.padEnd(width)}  ${pct(f.hit, f.found).toFixed(2).padStart(6)} %  (${f.hit}/${f.found})${branches}${uncovered}`,
  );
}
const hit = files.reduce((a, f) => a + f.hit, 0);
const found = files.reduce((a, f) => a + f.found, 0);
const total = pct(hit, found);
console.log(`\n  ${"TOTAL".padEnd(width)}  ${total.toFixed(2).padStart(6)} %  (${hit}/${found})`);
if (hasBranches) {
  const bHit = files.reduce((a, f) => a + f.branchesHit, 0);
  const bFound = files.reduce((a, f) => a + f.branchesFound, 0);
  console.log(`  ${"BRANCHES".padEnd(width)}  ${pct(bHit, bFound).toFixed(2).padStart(6)} %  (${bHit}/${bFound})`);
} else {
  console.log("  (no branch data in coverage/lcov.info: EDR reports statements only)");
}
console.log();
if (total < LINE_THRESHOLD) {
  console.error(
    `Line coverage ${total.toFixed(2)} % is below ${LINE_THRESHOLD} %: add tests for the lines listed above.`,
  );
  process.exit(1);
}
