/** The requester's wallet: address, balances, a deposit into settlement and, on the local network, a faucet. */
import { ethers } from "ethers";
import { useState } from "react";

import { requestFaucet } from "../lib/api.js";
import type { WalletBalances } from "../lib/balances.js";
import { useApp } from "../lib/context.js";
import { errorText, formatOpg } from "../lib/format.js";
import { ErrorLine, Hex } from "./common.js";

export function WalletPanel({
  balances,
  balanceError,
  refresh,
  busy,
}: {
  balances: WalletBalances | null;
  balanceError: string | null;
  refresh: () => Promise<void>;
  /** A message is in flight: the wallet's transactions must not interleave with its own. */
  busy: boolean;
}) {
  const { config, wallet, connectWallet } = useApp();
  const [amount, setAmount] = useState("10");
  const [action, setAction] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  if (wallet.status !== "connected") {
    return (
      <section className="panel wallet">
        <h2>Wallet</h2>
        {wallet.status === "connecting" ? (
          <p className="muted">Connecting…</p>
        ) : (
          <>
            <p className="muted">Connect a browser wallet on chain {config.chainId} to send messages.</p>
            <button onClick={() => void connectWallet()}>Connect wallet</button>
            <ErrorLine error={wallet.error} />
          </>
        )}
      </section>
    );
  }

  const run = async (name: string, task: () => Promise<string>) => {
    setAction(name);
    setError(null);
    setNotice(null);
    try {
      setNotice(await task());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setAction(null);
      await refresh();
    }
  };

  const deposit = () =>
    run("deposit", async () => {
      let wei: bigint;
      try {
        wei = ethers.parseEther(amount.trim());
      } catch {
        throw new Error(`"${amount}" is not an OPG amount`);
      }
      if (wei <= 0n) throw new Error("deposit a positive amount");
      const tx = await wallet.client.deposit(wei);
      return `deposited ${formatOpg(wei)} (tx ${tx.slice(0, 10)}…)`;
    });

  const faucet = () =>
    run("faucet", async () => {
      const { txHashes } = await requestFaucet(wallet.address);
      await Promise.all(txHashes.map((hash) => wallet.client.signer.provider?.waitForTransaction(hash)));
      return `faucet sent ${txHashes.length} transaction${txHashes.length === 1 ? "" : "s"}`;
    });

  return (
    <section className="panel wallet">
      <h2>
        Wallet <span className="muted small">{wallet.kind === "local" ? "local account" : "browser wallet"}</span>
      </h2>
      <p className="address" data-testid="wallet-address">
        <Hex value={wallet.address} keep={8} />
      </p>
      <dl className="balances">
        <div>
          <dt>Wallet</dt>
          <dd data-testid="wallet-opg">{balances === null ? "…" : formatOpg(balances.wallet)}</dd>
        </div>
        <div>
          <dt>Settlement (free)</dt>
          <dd data-testid="wallet-free">{balances === null ? "…" : formatOpg(balances.free)}</dd>
        </div>
        <div>
          <dt>Credits</dt>
          <dd>{balances === null ? "…" : formatOpg(balances.credits)}</dd>
        </div>
        <div>
          <dt>Gas</dt>
          <dd>{balances === null ? "…" : `${Number(ethers.formatEther(balances.gas)).toFixed(4)} ETH`}</dd>
        </div>
      </dl>
      <div className="row">
        <input
          aria-label="Deposit amount (OPG)"
          className="amount"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          inputMode="decimal"
        />
        <button onClick={() => void deposit()} disabled={action !== null || busy} data-testid="wallet-deposit">
          {action === "deposit" ? "Depositing…" : "Deposit"}
        </button>
        {config.local && (
          <button
            className="secondary"
            onClick={() => void faucet()}
            disabled={action !== null}
            data-testid="wallet-faucet"
          >
            {action === "faucet" ? "Sending…" : "Faucet"}
          </button>
        )}
      </div>
      {balances !== null && balances.wallet === 0n && balances.free === 0n && notice === null && (
        <p className="muted small" data-testid="wallet-empty">
          {config.local
            ? "This account holds no OPG yet: press Faucet to get some."
            : "This account holds no OPG: requests are paid in OPG from the settlement balance."}
        </p>
      )}
      {notice !== null && <p className="notice">{notice}</p>}
      <ErrorLine error={error ?? balanceError} />
    </section>
  );
}
