/**
 * What every page shares: the server's configuration, the read provider and a read-only client on it, the
 * registered models, and the wallet (connected at once on the local network, on request with an injected wallet).
 */
import { ethers } from "ethers";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { OpgClient } from "../../../offchain/client/client.js";
import { getConfig, getModels, serverTokenizerSource, type ApiModel, type AppConfig } from "./api.js";
import { injectedSigner, localSigner, reloadOnWalletChange, rpcProvider } from "./wallet.js";

export type WalletState =
  | { status: "disconnected"; error: string | null }
  | { status: "connecting" }
  | { status: "connected"; kind: "local" | "injected"; address: string; client: OpgClient };

export interface AppContextValue {
  config: AppConfig;
  provider: ethers.JsonRpcProvider;
  /** Reads records and models through `/rpc` (no wallet needed). */
  reader: OpgClient;
  models: ApiModel[];
  reloadModels: () => Promise<void>;
  wallet: WalletState;
  connectWallet: () => Promise<void>;
}

const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null) throw new Error("useApp outside <AppProvider>");
  return value;
}

type Loaded = { config: AppConfig; provider: ethers.JsonRpcProvider; reader: OpgClient };

export function AppProvider({ children }: { children: ReactNode }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [models, setModels] = useState<ApiModel[]>([]);
  const [wallet, setWallet] = useState<WalletState>({ status: "disconnected", error: null });

  useEffect(() => {
    let cancelled = false;
    (async () => {
      const config = await getConfig();
      const provider = rpcProvider(config);
      const reader = new OpgClient(config.addresses, new ethers.VoidSigner(ethers.ZeroAddress, provider), {
        tokenizerSource: serverTokenizerSource,
      });
      const registered = await getModels();
      if (cancelled) return;
      setLoaded({ config, provider, reader });
      setModels(registered);
    })().catch((error: unknown) => {
      if (!cancelled) setLoadError((error as Error).message);
    });
    return () => {
      cancelled = true;
    };
  }, []);

  const connectWallet = useCallback(async () => {
    if (loaded === null) return;
    const { config, provider } = loaded;
    setWallet({ status: "connecting" });
    try {
      const signer =
        config.wallet.kind === "local" ? localSigner(config.wallet, provider) : await injectedSigner(config.chainId);
      if (config.wallet.kind === "injected") reloadOnWalletChange();
      const client = new OpgClient(config.addresses, signer, { tokenizerSource: serverTokenizerSource });
      setWallet({ status: "connected", kind: config.wallet.kind, address: await signer.getAddress(), client });
    } catch (error) {
      setWallet({ status: "disconnected", error: (error as Error).message });
    }
  }, [loaded]);

  // The local network's wallet needs no consent: connect it as soon as the configuration is known.
  useEffect(() => {
    if (loaded?.config.wallet.kind === "local") void connectWallet();
  }, [loaded, connectWallet]);

  const reloadModels = useCallback(async () => setModels(await getModels()), []);

  const value = useMemo<AppContextValue | null>(
    () => (loaded === null ? null : { ...loaded, models, reloadModels, wallet, connectWallet }),
    [loaded, models, reloadModels, wallet, connectWallet],
  );

  if (loadError !== null) {
    return (
      <div className="fatal">
        <h1>The app could not start</h1>
        <p>{loadError}</p>
        <p className="muted">It needs its server (`npm run app`, also started by `npm run network`).</p>
      </div>
    );
  }
  if (value === null) return <div className="fatal muted">Connecting to the network…</div>;
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}
