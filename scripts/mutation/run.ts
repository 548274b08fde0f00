/**
 * Mutation testing of the Solidity contracts: seeds one fault at a time into the contracts (see ./operators.ts),
 * checks that the mutant compiles, runs the test suite against it, and reports which mutants the suite kills.
 *
 *   npm run test:mutation                                   (every v2 contract, every mutant)
 *   npm run test:mutation -- --files contracts/staking/Staking.sol --max 30
 *   npm run test:mutation -- --list                         (print the mutants, run nothing)
 *   npm run test:mutation -- --suite "npx hardhat test --no-compile"   (Solidity and mocha suites)
 *
 * The working tree is never touched: the repository is copied once to a temporary folder (node_modules symlinked),
 * each mutant is written there, and the original file is restored after it. Exit code: 0 when the score reaches
 * --threshold, 1 below it (or with no valid mutant), 2 when the unmutated code does not compile or fails the suite.
 */
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";

import {
  applyMutant,
  collectAddressNames,
  DEFAULT_OPERATORS,
  generateMutants,
  type Mutant,
  OPERATOR_NAMES,
  OPERATORS,
  type OperatorName,
  relativeImports,
  sampleMutants,
} from "./operators.js";

const ROOT = resolve(import.meta.dirname, "../..");
const USAGE = `usage: tsx scripts/mutation/run.ts [options]

  --files a.sol,b.sol   contracts to mutate (default: every .sol under contracts/ except mocks, interfaces, v1)
  --operators a,b       operators to apply (default: ${DEFAULT_OPERATORS.join(",")})
  --max N               run N mutants, sampled deterministically across files and operators (default: all)
  --seed S              sampling seed (default: 1)
  --mutant id,id        run only these mutants (ids as printed: file:line:operator[#n])
  --suite "<cmd>"       test command, killed = non-zero exit (default: "npx hardhat test solidity --no-compile",
                        the Solidity suites of npm test; "npx hardhat test --no-compile" adds the mocha suites)
  --compile "<cmd>"     compile check before the suite (default: "sh scripts/build.sh", folder by folder)
  --timeout SEC         suite timeout per mutant (default: 4 × the unmutated suite's time + 30 s)
  --threshold X         minimum score, killed / valid (default: 0.9)
  --jobs N              mutants run in parallel, one repository copy each (default: 1)
  --json                print the report as JSON on stdout (progress goes to stderr)
  --list                print the mutants and exit
  --keep                keep the temporary copy (and its logs/) for inspection
  --workdir DIR         where the temporary copy goes (default: the system temp folder)
`;

// ------------------------------------------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    files: { type: "string" },
    operators: { type: "string" },
    max: { type: "string" },
    seed: { type: "string", default: "1" },
    mutant: { type: "string" },
    suite: { type: "string", default: "npx hardhat test solidity --no-compile" },
    compile: { type: "string", default: "sh scripts/build.sh" },
    timeout: { type: "string" },
    threshold: { type: "string", default: "0.9" },
    jobs: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
    list: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    workdir: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});

if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function fail(message: string, code = 2): never {
  process.stderr.write(`mutation: ${message}\n`);
  process.exit(code);
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${text}"`);
  return n;
}

const maxMutants = positiveInt("max", opts.max);
const seed = Number(opts.seed);
if (!Number.isInteger(seed)) fail(`--seed must be an integer, got "${opts.seed}"`);
const jobs = positiveInt("jobs", opts.jobs) ?? 1;
const threshold = Number(opts.threshold);
if (!(threshold >= 0 && threshold <= 1)) fail(`--threshold must be between 0 and 1, got "${opts.threshold}"`);
const timeoutOption = positiveInt("timeout", opts.timeout);
const operators: OperatorName[] =
  opts.operators === undefined
    ? [...DEFAULT_OPERATORS]
    : opts.operators.split(",").map((name) => {
        const op = name.trim() as OperatorName;
        if (!OPERATOR_NAMES.includes(op)) fail(`unknown operator "${name}" (known: ${OPERATOR_NAMES.join(", ")})`);
        return op;
      });

// Progress goes to stderr when stdout carries the JSON report.
const log = (line: string) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);

// ------------------------------------------------------------------------------------------------- targets

/** Every .sol under contracts/ except mocks, interfaces and v1 (and files that declare no contract or library). */
function defaultTargets(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!["mocks", "interfaces", "v1"].includes(entry.name)) walk(rel);
      } else if (entry.name.endsWith(".sol") && !entry.name.endsWith(".t.sol")) {
        const src = readFileSync(join(ROOT, rel), "utf8");
        if (/^\s*(abstract\s+contract|contract|library)\s+\w+/m.test(src)) out.push(rel);
      }
    }
  };
  walk("contracts");
  return out;
}

const targets = (opts.files?.split(",").map((f) => f.trim()) ?? defaultTargets()).filter((f) => f !== "");
if (targets.length === 0) fail("no contract to mutate (no v2 contract on this branch yet?): pass --files a.sol,b.sol");
for (const file of targets) {
  if (!existsSync(join(ROOT, file))) fail(`no such file: ${file}`);
  if (!file.endsWith(".sol")) fail(`not a Solidity file: ${file}`);
}

/** Address-typed names of the file's relative imports (struct fields such as `Dispute.challenger`). */
function importedAddressNames(file: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (abs: string, depth: number) => {
    if (seen.has(abs) || !existsSync(abs)) return;
    seen.add(abs);
    const src = readFileSync(abs, "utf8");
    if (depth > 0) for (const n of collectAddressNames(src).scalars) names.add(n);
    if (depth < 2) for (const imp of relativeImports(src)) visit(resolve(dirname(abs), imp), depth + 1);
  };
  visit(join(ROOT, file), 0);
  return names;
}

const sources = new Map<string, string>();
let allMutants: Mutant[] = [];
for (const file of targets) {
  const rel = relative(ROOT, resolve(ROOT, file)).split(sep).join("/");
  const src = readFileSync(join(ROOT, rel), "utf8");
  sources.set(rel, src);
  allMutants.push(...generateMutants(rel, src, { operators, addressNames: importedAddressNames(rel) }));
}

let selected: Mutant[];
if (opts.mutant !== undefined) {
  const ids = opts.mutant.split(",").map((s) => s.trim());
  selected = ids.map((id) => allMutants.find((m) => m.id === id) ?? fail(`no mutant with id ${id} (see --list)`));
} else {
  selected = maxMutants === undefined ? allMutants : sampleMutants(allMutants, maxMutants, seed);
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

const generatedSummary = [...countBy(allMutants, (m) => m.operator)].map(([op, n]) => `${op} ${n}`).join(", ");
log(`mutation: ${allMutants.length} mutants in ${targets.length} file(s) (${generatedSummary})`);
if (opts.list) {
  for (const m of selected) log(`${m.id}\n    - ${m.before}\n    + ${m.after}`);
  log(`${selected.length} mutant(s) listed`);
  process.exit(0);
}
allMutants = [];

// ------------------------------------------------------------------------------------------------- workspaces

interface RunResult {
  code: number | null;
  timedOut: boolean;
  seconds: number;
  tail: string;
}

const EXCLUDED_TOP = new Set([".git", "node_modules", "artifacts", "cache", "coverage", "typechain-types", ".opg"]);

function makeWorkspace(k: number): string {
  const dir = join(parent, `repo-${k}`);
  cpSync(ROOT, dir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(ROOT, src);
      if (rel === "") return true;
      if (resolve(src) === parent) return false; // --workdir inside the repository
      const top = rel.split(sep)[0]!;
      return !EXCLUDED_TOP.has(top) && !rel.split(sep).includes("node_modules");
    },
  });
  symlinkSync(realpathSync(join(ROOT, "node_modules")), join(dir, "node_modules"), "dir");
  return dir;
}

function run(command: string, cwd: string, timeoutSec: number, logFile: string): Promise<RunResult> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn("sh", ["-c", command], {
      cwd,
      detached: true, // own process group, so a timeout kills the whole tree
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: `${join(cwd, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
        NO_COLOR: "1",
        FORCE_COLOR: "0",
      },
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => chunks.push(b));
    child.stderr.on("data", (b: Buffer) => chunks.push(b));
    let timedOut = false;
    let settled = false;
    const finish = (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const output = Buffer.concat(chunks).toString("utf8");
      try {
        writeFileSync(logFile, output);
      } catch (err) {
        fail(`cannot write ${logFile} (${String(err)}): was the temporary copy deleted?`);
      }
      done({ code, timedOut, seconds: (Date.now() - started) / 1000, tail: output.slice(-4000) });
    };
    const killGroup = () => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      // A process stalled by the machine (memory pressure) may take its time to die: do not wait for it.
      setTimeout(() => finish(null), 10_000).unref();
    }, timeoutSec * 1000);
    child.on("exit", (code) => {
      if (timedOut) finish(code);
    });
    child.on("close", (code) => finish(code));
  });
}

const parent = mkdtempSync(join(resolve(opts.workdir ?? tmpdir()), "opg-mutation-"));
const logDir = join(parent, "logs");
mkdirSync(logDir);
const cleanup = () => {
  if (!opts.keep) rmSync(parent, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });
}

/** The first compiler error of a failed compile, for the report. */
function firstError(output: string): string {
  const line = output
    .split("\n")
    .find((l) => /Error|error/.test(l) && !/npm warn/.test(l))
    ?.trim();
  return line === undefined ? "compile failed" : line.slice(0, 200);
}

// ------------------------------------------------------------------------------------------------- baseline

type Status = "killed" | "survived" | "invalid" | "timeout";

interface Outcome {
  mutant: Mutant;
  status: Status;
  compileSeconds: number;
  suiteSeconds?: number;
  detail?: string;
}

const wallStart = Date.now();
log(`mutation: copying the repository to ${parent} (${jobs} cop${jobs === 1 ? "y" : "ies"})`);
const workspaces = Array.from({ length: jobs }, (_, k) => makeWorkspace(k));

const baselineCompile = await run(opts.compile, workspaces[0]!, 1800, join(logDir, "baseline-compile.log"));
if (baselineCompile.code !== 0) {
  log(baselineCompile.tail);
  cleanup();
  fail(`the unmutated code does not compile (${opts.compile})`);
}
const baselineSuite = await run(opts.suite, workspaces[0]!, timeoutOption ?? 3600, join(logDir, "baseline-suite.log"));
if (baselineSuite.code !== 0) {
  log(baselineSuite.tail);
  cleanup();
  fail(`the suite fails on the unmutated code (${opts.suite}): fix it before measuring mutants`);
}
for (const ws of workspaces.slice(1)) {
  const r = await run(opts.compile, ws, 1800, join(logDir, "baseline-compile-extra.log"));
  if (r.code !== 0) fail("a repository copy does not compile");
}
const suiteTimeout = timeoutOption ?? Math.ceil(4 * baselineSuite.seconds + 30);
const compileTimeout = Math.ceil(3 * baselineCompile.seconds + 60);
log(
  `mutation: baseline compile ${baselineCompile.seconds.toFixed(1)} s, suite ${baselineSuite.seconds.toFixed(1)} s ` +
    `(${opts.suite}); suite timeout ${suiteTimeout} s; running ${selected.length} mutant(s)`,
);

// ------------------------------------------------------------------------------------------------- mutants

async function runMutant(mutant: Mutant, ws: string, k: number): Promise<Outcome> {
  const path = join(ws, mutant.file);
  const original = sources.get(mutant.file)!;
  const tag = String(k + 1).padStart(4, "0");
  writeFileSync(path, applyMutant(original, mutant));
  try {
    let compiled = await run(opts.compile!, ws, compileTimeout, join(logDir, `${tag}-compile.log`));
    // A compile that times out says nothing about the mutant (a loaded machine): try once more, with more time.
    if (compiled.timedOut)
      compiled = await run(opts.compile!, ws, 2 * compileTimeout, join(logDir, `${tag}-compile.log`));
    if (compiled.code !== 0) {
      const detail = compiled.timedOut ? "compile timed out" : firstError(compiled.tail);
      return { mutant, status: "invalid", compileSeconds: compiled.seconds, detail };
    }
    const suite = await run(opts.suite!, ws, suiteTimeout, join(logDir, `${tag}-suite.log`));
    const status: Status = suite.timedOut ? "timeout" : suite.code === 0 ? "survived" : "killed";
    return { mutant, status, compileSeconds: compiled.seconds, suiteSeconds: suite.seconds };
  } finally {
    writeFileSync(path, original);
  }
}

const outcomes: Outcome[] = new Array<Outcome>(selected.length);
let next = 0;
let finished = 0;
const width = String(selected.length).length;
await Promise.all(
  workspaces.map(async (ws) => {
    for (let k = next++; k < selected.length; k = next++) {
      const outcome = await runMutant(selected[k]!, ws, k);
      outcomes[k] = outcome;
      finished++;
      const time = outcome.compileSeconds + (outcome.suiteSeconds ?? 0);
      const m = outcome.mutant;
      const shown =
        outcome.status === "invalid"
          ? `(${outcome.detail})`
          : m.after === "<removed>"
            ? `<removed: ${m.before}>`
            : m.after;
      log(
        `[${String(finished).padStart(width)}/${selected.length}] ${outcome.status.padEnd(8)} ` +
          `${time.toFixed(1).padStart(5)} s  ${outcome.mutant.id}  ${shown}`,
      );
    }
  }),
);

// ------------------------------------------------------------------------------------------------- report

const valid = outcomes.filter((o) => o.status !== "invalid");
const killed = valid.filter((o) => o.status === "killed" || o.status === "timeout");
const timeouts = valid.filter((o) => o.status === "timeout");
const survivors = valid.filter((o) => o.status === "survived");
const invalid = outcomes.filter((o) => o.status === "invalid");
const score = valid.length === 0 ? 0 : killed.length / valid.length;
const wallSeconds = (Date.now() - wallStart) / 1000;
const avg = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const perMutant = avg(valid.map((o) => o.compileSeconds + (o.suiteSeconds ?? 0)));
const perCompile = avg(valid.map((o) => o.compileSeconds));
const perSuite = avg(valid.map((o) => o.suiteSeconds ?? 0));

const byOperator = OPERATORS.filter((o) => operators.includes(o.name)).map((o) => {
  const mine = valid.filter((x) => x.mutant.operator === o.name);
  return {
    operator: o.name,
    killed: mine.filter((x) => x.status !== "survived").length,
    valid: mine.length,
    invalid: invalid.filter((x) => x.mutant.operator === o.name).length,
  };
});

if (opts.json) {
  const report = {
    files: targets,
    operators,
    seed,
    max: maxMutants ?? null,
    suite: opts.suite,
    compile: opts.compile,
    threshold,
    baseline: { compileSeconds: baselineCompile.seconds, suiteSeconds: baselineSuite.seconds },
    score,
    killed: killed.length,
    valid: valid.length,
    timeouts: timeouts.length,
    survived: survivors.length,
    invalid: invalid.length,
    seconds: { wall: wallSeconds, perValidMutant: perMutant, compile: perCompile, suite: perSuite },
    byOperator,
    mutants: outcomes.map((o) => ({
      id: o.mutant.id,
      file: o.mutant.file,
      line: o.mutant.line,
      operator: o.mutant.operator,
      status: o.status,
      before: o.mutant.before,
      after: o.mutant.after,
      compileSeconds: o.compileSeconds,
      suiteSeconds: o.suiteSeconds ?? null,
      detail: o.detail ?? null,
    })),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

log("");
log(`by operator (killed/valid, invalid):`);
for (const o of byOperator) {
  if (o.valid + o.invalid > 0)
    log(`  ${o.operator.padEnd(16)} ${o.killed}/${o.valid}${o.invalid ? `, ${o.invalid} invalid` : ""}`);
}
log(
  `time: ${(wallSeconds / 60).toFixed(1)} min in all; per valid mutant ${perMutant.toFixed(1)} s ` +
    `(compile ${perCompile.toFixed(1)} s + suite ${perSuite.toFixed(1)} s); baseline compile ` +
    `${baselineCompile.seconds.toFixed(1)} s, suite ${baselineSuite.seconds.toFixed(1)} s; jobs ${jobs}`,
);
log(
  `mutation score ${killed.length}/${valid.length}` +
    (valid.length > 0 ? ` (${(100 * score).toFixed(1)} %)` : "") +
    ` — ${killed.length} killed (${timeouts.length} by timeout), ${survivors.length} survived, ` +
    `${invalid.length} invalid (not counted); threshold ${(100 * threshold).toFixed(0)} %`,
);
if (survivors.length > 0) {
  log(`survivors (${survivors.length}):`);
  for (const o of survivors) {
    log(`  ${o.mutant.file}:${o.mutant.line} ${o.mutant.operator}  [${o.mutant.id}]`);
    log(`    - ${o.mutant.before}`);
    log(`    + ${o.mutant.after}`);
  }
}
if (opts.keep) log(`mutation: kept ${parent} (logs in ${logDir})`);
cleanup();

if (valid.length === 0) fail("no valid mutant: nothing was measured", 1);
if (score < threshold) {
  process.stderr.write(`mutation: score ${(100 * score).toFixed(1)} % is below the threshold ${threshold}\n`);
  process.exit(1);
}
