/**
 * Providers and signers of the app: reads go through the app server's JSON-RPC route (`/rpc`, same origin); the
 * signer is a wallet derived from the local network's mnemonic, or any injected EIP-1193 wallet elsewhere.
 */
import { ethers } from "ethers";

import type { AppConfig } from "./api.js";

declare global {
  interface Window {
    ethereum?: ethers.Eip1193Provider & {
      on?: (event: string, listener: (...args: unknown[]) => void) => void;
    };
  }
}

/** Transaction receipts and the client's polls: a local chain mines at once, so poll often. */
const POLLING_MS = 500;

/** The read provider: the app server's `/rpc`, never cached (a record read twice must see the new blocks). */
export function rpcProvider(config: AppConfig): ethers.JsonRpcProvider {
  const network = ethers.Network.from(BigInt(config.chainId));
  const provider = new ethers.JsonRpcProvider(`${location.origin}/rpc`, network, {
    staticNetwork: network,
    cacheTimeout: -1,
    pollingInterval: POLLING_MS,
  });
  return provider;
}

/** The local network's wallet: account `accountIndex` of the mnemonic, sending through `/rpc`. */
export function localSigner(
  wallet: { mnemonic: string; accountIndex: number },
  provider: ethers.JsonRpcProvider,
): ethers.Signer {
  const path = `m/44'/60'/0'/0/${wallet.accountIndex}`;
  return ethers.HDNodeWallet.fromPhrase(wallet.mnemonic, undefined, path).connect(provider);
}

/** The wallet is missing, refused, or on another chain: the message says what to do. */
export class WalletError extends Error {
  override readonly name = "WalletError";
}

/**
 * The injected wallet's signer, switched to the app's chain (asking the wallet to switch when it is elsewhere).
 * @throws {WalletError}
 */
export async function injectedSigner(chainId: string): Promise<ethers.Signer> {
  const ethereum = window.ethereum;
  if (ethereum === undefined) {
    throw new WalletError("no browser wallet found (window.ethereum): install one (e.g. MetaMask) and reload");
  }
  const provider = new ethers.BrowserProvider(ethereum, "any");
  provider.pollingInterval = POLLING_MS;
  const wanted = BigInt(chainId);
  if ((await provider.getNetwork()).chainId !== wanted) {
    try {
      await ethereum.request({
        method: "wallet_switchEthereumChain",
        params: [{ chainId: ethers.toQuantity(wanted) }],
      });
    } catch {
      throw new WalletError(`the wallet is on another chain: switch it to chain id ${chainId} and connect again`);
    }
  }
  try {
    return await provider.getSigner();
  } catch (error) {
    throw new WalletError(`the wallet refused the connection: ${(error as Error).message}`);
  }
}

/** Reloads the page when the injected wallet changes account or chain (every client is bound to the old signer). */
export function reloadOnWalletChange(): void {
  window.ethereum?.on?.("accountsChanged", () => location.reload());
  window.ethereum?.on?.("chainChanged", () => location.reload());
}
