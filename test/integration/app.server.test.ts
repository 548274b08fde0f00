/**
 * The web app's server against a real multi-process network (one worker node process): its config, models,
 * tokenizer, observatory and faucet endpoints, the JSON-RPC proxy, and the OpenAI-style chat API, whose answer is a
 * generation the network made and settled (NONE mode: final as soon as the worker posts it).
 */
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";

import { LOCAL_API_ACCOUNT, LOCAL_BROWSER_ACCOUNT } from "../../offchain/app/launch.js";
import type { AppServer } from "../../offchain/app/server.js";
import type { MultiProcessNetwork } from "../../offchain/devnet/multiprocess.js";
import { Mode } from "../../offchain/devnet/protocol.js";
import { launchAppOn, startSmallNetwork, type SmallNetwork } from "./helpers/smallNetwork.js";

describe("App server: API, RPC proxy and the OpenAI-style chat API on a running network", function () {
  this.timeout(300_000);
  let small: SmallNetwork | undefined;
  let net: MultiProcessNetwork;
  let dir: string;
  let app: AppServer;

  before(async function () {
    small = await startSmallNetwork("app", { workers: 1, verifiers: 0 });
    net = small.net;
    dir = small.dir;
    app = await launchAppOn(small, path.join(dir, "no-app-built"));
  });

  after(async function () {
    await app?.close();
    await small?.stop();
  });

  const get = async (p: string) => {
    const res = await fetch(app.url + p);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const post = async (p: string, body: unknown) => {
    const res = await fetch(app.url + p, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("config names the deployment and, on the local network, the browser's development account", async function () {
    const { status, body } = await get("/api/config");
    expect(status).to.equal(200);
    expect(body["chainId"]).to.equal("31337");
    expect((body["addresses"] as { hub: string }).hub).to.equal(net.deployed.contracts.addresses.hub);
    expect(body["wallet"]).to.deep.include({ kind: "local", accountIndex: LOCAL_BROWSER_ACCOUNT });
  });

  it("models lists every registered model; the tokenizer endpoint serves the bytes of the registered sha256", async function () {
    const { body } = await get("/api/models");
    const models = body as unknown as Array<{ id: string; kind: string; tokenizerHash: string }>;
    const count = Number(await net.deployed.contracts.registry.modelCount());
    expect(models).to.have.length(count);
    const lm = models.find((m) => m.kind === "CAUSAL_LM")!;
    const res = await fetch(`${app.url}/api/tokenizers/${lm.tokenizerHash}`);
    expect(res.status).to.equal(200);
    expect(ethers.sha256(new Uint8Array(await res.arrayBuffer()))).to.equal(lm.tokenizerHash);
    const unknown = await get(`/api/tokenizers/0x${"11".repeat(32)}`);
    expect(unknown.status).to.equal(404);
    expect(unknown.body["error"]).to.match(/^no registered model has tokenizer/);
  });

  it("the RPC proxy forwards JSON-RPC to the chain", async function () {
    const { body } = await post("/rpc", { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] });
    expect(body["result"]).to.equal("0x7a69");
  });

  it("the faucet funds an address with OPG and gas money, and refuses a bad one", async function () {
    const to = ethers.Wallet.createRandom().address;
    const { status, body } = await post("/api/faucet", { to });
    expect(status).to.equal(200);
    expect((body["txHashes"] as string[]).length).to.equal(2);
    expect(await net.deployed.contracts.token.balanceOf(to)).to.equal(ethers.parseEther("100"));
    const bad = await post("/api/faucet", { to: "bob" });
    expect(bad.status).to.equal(400);
    expect(bad.body["error"]).to.equal("to must be an address");
  });

  it("POST /v1/chat/completions answers in OpenAI's shape with a generation the network settled", async function () {
    const lm = net.deployed.languageModels.find((m) => m.mode === Mode.NONE)!;
    const listed = await get("/v1/models");
    expect((listed.body["data"] as Array<{ id: string }>).map((m) => m.id)).to.include(lm.id.toString());
    const { status, body } = await post("/v1/chat/completions", {
      model: lm.id.toString(),
      messages: [{ role: "user", content: "The jury said" }],
      max_tokens: 12,
      temperature: 0,
    });
    expect(status, JSON.stringify(body)).to.equal(200);
    expect(body["object"]).to.equal("chat.completion");
    const choice = (
      body["choices"] as Array<{ message: { role: string; content: string }; finish_reason: string }>
    )[0]!;
    expect(choice.message.role).to.equal("assistant");
    expect(choice.finish_reason).to.be.oneOf(["stop", "length"]);
    const opg = body["opg"] as { requestId: string; record: string; status: string; resultHash: string };
    expect(opg.status).to.equal("Finalized");
    expect(opg.record).to.equal(`${app.url}/#/explorer/${opg.requestId}`);
    const request = await net.deployed.contracts.hub.getRequest(BigInt(opg.requestId));
    expect(request.resultHash).to.equal(opg.resultHash);
    expect(request.requester).to.equal(
      ethers.HDNodeWallet.fromPhrase(
        "test test test test test test test test test test test junk",
        undefined,
        `m/44'/60'/0'/0/${LOCAL_API_ACCOUNT}`,
      ).address,
    );
    const usage = body["usage"] as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    expect(usage.total_tokens).to.equal(usage.prompt_tokens + usage.completion_tokens);
    expect(usage.completion_tokens).to.be.within(1, 12);
  });

  it("the chat API's mistakes are OpenAI-style errors: streaming, a tensor model, an unknown model, a bad role", async function () {
    const tensor = net.deployed.models[0]!.id.toString();
    const cases: Array<[unknown, number, RegExp]> = [
      [{ model: "6", messages: [{ role: "user", content: "x" }], stream: true }, 400, /streaming is not supported/],
      [{ model: tensor, messages: [{ role: "user", content: "x" }] }, 400, /is a tensor model, not a language model/],
      [{ model: "999", messages: [{ role: "user", content: "x" }] }, 404, /model 999 does not exist/],
      [{ model: "6", messages: [{ role: "robot", content: "x" }] }, 400, /role must be system, user or assistant/],
      [{ model: "6", messages: [] }, 400, /messages must be a non-empty array/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post("/v1/chat/completions", body);
      expect(res.status, JSON.stringify(body)).to.equal(status);
      expect((res.body["error"] as { message: string }).message).to.match(message);
    }
  });

  it("the observatory counts what the chain holds, and pages are served only once the app is built", async function () {
    const { status, body } = await get("/api/observatory?window=300");
    expect(status).to.equal(200);
    const stats = body["stats"] as { requests: { total: number }; workers: { active: number } };
    const requests = await net.deployed.contracts.hub.queryFilter(
      net.deployed.contracts.hub.filters.InferenceRequested(),
    );
    expect(stats.requests.total).to.equal(requests.length);
    expect(stats.workers.active).to.equal(1);
    expect((await get("/api/observatory?window=abc")).status).to.equal(400);
    const page = await fetch(`${app.url}/`);
    expect(page.status).to.equal(503);
    expect(await page.text()).to.match(/the web app is not built/);
  });
});
