/**
 * Runs every `npx hardhat …` command of the README's shell blocks as printed, next to a running `npm run network`,
 * and prints one line per command: ok, failed (with its error line), or skipped (placeholders such as `<address>`,
 * or a long-running node task). Exit code 1 if any command failed.
 *
 *   npm run network          (in one terminal)
 *   npx tsx scripts/readme-commands.ts
 *
 * Commands run in README order, so `deposit` comes before `infer`; each gets 180 s.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const LONG_RUNNING = /^npx hardhat (worker|verifier|keeper|store)\b/;
const TIMEOUT_MS = 180_000;

function commands(markdown: string): string[] {
  const out: string[] = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    // A line ending in a backslash continues on the next, as in a shell.
    const joined = (block[1] ?? "").replace(/\\\n\s*/g, " ");
    for (const raw of joined.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line.startsWith("npx hardhat ")) out.push(line);
    }
  }
  return out;
}

function run(command: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", command], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const list = commands(await readFile(path.join(root, "README.md"), "utf8"));
let failed = 0;
for (const command of list) {
  if (/<[^>]+>/.test(command) || LONG_RUNNING.test(command)) {
    console.log(`skipped  ${command}`);
    continue;
  }
  const { code, stderr } = await run(command);
  const error = stderr.split("\n").find((l) => l.startsWith("error:")) ?? stderr.trim().split("\n").at(-1) ?? "";
  if (code === 0) console.log(`ok       ${command}`);
  else {
    failed++;
    console.log(`FAILED   ${command}\n         ${error}`);
  }
}
console.log(`\n${list.length} commands: ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
