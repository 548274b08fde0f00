/**
 * Starts the web app's server for a deployment: finds the deployment of the chain behind `rpcUrl`, and on the local
 * network (chain id 31337) wires the development accounts — the browser's wallet, the API's paying account (topped
 * up from the supply when low) and the faucet. On any other network the browser uses an injected wallet, the API
 * pays with `OPG_APP_PRIVATE_KEY`, and there is no faucet.
 */
import path from "node:path";

import { ethers } from "ethers";

import { connectContracts } from "../chain/contracts.js";
import { deploymentFile, readDeployment } from "../chain/deployment.js";
import type { Logger } from "../node/logger.js";
import { startAppServer, type AppServer } from "./server.js";

/** Hardhat's development mnemonic: the local chain's accounts. */
export const LOCAL_MNEMONIC = "test test test test test test test test test test test junk";
export const LOCAL_CHAIN_ID = "31337";
/**
 * Local accounts of the app, at the end of the chain's 20 so the network's operators (4 … 17 by default) never
 * share a nonce with them: 19 is the browser's wallet, 18 pays for API requests.
 */
export const LOCAL_BROWSER_ACCOUNT = 19;
export const LOCAL_API_ACCOUNT = 18;
const API_RESERVE = ethers.parseEther("50");

export interface LaunchAppOptions {
  root: string;
  rpcUrl: string;
  port: number;
  host?: string;
  /** The deployment record; default `.opg/deployments/<chainId>.json` under `root`. */
  deployment?: string;
  /** Built app; default `app/dist` under `root`. */
  staticDir?: string;
  network?: string;
  /** Pays for API requests on networks other than the local one. */
  apiPrivateKey?: string;
  logger: Logger;
}

export async function launchApp(options: LaunchAppOptions): Promise<AppServer> {
  const provider = new ethers.JsonRpcProvider(options.rpcUrl, undefined, { cacheTimeout: -1 });
  let chainId: string;
  try {
    chainId = (await provider.getNetwork()).chainId.toString();
  } catch {
    provider.destroy();
    throw new Error(`no chain answers at ${options.rpcUrl}: start one with \`npm run network\` or set OPG_RPC_URL`);
  }
  const addresses = await readDeployment(options.deployment ?? deploymentFile(options.root, chainId));
  if (addresses.chainId !== chainId) {
    provider.destroy();
    throw new Error(`the deployment is for chain ${addresses.chainId}, the RPC serves chain ${chainId}`);
  }
  const local = chainId === LOCAL_CHAIN_ID;
  const account = (index: number) =>
    ethers.HDNodeWallet.fromPhrase(LOCAL_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).connect(provider);
  let apiSigner: ethers.Signer | undefined;
  if (options.apiPrivateKey !== undefined && options.apiPrivateKey !== "") {
    apiSigner = new ethers.Wallet(options.apiPrivateKey, provider);
  } else if (local) {
    apiSigner = account(LOCAL_API_ACCOUNT);
  }
  if (local) {
    // On a new local chain the app's accounts hold no OPG: give them a reserve from the supply (account 0), so the
    // first chat message and the first API call work without a trip to the faucet.
    const token = connectContracts(addresses, account(0)).token;
    for (const index of [LOCAL_API_ACCOUNT, LOCAL_BROWSER_ACCOUNT]) {
      const address = account(index).address;
      if ((await token.balanceOf(address)) < API_RESERVE / 2n)
        await (await token.transfer(address, API_RESERVE)).wait();
    }
  }
  provider.destroy();
  return startAppServer({
    rpcUrl: options.rpcUrl,
    addresses,
    network: options.network ?? (local ? "localhost" : `chain ${chainId}`),
    staticDir: options.staticDir ?? path.join(options.root, "app", "dist"),
    root: options.root,
    port: options.port,
    host: options.host,
    logger: options.logger,
    localWallet: local ? { mnemonic: LOCAL_MNEMONIC, accountIndex: LOCAL_BROWSER_ACCOUNT } : undefined,
    apiSigner,
    faucetSigner: local ? account(0) : undefined,
    confirmations: local ? 2 : 12,
  });
}
