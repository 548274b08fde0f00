/**
 * The web app in a real browser: a multi-process network (one worker, three verifiers), the app server with the
 * built app (`npm run build:app`, which `npm test` runs first), and Debian's Chromium driven headless by
 * playwright-core (`scripts/ensure-browser.sh` installs it). The test tops up the browser's wallet with the faucet
 * button, sends a chat message to the COMMITTEE language model, waits until the message shows it is settled, opens
 * its record in the explorer and checks the page's own hash check, then checks that the Observatory's counts equal
 * the chain's. Screenshots of the three pages go to `.opg/screenshots/` (README, "Web app").
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { ethers } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";

import { LOCAL_BROWSER_ACCOUNT, LOCAL_MNEMONIC } from "../../offchain/app/launch.js";
import type { AppServer } from "../../offchain/app/server.js";
import type { MultiProcessNetwork } from "../../offchain/devnet/multiprocess.js";
import { Mode } from "../../offchain/devnet/protocol.js";
import { launchAppOn, REPOSITORY_ROOT, startSmallNetwork, type SmallNetwork } from "./helpers/smallNetwork.js";

const root = REPOSITORY_ROOT;
const STATIC_DIR = path.join(root, "app", "dist");
const SCREENSHOTS = path.join(root, ".opg", "screenshots");
const BROWSER = process.env.OPG_BROWSER ?? "/usr/bin/chromium";
const HEADLESS_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

describe("Web app in headless Chromium: chat, explorer, observatory", function () {
  this.timeout(300_000);
  let small: SmallNetwork | undefined;
  let net: MultiProcessNetwork;
  let dir: string;
  let app: AppServer;
  let browser: Browser;
  let page: Page;

  before(async function () {
    if (!existsSync(path.join(STATIC_DIR, "index.html"))) {
      throw new Error("app/dist is not built: run `npm run build:app` (npm test does it before the tests)");
    }
    if (!existsSync(BROWSER)) throw new Error(`no browser at ${BROWSER}: run \`sh scripts/ensure-browser.sh\``);
    small = await startSmallNetwork("browser", { workers: 1, verifiers: 3 });
    net = small.net;
    dir = small.dir;
    app = await launchAppOn(small, STATIC_DIR);
    browser = await chromium.launch({ executablePath: BROWSER, args: HEADLESS_FLAGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  after(async function () {
    await browser?.close();
    await app?.close();
    await small?.stop();
  });

  let requestId: string;

  it("a chat message goes through the three layers and shows it is settled", async function () {
    const lm = net.deployed.languageModels.find((m) => m.mode === Mode.COMMITTEE)!;
    await page.goto(`${app.url}/#/chat`);
    await page.getByTestId("chat-model").selectOption(lm.id.toString());
    // The app gives the browser's development account a reserve on a new chain; the faucet button adds 100 OPG.
    const opg = (text: string) => Number(text.replace(/[^\d.]/g, ""));
    await expectText(page, "wallet-opg", (text) => opg(text) > 0);
    const before = opg(await page.getByTestId("wallet-opg").innerText());
    await page.getByTestId("wallet-faucet").click();
    await expectText(page, "wallet-opg", (text) => opg(text) === before + 100);
    await page.getByTestId("chat-input").fill("The jury said that");
    await page.getByTestId("chat-send").click();
    const message = page.getByTestId("chat-message").last();
    await message
      .getByTestId("message-status")
      .filter({ hasText: /settled/i })
      .waitFor({ timeout: 180_000 });
    requestId = (await message.getAttribute("data-request-id")) ?? "";
    expect(requestId).to.match(/^\d+$/);
    const request = await net.deployed.contracts.hub.getRequest(BigInt(requestId));
    expect(request.status).to.equal(4n); // Finalized
    expect(request.modelId).to.equal(lm.id);
    // Sent from the browser's development account (LOCAL_BROWSER_ACCOUNT of the Hardhat mnemonic).
    const account = ethers.HDNodeWallet.fromPhrase(
      LOCAL_MNEMONIC,
      undefined,
      `m/44'/60'/0'/0/${LOCAL_BROWSER_ACCOUNT}`,
    );
    expect(request.requester).to.equal(account.address);
    expect(await page.getByTestId("wallet-address").innerText()).to.include(account.address.slice(0, 8));
    await page.screenshot({ path: path.join(SCREENSHOTS, "chat.png"), fullPage: true });
  });

  it("the explorer shows the message's record and the hash it recomputes matches the chain", async function () {
    const chat = page.getByTestId("chat-message").last();
    await chat.getByTestId("message-explorer-link").click();
    const record = page.getByTestId("explorer-request");
    await record.waitFor();
    expect(await record.getAttribute("data-request-id")).to.equal(requestId);
    await expectText(page, "explorer-hash-match", (text) => text === "match");
    const output = await page.getByTestId("explorer-output-text").innerText();
    expect(output.length).to.be.greaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, "explorer.png"), fullPage: true });
  });

  it("the observatory's counts equal the chain's", async function () {
    const { hub, staking } = net.deployed.contracts;
    const requests = (await hub.queryFilter(hub.filters.InferenceRequested())).length;
    const actors = net.deployed.actors;
    const active = async (addresses: string[], role: number) =>
      (await Promise.all(addresses.map((a) => staking.weightOf(a, role)))).filter((w) => w > 0n).length;
    const workers = await active(
      actors.workers.map((w) => w.address),
      1,
    );
    const verifiers = await active(
      actors.verifiers.map((v) => v.address),
      2,
    );
    await page.goto(`${app.url}/#/observatory`);
    await page.getByTestId("observatory-calls").waitFor();
    await expectText(page, "observatory-total", (text) => text === String(requests));
    await expectText(page, "observatory-workers", (text) => text === String(workers));
    await expectText(page, "observatory-verifiers", (text) => text === String(verifiers));
    expect(requests).to.be.greaterThan(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, "observatory.png"), fullPage: true });
  });
});

/** Waits (up to 60 s) until the element's trimmed text satisfies `ok`; fails with the last text seen. */
async function expectText(page: Page, testId: string, ok: (text: string) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = "";
  while (Date.now() < deadline) {
    last = (
      await page
        .getByTestId(testId)
        .first()
        .innerText()
        .catch(() => "")
    ).trim();
    if (ok(last)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${testId} still shows "${last}"`);
}
