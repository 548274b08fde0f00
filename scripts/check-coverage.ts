/**
 * Reads coverage/lcov.info written by `hardhat test --coverage` and prints line coverage of the protocol contracts
 * (mocks, examples' test harnesses and tests excluded). Exits non-zero below the threshold.
 *
 *   npm run coverage            (runs the tests with coverage, then this check)
 */
import { readFileSync } from "node:fs";

const LINE_THRESHOLD = Number(process.env.OPG_MIN_LINE_COVERAGE ?? 95);
const EXCLUDED = [/^contracts\/mocks\//, /^test\//, /\.t\.sol$/];

interface FileCoverage {
  file: string;
  hit: number;
  found: number;
}

const lcov = readFileSync("coverage/lcov.info", "utf8");
const files: FileCoverage[] = [];
let current: FileCoverage | undefined;
for (const line of lcov.split("\n")) {
  if (line.startsWith("SF:")) current = { file: line.slice(3), hit: 0, found: 0 };
  else if (line.startsWith("DA:") && current !== undefined) {
    current.found += 1;
    if (!line.endsWith(",0")) current.hit += 1;
  } else if (line === "end_of_record" && current !== undefined) {
    if (current.file.startsWith("contracts/") && !EXCLUDED.some((re) => re.test(current!.file))) files.push(current);
    current = undefined;
  }
}
if (files.length === 0) throw new Error("coverage/lcov.info lists no contract: run `hardhat test --coverage` first");

const pct = (hit: number, found: number) => (found === 0 ? 100 : (100 * hit) / found);
const width = Math.max(...files.map((f) => f.file.length));
console.log(`\nLine coverage of protocol contracts (mocks excluded; threshold ${LINE_THRESHOLD} %)\n`);
for (const f of files.sort((a, b) => a.file.localeCompare(b.file))) {
  console.log(`  ${f.file.padEnd(width)}  ${pct(f.hit, f.found).toFixed(2).padStart(6)} %  (${f.hit}/${f.found})`);
}
const hit = files.reduce((a, f) => a + f.hit, 0);
const found = files.reduce((a, f) => a + f.found, 0);
const total = pct(hit, found);
console.log(`\n  ${"TOTAL".padEnd(width)}  ${total.toFixed(2).padStart(6)} %  (${hit}/${found})\n`);
if (total < LINE_THRESHOLD) {
  console.error(
    `Line coverage ${total.toFixed(2)} % is below ${LINE_THRESHOLD} %: add tests for the lines listed above.`,
  );
  process.exit(1);
}
