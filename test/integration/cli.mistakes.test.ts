/**
 * The mistakes a new requester or operator makes, run through the real tasks (`hardhat <task>` as a child process,
 * as a person types it) against a local chain with the protocol deployed and no nodes: each ends in one `error:`
 * line that names what was wrong and what to do, a non-zero exit code, no stack trace — and nothing sent.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import {
  launchMultiProcessNetwork,
  removeIgnitionJournal,
  type MultiProcessNetwork,
} from "../../offchain/devnet/multiprocess.js";
import { loadIgnitionParameters } from "../../offchain/devnet/protocol.js";

const root = process.cwd();
const HARDHAT = path.join(root, "node_modules", "hardhat", "dist", "src", "cli.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Hardhat turns --show-stack-traces on by itself when it detects a CI service (`isCi` in hardhat-utils). These
// tests check what a person at a terminal sees, so the children run without the variables it looks for.
const CI_DETECTION = [
  "CI",
  "CONTINUOUS_INTEGRATION",
  "GITHUB_ACTIONS",
  "NOW",
  "DEPLOYMENT_ID",
  "CODEBUILD_BUILD_NUMBER",
  "BUILD_NUMBER",
  "RUN_ID",
];

function terminalEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, FORCE_COLOR: "0", NO_COLOR: "1" };
  for (const name of CI_DETECTION) delete env[name];
  return env;
}

function hardhat(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT, ...args], {
      cwd: root,
      env: terminalEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Exit code 1, exactly one non-empty stderr line `error: …` containing every `expected` part, no stack trace. */
function expectOneLineError(run: Run, ...expected: string[]): void {
  const lines = run.stderr.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("npm warn"));
  expect(run.code, `exit code (stderr: ${run.stderr})`).to.equal(1);
  expect(lines, run.stderr).to.have.length(1);
  expect(lines[0]).to.match(/^error: /);
  for (const part of expected) expect(lines[0]).to.include(part);
  const all = run.stdout + run.stderr;
  expect(all).not.to.match(/^\s+at /m);
  expect(all).not.to.include("If you think this is a bug");
}

describe("Mistakes through the real tasks: one line, non-zero exit, no stack trace, nothing sent", function () {
  this.timeout(300_000);
  let net: MultiProcessNetwork;
  let dir: string;
  let env: Record<string, string>;
  let deployment: string[];
  let broke: string; // an account with no OPG
  const deploymentId = `opg-local-mistakes-${process.pid}-${Date.now()}`;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), "opg-mistakes-"));
    // No nodes: the chain and the deployment are all these mistakes need (no worker: HubNoWorkerAvailable).
    net = await launchMultiProcessNetwork({
      networkManager: network,
      root,
      dir,
      port: 0,
      workers: 0,
      verifiers: 0,
      keepers: 0,
      models: "demo",
      parameters: await loadIgnitionParameters("localhost"),
      deploymentId,
    });
    env = { OPG_RPC_URL: net.url };
    deployment = ["--deployment", net.deploymentFile];
    const signers = await net.connection.ethers.getSigners();
    const token = net.deployed.contracts.token;
    let found: string | undefined;
    for (const signer of [...signers].reverse()) {
      if ((await token.balanceOf(signer.address)) === 0n) {
        found = signer.address;
        break;
      }
    }
    if (found === undefined) throw new Error("every account holds OPG: no broke account to test with");
    broke = found;
  });

  after(async function () {
    await net?.stop();
    await removeIgnitionJournal(root, deploymentId);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("no network running: says how to start one", async function () {
    const run = await hardhat(["model:list"], { OPG_RPC_URL: "http://127.0.0.1:9" });
    expectOneLineError(run, "no local network answers at http://127.0.0.1:9", "npm run network");
  });

  it("reaches the local network without --network and prints hints that work as pasted", async function () {
    const run = await hardhat(["model:list", ...deployment], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^1\s+NONE/m);
  });

  it("a deployment file that does not belong to the chain", async function () {
    const stale = path.join(dir, "stale.json");
    const addresses = { ...net.deployed.contracts.addresses, hub: "0x000000000000000000000000000000000000dEaD" };
    await writeFile(stale, JSON.stringify(addresses));
    const run = await hardhat(["model:list", "--deployment", stale], env);
    expectOneLineError(run, "has no contracts on network localhost", "restart `npm run network`");
  });

  it("--id abc and --model abc: names the option and the fix", async function () {
    expectOneLineError(
      await hardhat(["model:show", "--id", "abc", ...deployment], env),
      '--id must be a positive whole number such as 1 (got "abc")',
      "model:list",
    );
    expectOneLineError(
      await hardhat(["infer", "--model", "abc", "--input", "[1,2,3,4]", ...deployment], env),
      '--model must be a positive whole number such as 1 (got "abc")',
    );
  });

  it("a model that does not exist", async function () {
    expectOneLineError(
      await hardhat(["model:show", "--id", "99", ...deployment], env),
      "model #99 does not exist",
      "npx hardhat model:list",
    );
  });

  it("model:show prints the model's inputs and outputs in the dtype vocabulary", async function () {
    const run = await hardhat(["model:show", "--id", "1", ...deployment], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/input\s+features\s+float32\s+\[/);
    expect(run.stdout).to.match(/output\s+probabilities\s+float32\s+\[/);
  });

  it("strings in --input data, and an unknown dtype", async function () {
    expectOneLineError(
      await hardhat(["infer", "--model", "1", "--input", '["a", 3.5, 1.4, 0.2]', ...deployment], env),
      '--input element "a" is not a number',
    );
    expectOneLineError(
      await hardhat(
        ["infer", "--model", "1", "--input", '{"shape":[1,4],"data":[1,2,3,4],"dtype":"complex"}', ...deployment],
        env,
      ),
      'unknown dtype "complex"',
      "float32",
    );
  });

  it("an input that does not fit the model: refused before paying, with the expected signature", async function () {
    const settlement = net.deployed.contracts.settlement;
    const [deployer] = await net.connection.ethers.getSigners();
    const before = await settlement.balanceOf(deployer!.address);
    const nonce = await net.connection.ethers.provider.getTransactionCount(deployer!.address);
    const run = await hardhat(["infer", "--model", "1", "--input", "[5.1, 3.5, 1.4, 0.2, 9.9]", ...deployment], env);
    expectOneLineError(
      run,
      "model #1 does not take this input",
      "dimension 1 is 5, expected 4",
      'input "features" float32',
      "Nothing was sent",
    );
    expect(await settlement.balanceOf(deployer!.address)).to.equal(before);
    expect(await net.connection.ethers.provider.getTransactionCount(deployer!.address)).to.equal(nonce);
  });

  it("a wallet without OPG: says how to get some", async function () {
    const run = await hardhat(
      ["infer", "--model", "1", "--input", "[5.1, 3.5, 1.4, 0.2]", "--account", broke, ...deployment],
      env,
    );
    expectOneLineError(run, `wallet ${broke} holds 0.0 OPG`, "npx hardhat faucet");
  });

  it("no worker for the model: HubNoWorkerAvailable explained", async function () {
    const run = await hardhat(["infer", "--model", "1", "--input", "[5.1, 3.5, 1.4, 0.2]", ...deployment], env);
    expectOneLineError(run, "no worker can take model #1 right now", "npx hardhat worker --stake");
  });

  it("worker --stake with no balance: refused before any approve is sent", async function () {
    const nonce = await net.connection.ethers.provider.getTransactionCount(broke);
    const run = await hardhat(["worker", "--stake", "1000", "--account", broke, ...deployment], env);
    expectOneLineError(run, "--stake 1000.0 OPG is more than", "nothing was sent", "npx hardhat faucet");
    expect(await net.connection.ethers.provider.getTransactionCount(broke)).to.equal(nonce);
  });

  it("model:register with a fee below the registry minimum, and with an unreachable URI", async function () {
    const file = path.join(dir, "models", "iris-linear.onnx");
    expectOneLineError(
      await hardhat(["model:register", "--file", file, "--fee", "0.000000000000000001", ...deployment], env),
      "below the registry's minimum",
      "raise --fee",
    );
    expectOneLineError(
      await hardhat(
        ["model:register", "--file", file, "--fee", "1", "--uri", "http://127.0.0.1:9/model.onnx", ...deployment],
        env,
      ),
      "workers could not obtain the model from http://127.0.0.1:9/model.onnx",
      "--no-fetch-check",
    );
  });

  it("generate: a tensor model, a bad temperature, max tokens out of bounds, a prompt longer than the context; nothing sent", async function () {
    const lm = net.deployed.languageModels[0]!.id.toString();
    const requester = (await net.connection.ethers.getSigners())[0]!.address;
    const nonce = await net.connection.ethers.provider.getTransactionCount(requester);
    const generate = (...args: string[]) => hardhat(["generate", ...args, ...deployment], env);
    expectOneLineError(
      await generate("--model", "1", "--prompt", "The"),
      "model 1 is a tensor model, not a language model",
      "use `infer`",
    );
    expectOneLineError(
      await generate("--model", lm, "--prompt", "The", "--temperature", "warm"),
      "--temperature must be a number such as 0 (greedy) or 0.8",
    );
    expectOneLineError(
      await generate("--model", lm, "--prompt", "The", "--max-tokens", "5000"),
      "--max-tokens must be a whole number from 1 to 1024",
    );
    expectOneLineError(
      await generate("--model", lm, "--prompt", "word ".repeat(300)),
      "the context holds 256",
      "shorten the prompt",
    );
    expectOneLineError(await generate("--model", lm, "--prompt", ""), "--prompt is empty");
    // Every mistake was refused before anything was signed.
    expect(await net.connection.ethers.provider.getTransactionCount(requester)).to.equal(nonce);
  });

  it("model:register of a language model without its tokenizer, and of a tensor model with one", async function () {
    const lmFile = path.join(root, "models", "lm", "model.onnx");
    const tokenizer = path.join(root, "models", "lm", "tokenizer.json");
    expectOneLineError(
      await hardhat(["model:register", "--file", lmFile, ...deployment], env),
      "is a causal language model: pass its tokenizer with --tokenizer",
    );
    expectOneLineError(
      await hardhat(
        [
          "model:register",
          "--file",
          path.join(dir, "models", "iris-linear.onnx"),
          "--tokenizer",
          tokenizer,
          ...deployment,
        ],
        env,
      ),
      "is a tensor model, not a language model: drop --tokenizer",
    );
  });

  it("request:status of an unknown request", async function () {
    expectOneLineError(
      await hardhat(["request:status", "--id", "4242", ...deployment], env),
      "request 4242 does not exist",
    );
  });

  it("network:stats --json prints one JSON document on stdout; a bad --window is one line", async function () {
    const run = await hardhat(["network:stats", "--json", ...deployment], env);
    expect(run.code, run.stderr).to.equal(0);
    const parsed = JSON.parse(run.stdout) as { requests: { total: unknown } };
    expect(parsed.requests).to.have.property("total");
    expectOneLineError(await hardhat(["network:stats", "--window", "0", ...deployment], env), "--window");
  });

  it("five deposits at once from one account all succeed (they take turns for nonce, balance and allowance)", async function () {
    const [, , , second] = await net.connection.ethers.getSigners();
    const settlement = net.deployed.contracts.settlement;
    const before = await settlement.balanceOf(second!.address);
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => hardhat(["deposit", "--amount", "2", "--account", "3", ...deployment], env)),
    );
    for (const run of runs) expect(run.code, run.stderr).to.equal(0);
    expect(await settlement.balanceOf(second!.address)).to.equal(before + 10n * 10n ** 18n);
  });

  it("faucet: funds an account on the local network, refuses a bad address", async function () {
    expectOneLineError(await hardhat(["faucet", "--to", "bob", ...deployment], env), "--to must be an address");
    const run = await hardhat(["faucet", "--to", broke, "--amount", "5", ...deployment], env);
    expect(run.code, run.stderr).to.equal(0);
    expect(await net.deployed.contracts.token.balanceOf(broke)).to.equal(5n * 10n ** 18n);
  });
});
