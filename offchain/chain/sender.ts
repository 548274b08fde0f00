/**
 * Sends transactions for one signer: local nonces, gas estimation with a margin, EIP-1559 fees, fee bumping of
 * stuck transactions, retries of transient RPC errors, and reverts decoded to the contracts' custom errors.
 *
 * Broadcasts are serialised (one queue per sender), so concurrent jobs never race for a nonce; waiting for
 * receipts runs concurrently. Use one `TxSender` per key and process — a second writer with the same key (another
 * process, a wallet) is tolerated: "nonce too low" resyncs the nonce and the call is estimated and sent again.
 */
import {
  BaseWallet,
  Interface as AbiInterface,
  Transaction,
  type ContractTransaction,
  type ErrorDescription,
  type Interface,
  type Provider,
  type Result,
  type Signer,
  type TransactionReceipt,
  type TransactionRequest,
} from "ethers";

import {
  DEFAULT_RPC_RETRY,
  describeError,
  errorText,
  isNonceError,
  isReplacementError,
  isTransientRpcError,
  sleep,
  withRetry,
  type RetryOptions,
} from "./retry.js";

// ------------------------------------------------------------------------------------------------- errors

/** Where a revert was seen: the gas estimate (nothing was sent), the broadcast, or the mined transaction. */
export type RevertStage = "estimate" | "send" | "mined";

/** The call reverted. `errorName` is the decoded custom error (`"HubInvalidStatus"`), when the ABI knows it. */
export class TxRevertedError extends Error {
  override readonly name = "TxRevertedError";
  /** Custom error name, `"Error"` for `require` strings, `"Panic"` for panics; undefined when undecodable. */
  readonly errorName: string | undefined;
  /** Decoded error arguments (empty when undecodable). */
  readonly errorArgs: Result | undefined;
  /** Raw revert data (`"0x"` for a revert without data), when the node returned it. */
  readonly data: string | undefined;
  readonly stage: RevertStage;
  /** The mined transaction, for stage "mined". */
  readonly hash: string | undefined;

  constructor(
    readonly label: string,
    readonly reason: string,
    details: {
      stage: RevertStage;
      errorName?: string;
      errorArgs?: Result;
      data?: string;
      hash?: string;
      cause?: unknown;
    },
  ) {
    super(
      `${label} reverted (${details.stage === "mined" ? `mined in ${details.hash ?? "?"}` : `at ${details.stage}`}): ` +
        `${reason}. If this is an expected race (the step was already done by someone else) skip it; otherwise ` +
        "check the on-chain state the call depends on.",
      { cause: details.cause },
    );
    this.errorName = details.errorName;
    this.errorArgs = details.errorArgs;
    this.data = details.data;
    this.stage = details.stage;
    this.hash = details.hash;
  }
}

/** The transaction could not be sent and retrying will not help (e.g. no ETH for gas). */
export class TxSendError extends Error {
  override readonly name = "TxSendError";

  constructor(
    readonly label: string,
    readonly account: string,
    override readonly cause: unknown,
  ) {
    super(`${label}: could not send from ${account}: ${describeError(cause)}. ${sendAdvice(cause)}`, { cause });
  }
}

/** No transaction of the nonce was mined in time, fee bumps included. */
export class TxTimeoutError extends Error {
  override readonly name = "TxTimeoutError";

  constructor(
    readonly label: string,
    readonly account: string,
    readonly nonce: number,
    readonly hashes: readonly string[],
    readonly lastMaxFeePerGas: bigint,
  ) {
    super(
      `${label}: nonce ${nonce} of ${account} not mined after ${hashes.length} broadcast(s) ` +
        `(last max fee ${lastMaxFeePerGas} wei/gas; hashes ${hashes.join(", ")}). Raise maxFeePerGasCap or ` +
        "stuckAfterMs/maxBumps, or check that the RPC node relays transactions; later sends of this key queue " +
        "behind this nonce.",
    );
  }
}

function sendAdvice(cause: unknown): string {
  const text = errorText(cause);
  if (/insufficient funds|enough funds/i.test(text))
    return "Fund the account with native currency for gas, then retry.";
  if (/gas required exceeds|intrinsic gas/i.test(text)) return "The gas limit is too low: raise gasMultiplier.";
  return "Check the RPC endpoint and the account, then retry.";
}

// ------------------------------------------------------------------------------------------------- options

export type TxSenderEvent =
  | { type: "sent"; label: string; nonce: number; hash: string; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | {
      type: "bumped";
      label: string;
      nonce: number;
      hash: string;
      replaces: string;
      bump: number;
      maxFeePerGas: bigint;
      maxPriorityFeePerGas: bigint;
    }
  | { type: "bump-capped"; label: string; nonce: number; maxFeePerGas: bigint; cap: bigint }
  | { type: "nonce-resync"; label: string; previous: number; next: number; reason: string }
  | { type: "retry"; label: string; step: string; error: unknown; attempt: number; delayMs: number }
  | { type: "mined"; label: string; nonce: number; hash: string; blockNumber: number; gasUsed: bigint };

export interface TxSenderOptions {
  /** ABIs to decode revert data with (e.g. `[hub.interface, staking.interface]`); `Error`/`Panic` always decode. */
  errorInterfaces?: readonly Interface[];
  /** Gas limit = estimate × this. Default 1.2. */
  gasMultiplier?: number;
  /** A transaction not mined after this long is replaced with 12.5 % higher fees. Default 60 s. */
  stuckAfterMs?: number;
  /** Most replacements of one transaction. Default 5. */
  maxBumps?: number;
  /** Upper bound of `maxFeePerGas` (wei); fees are clamped to it and bumping stops at it. Default none. */
  maxFeePerGasCap?: bigint;
  /** Receipt polling interval. Default 1 s. */
  pollIntervalMs?: number;
  /** Give up waiting for a receipt after this long. Default 10 min. */
  timeoutMs?: number;
  /** Retry policy for transient RPC errors. Default 5 retries, 600 ms to 5 s. */
  retry?: Omit<RetryOptions, "isRetryable" | "onRetry">;
  /** Times one `send` may resync its nonce and start over. Default 3. */
  maxNonceResyncs?: number;
  /**
   * "local": sign in-process and broadcast the raw transaction (re-broadcasts are idempotent: same hash);
   * "node": `eth_sendTransaction` through the signer (unlocked node accounts, Hardhat signers).
   * Default: "local" for ethers wallets, else "node".
   */
  signing?: "local" | "node";
  /** Observability hook (logs, metrics). Must not throw. */
  onEvent?: (event: TxSenderEvent) => void;
}

/** Thrown inside `send` to start over with a fresh nonce. */
class RestartSend extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

interface Prepared {
  request: TransactionRequest;
  nonce: number;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

/** `require` strings and panics decode with any contract. */
const BUILTIN_ERRORS = new AbiInterface(["error Error(string)", "error Panic(uint256)"]);

const BUMP_NUMERATOR = 9n; // × 1.125 = 9 / 8
const BUMP_DENOMINATOR = 8n;

// ------------------------------------------------------------------------------------------------- sender

export class TxSender {
  readonly signer: Signer;
  readonly provider: Provider;
  readonly #interfaces: readonly Interface[];
  readonly #gasMultiplierBps: bigint;
  readonly #stuckAfterMs: number;
  readonly #maxBumps: number;
  readonly #cap: bigint | undefined;
  readonly #pollIntervalMs: number;
  readonly #timeoutMs: number;
  readonly #retry: Omit<RetryOptions, "isRetryable" | "onRetry">;
  readonly #maxResyncs: number;
  readonly #local: boolean;
  readonly #onEvent: (event: TxSenderEvent) => void;
  #address: string | undefined;
  #chainId: bigint | undefined;
  #nonce: number | undefined;
  #nonceStale = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(signer: Signer, options: TxSenderOptions = {}) {
    if (signer.provider === null) {
      throw new TypeError("TxSender needs a signer connected to a provider (signer.connect(provider)).");
    }
    this.signer = signer;
    this.provider = signer.provider;
    this.#interfaces = [...(options.errorInterfaces ?? []), BUILTIN_ERRORS];
    this.#gasMultiplierBps = BigInt(Math.round((options.gasMultiplier ?? 1.2) * 10_000));
    this.#stuckAfterMs = options.stuckAfterMs ?? 60_000;
    this.#maxBumps = options.maxBumps ?? 5;
    this.#cap = options.maxFeePerGasCap;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#timeoutMs = options.timeoutMs ?? 600_000;
    this.#retry = options.retry ?? DEFAULT_RPC_RETRY;
    this.#maxResyncs = options.maxNonceResyncs ?? 3;
    this.#local = (options.signing ?? (signer instanceof BaseWallet ? "local" : "node")) === "local";
    this.#onEvent = options.onEvent ?? (() => undefined);
  }

  /** The signer's address. */
  async address(): Promise<string> {
    this.#address ??= await this.signer.getAddress();
    return this.#address;
  }

  /** The nonce the next send will use (resynced from the node when unknown). */
  async nextNonce(): Promise<number> {
    return this.#enqueue(() => this.#reserveNonce(undefined));
  }

  /** Forgets the local nonce; the next send reads it from the node ("pending"). */
  resetNonce(): void {
    this.#invalidateNonce();
  }

  /**
   * Populates, estimates, signs and broadcasts the transaction, bumps its fees while it is stuck, and resolves
   * with the receipt of whichever version was mined.
   * @throws TxRevertedError when the call reverts (at estimation or mined); `errorName` is the custom error.
   * @throws TxSendError on a definitive send failure (e.g. insufficient funds); TxTimeoutError when not mined.
   */
  async send(populate: () => Promise<ContractTransaction>, label: string): Promise<TransactionReceipt> {
    for (let resyncs = 0; ; resyncs++) {
      try {
        const sent = await this.#enqueue(() => this.#prepareAndBroadcast(populate, label));
        return await this.#waitMined(sent.prepared, sent.hash, label);
      } catch (error) {
        if (!(error instanceof RestartSend) || resyncs >= this.#maxResyncs) {
          if (error instanceof RestartSend) {
            throw new TxSendError(label, await this.address(), new Error(`nonce kept moving: ${error.reason}`));
          }
          throw error;
        }
      }
    }
  }

  // --------------------------------------------------------------------------------------------- prepare + send

  async #prepareAndBroadcast(
    populate: () => Promise<ContractTransaction>,
    label: string,
  ): Promise<{ prepared: Prepared; hash: string }> {
    const from = await this.address();
    const populated = await this.#rpc(label, "populate", populate);
    const call: TransactionRequest = {
      from,
      to: populated.to,
      data: populated.data,
      value: populated.value ?? 0n,
    };
    let estimate: bigint;
    try {
      estimate = await this.#rpc(label, "estimateGas", () => this.provider.estimateGas(call));
    } catch (error) {
      throw this.#asRevert(label, error, "estimate") ?? this.#asSendError(label, from, error);
    }
    const gasLimit = (estimate * this.#gasMultiplierBps + 9_999n) / 10_000n;
    const { maxFeePerGas, maxPriorityFeePerGas } = await this.#currentFees(label);
    const nonce = await this.#reserveNonce(label);
    const prepared: Prepared = { request: call, nonce, gasLimit, maxFeePerGas, maxPriorityFeePerGas };
    let hash: string;
    try {
      hash = await this.#broadcast(prepared, label);
    } catch (error) {
      this.#invalidateNonce(); // unknown whether the nonce was used: read it again next time
      if (isNonceError(error) || isReplacementError(error)) {
        throw new RestartSend(`nonce ${nonce} is taken (${describeError(error)})`);
      }
      throw this.#asRevert(label, error, "send") ?? this.#asSendError(label, from, error);
    }
    this.#nonce = nonce + 1;
    this.#onEvent({ type: "sent", label, nonce, hash, maxFeePerGas, maxPriorityFeePerGas });
    return { prepared, hash };
  }

  /** Broadcasts `prepared` (or a fee-bumped copy) and returns its hash. */
  async #broadcast(prepared: Prepared, label: string): Promise<string> {
    const tx: TransactionRequest = {
      ...prepared.request,
      type: 2,
      nonce: prepared.nonce,
      gasLimit: prepared.gasLimit,
      maxFeePerGas: prepared.maxFeePerGas,
      maxPriorityFeePerGas: prepared.maxPriorityFeePerGas,
    };
    if (!this.#local) {
      return (await this.#rpc(label, "sendTransaction", () => this.signer.sendTransaction(tx))).hash;
    }
    this.#chainId ??= (await this.#rpc(label, "getNetwork", () => this.provider.getNetwork())).chainId;
    const raw = await this.signer.signTransaction({ ...tx, chainId: this.#chainId });
    const hash = Transaction.from(raw).hash;
    if (hash === null) throw new Error("signed transaction has no hash");
    try {
      await this.#rpc(label, "broadcast", () => this.provider.broadcastTransaction(raw));
    } catch (error) {
      // A re-broadcast after a lost response: the node may already hold (or have mined) this very transaction.
      if ((isReplacementError(error) || isNonceError(error)) && (await this.#isKnown(hash, label))) return hash;
      throw error;
    }
    return hash;
  }

  async #isKnown(hash: string, label: string): Promise<boolean> {
    const tx = await this.#rpc(label, "getTransaction", () => this.provider.getTransaction(hash));
    return tx !== null;
  }

  /** The local nonce, read from the node ("pending") first and after anything made it doubtful. */
  async #reserveNonce(label: string | undefined): Promise<number> {
    if (this.#nonce !== undefined && !this.#nonceStale) return this.#nonce;
    const address = await this.address();
    const previous = this.#nonce;
    const next = await this.#rpc(label ?? "nonce", "getTransactionCount", () =>
      this.provider.getTransactionCount(address, "pending"),
    );
    this.#nonce = next;
    this.#nonceStale = false;
    if (previous !== undefined && previous !== next && label !== undefined) {
      this.#onEvent({ type: "nonce-resync", label, previous, next, reason: "read from node (pending)" });
    }
    return next;
  }

  /** Keeps the value for reporting, but makes the next send read the nonce from the node. */
  #invalidateNonce(): void {
    this.#nonceStale = true;
  }

  async #currentFees(label: string): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const data = await this.#rpc(label, "getFeeData", () => this.provider.getFeeData());
    let maxFeePerGas = data.maxFeePerGas ?? data.gasPrice;
    let maxPriorityFeePerGas = data.maxPriorityFeePerGas ?? data.gasPrice;
    if (maxFeePerGas === null || maxPriorityFeePerGas === null) {
      throw new TxSendError(label, await this.address(), new Error("the node reports no fee data"));
    }
    if (this.#cap !== undefined && maxFeePerGas > this.#cap) maxFeePerGas = this.#cap;
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    return { maxFeePerGas, maxPriorityFeePerGas };
  }

  // --------------------------------------------------------------------------------------------- wait + bump

  async #waitMined(first: Prepared, firstHash: string, label: string): Promise<TransactionReceipt> {
    const hashes = [firstHash];
    let current = first;
    let lastSentAt = Date.now();
    const deadline = lastSentAt + this.#timeoutMs;
    let bumps = 0;
    let capped = false;
    for (;;) {
      const receipt = await this.#findReceipt(hashes, label);
      if (receipt !== null) return this.#settle(receipt, current, label);
      const now = Date.now();
      if (now >= deadline) {
        this.#invalidateNonce();
        throw new TxTimeoutError(label, await this.address(), current.nonce, hashes, current.maxFeePerGas);
      }
      if (now - lastSentAt >= this.#stuckAfterMs) {
        await this.#checkNonceConsumed(current.nonce, hashes, label);
        if (bumps < this.#maxBumps && !capped) {
          const next = await this.#bumpedFees(current, label);
          if (next === null) {
            capped = true;
          } else {
            const replacement: Prepared = { ...current, ...next };
            const hash = await this.#sendReplacement(replacement, label);
            lastSentAt = Date.now();
            if (hash !== null) {
              bumps++;
              this.#onEvent({
                type: "bumped",
                label,
                nonce: current.nonce,
                hash,
                replaces: hashes[hashes.length - 1] ?? firstHash,
                bump: bumps,
                maxFeePerGas: replacement.maxFeePerGas,
                maxPriorityFeePerGas: replacement.maxPriorityFeePerGas,
              });
              hashes.push(hash);
              current = replacement;
            }
          }
        } else {
          lastSentAt = now;
        }
      }
      await sleep(this.#pollIntervalMs);
    }
  }

  /** Newest first: the last replacement is the likeliest to be mined. */
  async #findReceipt(hashes: readonly string[], label: string): Promise<TransactionReceipt | null> {
    for (let i = hashes.length - 1; i >= 0; i--) {
      const hash = hashes[i];
      if (hash === undefined) continue;
      const receipt = await this.#rpc(label, "getTransactionReceipt", () => this.provider.getTransactionReceipt(hash));
      if (receipt !== null) return receipt;
    }
    return null;
  }

  /** Restarts the send when another transaction of this key took the nonce (none of ours was mined). */
  async #checkNonceConsumed(nonce: number, hashes: readonly string[], label: string): Promise<void> {
    const address = await this.address();
    const mined = await this.#rpc(label, "getTransactionCount", () =>
      this.provider.getTransactionCount(address, "latest"),
    );
    if (mined <= nonce) return;
    if ((await this.#findReceipt(hashes, label)) !== null) return; // ours, mined just now: the loop picks it up
    this.#invalidateNonce();
    throw new RestartSend(`nonce ${nonce} was used by another transaction of ${address}`);
  }

  /** Fees × 1.125 (at least the network's current fees), or null when the cap leaves no room for a bump. */
  async #bumpedFees(
    current: Prepared,
    label: string,
  ): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | null> {
    const network = await this.#currentFees(label);
    let maxFeePerGas = ceilBump(current.maxFeePerGas);
    let maxPriorityFeePerGas = ceilBump(current.maxPriorityFeePerGas);
    if (network.maxFeePerGas > maxFeePerGas) maxFeePerGas = network.maxFeePerGas;
    if (network.maxPriorityFeePerGas > maxPriorityFeePerGas) maxPriorityFeePerGas = network.maxPriorityFeePerGas;
    if (this.#cap !== undefined && maxFeePerGas > this.#cap) {
      this.#onEvent({
        type: "bump-capped",
        label,
        nonce: current.nonce,
        maxFeePerGas: current.maxFeePerGas,
        cap: this.#cap,
      });
      return null;
    }
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas;
    return { maxFeePerGas, maxPriorityFeePerGas };
  }

  /** Hash of the replacement, or null when the node refused it because a version was mined meanwhile. */
  async #sendReplacement(replacement: Prepared, label: string): Promise<string | null> {
    try {
      return await this.#broadcast(replacement, label);
    } catch (error) {
      // "nonce too low": one of our versions was just mined; "underpriced": the pool keeps the previous version.
      if (isNonceError(error) || isReplacementError(error)) return null;
      throw this.#asSendError(label, await this.address(), error);
    }
  }

  async #settle(receipt: TransactionReceipt, sent: Prepared, label: string): Promise<TransactionReceipt> {
    if (receipt.status === 1) {
      this.#onEvent({
        type: "mined",
        label,
        nonce: sent.nonce,
        hash: receipt.hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      });
      return receipt;
    }
    // Replay the call on the state the block produced to learn why it reverted (best effort).
    let replayError: unknown;
    try {
      await this.provider.call({ ...sent.request, blockTag: receipt.blockNumber });
    } catch (error) {
      replayError = error;
    }
    const decoded = replayError === undefined ? undefined : this.#asRevert(label, replayError, "mined", receipt.hash);
    throw (
      decoded ??
      new TxRevertedError(label, "reverted on-chain; the replay did not reproduce it (likely out of gas)", {
        stage: "mined",
        hash: receipt.hash,
      })
    );
  }

  // --------------------------------------------------------------------------------------------- helpers

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #rpc<T>(label: string, step: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      ...this.#retry,
      onRetry: (error, attempt, delayMs) => this.#onEvent({ type: "retry", label, step, error, attempt, delayMs }),
    });
  }

  /** A TxRevertedError when `error` is a revert (decoded with the configured ABIs), else undefined. */
  #asRevert(label: string, error: unknown, stage: RevertStage, hash?: string): TxRevertedError | undefined {
    const data = extractRevertData(error);
    if (data === undefined && !looksLikeRevert(error)) return undefined;
    const description = data === undefined ? null : decodeRevertData(data, this.#interfaces);
    if (description !== null) {
      return new TxRevertedError(label, formatError(description), {
        stage,
        errorName: description.name,
        errorArgs: description.args,
        data,
        hash,
        cause: error,
      });
    }
    const reason =
      data === undefined || data === "0x"
        ? "execution reverted without a reason"
        : `unknown custom error ${data.slice(0, 10)} (add the contract's interface to errorInterfaces)`;
    return new TxRevertedError(label, reason, { stage, data, hash, cause: error });
  }

  #asSendError(label: string, account: string, error: unknown): Error {
    if (error instanceof TxSendError || error instanceof TxRevertedError) return error;
    return new TxSendError(label, account, error);
  }
}

// ------------------------------------------------------------------------------------------------- revert data

/** Decodes revert data with the given ABIs (custom errors) and the built-in `Error(string)` / `Panic(uint256)`. */
export function decodeRevertData(data: string, interfaces: readonly Interface[]): ErrorDescription | null {
  if (data.length < 10) return null;
  for (const iface of interfaces) {
    try {
      const description = iface.parseError(data);
      if (description !== null) return description;
    } catch {
      // selector matched but the arguments did not decode: try the next ABI
    }
  }
  return null;
}

/** The hex revert data inside an error from ethers, Hardhat or a JSON-RPC node, if any. */
export function extractRevertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): string | undefined => {
    if (typeof value === "string") return /^0x([0-9a-f]{2})*$/i.test(value) ? value : undefined;
    if (typeof value !== "object" || value === null || seen.has(value) || depth > 6) return undefined;
    seen.add(value);
    const record = value as Record<string, unknown>;
    for (const key of ["data", "error", "info", "cause"]) {
      const found = visit(record[key], depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return visit(error, 0);
}

function looksLikeRevert(error: unknown): boolean {
  if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "CALL_EXCEPTION") {
    return !isTransientRpcError(error);
  }
  return /execution reverted|reverted with|VM Exception/i.test(errorText(error));
}

function formatError(description: ErrorDescription): string {
  const args = description.fragment.inputs.map((_input, i) => formatValue(description.args[i]));
  return `${description.name}(${args.join(", ")})`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^0x/i.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  return String(value);
}

function ceilBump(value: bigint): bigint {
  return (value * BUMP_NUMERATOR + BUMP_DENOMINATOR - 1n) / BUMP_DENOMINATOR;
}
