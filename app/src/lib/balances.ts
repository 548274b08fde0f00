/** The connected wallet's balances (OPG in the wallet, free and credited in settlement, ETH for gas), kept fresh. */
import { useCallback, useState } from "react";

import type { Balances, OpgClient } from "../../../offchain/client/client.js";
import { errorText } from "./format.js";
import { usePoll } from "./usePoll.js";

export interface WalletBalances extends Balances {
  /** Native coin for gas, wei. */
  gas: bigint;
}

export function useBalances(client: OpgClient | null): {
  balances: WalletBalances | null;
  error: string | null;
  refresh: () => Promise<void>;
} {
  const [balances, setBalances] = useState<WalletBalances | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(async () => {
    if (client === null) return;
    try {
      const address = await client.address();
      const [opg, gas] = await Promise.all([client.balances(), client.signer.provider?.getBalance(address) ?? 0n]);
      setBalances({ ...opg, gas });
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [client]);
  usePoll(refresh, 5_000, [refresh]);
  return { balances, error, refresh };
}
