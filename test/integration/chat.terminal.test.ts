/**
 * `npx hardhat chat` through the real task against a multi-process network (one worker node): messages piped on
 * stdin become generation requests whose prompt is the conversation; each reply shows its stages, the text, the
 * request id, transactions and fee split; `/record` prints the on-chain record of every message; `/quit` ends.
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";

import type { MultiProcessNetwork } from "../../offchain/devnet/multiprocess.js";
import { Mode } from "../../offchain/devnet/protocol.js";
import { decodeTensors } from "../../offchain/codec/tensor.js";
import { LmTokenizer } from "../../offchain/lm/tokenizer.js";
import { REPOSITORY_ROOT, startSmallNetwork, type SmallNetwork } from "./helpers/smallNetwork.js";

const root = REPOSITORY_ROOT;
const HARDHAT = path.join(root, "node_modules", "hardhat", "dist", "src", "cli.js");

function chat(
  args: string[],
  input: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HARDHAT, "chat", ...args], {
      cwd: root,
      env: { ...process.env, ...env, FORCE_COLOR: "0", NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
    child.stdin.end(input);
  });
}

describe("Terminal chat: every message a verified, settled generation", function () {
  this.timeout(300_000);
  let small: SmallNetwork | undefined;
  let net: MultiProcessNetwork;
  let dir: string;

  before(async function () {
    small = await startSmallNetwork("chat", { workers: 1, verifiers: 0 });
    net = small.net;
    dir = small.dir;
  });

  after(async function () {
    await small?.stop();
  });

  it("two messages, /record and /quit: the second prompt carries the first exchange", async function () {
    const lm = net.deployed.languageModels.find((m) => m.mode === Mode.NONE)!;
    const { code, out } = await chat(
      ["--model", lm.id.toString(), "--max-tokens", "8", "--deployment", net.deploymentFile],
      "Hello there\nWhat did the jury say?\n/record\n/quit\n",
      { OPG_RPC_URL: net.url },
    );
    expect(code, out).to.equal(0);
    for (const stage of ["requested", "assigned", "generated", "verified", "settled"])
      expect(out).to.include(`  ${stage}`);
    expect(out.match(/^assistant> /gm)).to.have.length(2);
    expect(out).to.match(/request #\d+ \(NONE, worker 0x[0-9a-fA-F]{40}\), result 0x[0-9a-f]{64}/);
    expect(out).to.match(/fee: royalty [\d.]+ OPG, worker [\d.]+ OPG/);
    expect(out).to.include("chat ended: 2 messages on-chain");
    // /record printed the record of both messages.
    expect(out.match(/^request #\d+ {2}model #\d+ {2}mode NONE {2}status Finalized/gm)).to.have.length(2);

    // On-chain, the second request's prompt is the conversation: the first turn, the first reply, the new message.
    const { hub } = net.deployed.contracts;
    const events = await hub.queryFilter(hub.filters.InferenceRequested());
    const ours = events.filter((e) => e.args.modelId === lm.id);
    expect(ours).to.have.length(2);
    const tokenizer = LmTokenizer.load(await readFile(path.join(root, "models", "lm", "tokenizer.json")));
    const prompt = decodeTensors(ethers.getBytes(ours[1]!.args.input))[0]!.data as bigint[];
    const second = tokenizer.decode(prompt.map(Number));
    expect(second.startsWith("User: Hello there\nAssistant: ")).to.equal(true);
    expect(second.endsWith("\nUser: What did the jury say?\nAssistant:")).to.equal(true);
  });

  it("a message longer than the context is refused with one line, and the chat goes on", async function () {
    const lm = net.deployed.languageModels.find((m) => m.mode === Mode.NONE)!;
    const { code, out } = await chat(
      ["--model", lm.id.toString(), "--max-tokens", "8", "--deployment", net.deploymentFile],
      `${"word ".repeat(300)}\n/quit\n`,
      { OPG_RPC_URL: net.url },
    );
    expect(code, out).to.equal(0);
    expect(out).to.match(
      /error: your message takes \d+ tokens, but the model's context holds 256 with 8 kept for the reply/,
    );
    expect(out).to.include("chat ended: 0 messages on-chain");
  });

  it("a tensor model is refused before the chat starts", async function () {
    const { code, out } = await chat(
      ["--model", net.deployed.models[0]!.id.toString(), "--deployment", net.deploymentFile],
      "/quit\n",
      { OPG_RPC_URL: net.url },
    );
    expect(code).to.equal(1);
    expect(out.trim()).to.match(/^error: model \d+ is a tensor model, not a language model/);
  });
});
