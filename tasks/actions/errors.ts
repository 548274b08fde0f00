/**
 * The one error path of the OPG tasks: every mistake a user can make ends in a single line on stderr that says what
 * was wrong and what to do, and a non-zero exit code. The stack trace is printed only with Hardhat's
 * `--show-stack-traces`. Reverts are decoded against every protocol contract's custom errors, and the common ones
 * get a hint (see {@link REVERT_HINTS}).
 */
import { ethers } from "ethers";

import {
  ICommitteeModule__factory,
  IDisputeCourt__factory,
  IInferenceHub__factory,
  IModelRegistry__factory,
  IOptimisticModule__factory,
  ISettlement__factory,
  IStaking__factory,
  OPGToken__factory,
} from "../../typechain-types/index.js";

/** A mistake in the task's input or the chain's state that the user can fix: its message is the whole story. */
export class TaskInputError extends Error {
  override readonly name = "TaskInputError";
}

/** Every custom error a protocol call can revert with (errors with the same selector appear once). */
const PROTOCOL_ERRORS = new ethers.Interface(
  dedupe(
    [
      IInferenceHub__factory.abi,
      IModelRegistry__factory.abi,
      ISettlement__factory.abi,
      IStaking__factory.abi,
      IOptimisticModule__factory.abi,
      ICommitteeModule__factory.abi,
      IDisputeCourt__factory.abi,
      OPGToken__factory.abi,
    ].flatMap((abi) => abi.filter((item) => item.type === "error")),
  ),
);

function dedupe<T extends { name?: string; inputs?: readonly { type: string }[] }>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const signature = `${item.name}(${(item.inputs ?? []).map((i) => i.type).join(",")})`;
    if (seen.has(signature)) return false;
    seen.add(signature);
    return true;
  });
}

const opg = (wei: unknown) => `${ethers.formatEther(wei as bigint)} OPG`;

/** What to do about the reverts a user can cause; the others print as `<Error>(<name>=<value>, …)`. */
const REVERT_HINTS: Record<string, (args: ethers.Result) => string> = {
  HubNoWorkerAvailable: (a) =>
    `no worker can take model #${a[0]} right now (none staked with enough free stake): start one with ` +
    "`npx hardhat worker --stake 1000`, or try again when a worker is free",
  HubModelUnavailable: (a) =>
    `model #${a[0]} takes no requests (inactive, or suspended because workers could not obtain it): ` +
    `see \`npx hardhat model:show --id ${a[0]}\``,
  HubModeDisabled: (a) => `verification mode ${a[0]} is not enabled on this hub: pick another model`,
  HubFeeAboveMax: (a) => `the request costs ${opg(a[0])}, above your maximum of ${opg(a[1])}`,
  HubInputTooLarge: (a) =>
    `the input is ${a[0]} bytes, above the hub's inline limit of ${a[1]}: pass it through an input store ` +
    "(--store <url>, or `npx hardhat store` to run one)",
  HubUnknownRequest: (a) => `request #${a[0]} does not exist on this network`,
  HubNotRequester: (a) => `only the requester of request #${a[0]} may do that (you are ${a[1]})`,
  RegistryUnknownModel: (a) => `model #${a[0]} does not exist: see \`npx hardhat model:list\``,
  RegistryNotModelOwner: (a) => `${a[1]} does not own model #${a[0]}: use --account <its owner>`,
  RegistryFeeTooLow: (a) => `the fee ${opg(a[0])} is below the registry's minimum of ${opg(a[1])}: raise --fee`,
  RegistryFeeTooHigh: (a) => `the fee ${opg(a[0])} is above the registry's maximum of ${opg(a[1])}: lower --fee`,
  RegistryInvalidMode: (a) => `mode ${a[0]} does not exist (modes 0..${Number(a[1]) - 1})`,
  RegistryRoyaltyTooHigh: (a) => `--royalty-bps ${a[0]} is above the maximum of ${a[1]}`,
  RegistryDecimalsTooHigh: (a) => `--decimals ${a[0]} is above the maximum of ${a[1]}`,
  SettlementInsufficientBalance: (a) =>
    `${a[0]} has ${opg(a[1])} in its settlement balance, ${opg(a[2])} needed: deposit with ` +
    "`npx hardhat deposit --amount <OPG>`",
  SettlementNoCredits: (a) => `${a[0]} has no settlement credits to claim`,
  StakingInsufficientFreeStake: (a) =>
    `only ${opg(a[1])} of the stake is free (the rest backs open jobs), ${opg(a[0])} asked for`,
  StakingNothingToWithdraw: () => "nothing to withdraw yet: see `npx hardhat operator:status`",
  ERC20InsufficientBalance: (a) =>
    `${a[0]} holds ${opg(a[1])}, ${opg(a[2])} needed: on the local network get OPG with ` +
    `\`npx hardhat faucet --to ${a[0]} --amount <OPG>\``,
  ERC20InsufficientAllowance: (a) => `${a[0]} may spend only ${opg(a[1])} of your OPG, ${opg(a[2])} needed`,
};

/** The revert data carried anywhere in an ethers / Hardhat error chain. */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== "object" || seen.has(current)) continue;
    seen.add(current);
    const data = (current as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    if (data !== null && typeof data === "object") queue.push(data);
    for (const key of ["error", "info", "cause", "parent"]) queue.push((current as Record<string, unknown>)[key]);
  }
  return undefined;
}

/** `Name(arg=value, …)` of a decoded custom error, with its hint when one is known. */
export function describeRevert(data: string): string | undefined {
  let parsed: ethers.ErrorDescription | null = null;
  try {
    parsed = PROTOCOL_ERRORS.parseError(data);
  } catch {
    parsed = null;
  }
  if (parsed === null) return undefined;
  const hint = REVERT_HINTS[parsed.name];
  if (hint !== undefined) return hint(parsed.args);
  const args = parsed.fragment.inputs.map((input, i) => `${input.name}=${String(parsed.args[i])}`).join(", ");
  return `the contract refused: ${parsed.name}(${args})`;
}

const firstLine = (text: string) => text.split("\n").find((line) => line.trim() !== "") ?? text;

/** One line for any error a task can end with. */
export function describeError(error: unknown): string {
  if (error instanceof TaskInputError) return firstLine(error.message);
  const data = revertData(error);
  if (data !== undefined) {
    const reverted = describeRevert(data);
    if (reverted !== undefined) return reverted;
  }
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === "INSUFFICIENT_FUNDS" || /insufficient funds for gas/i.test(message)) {
    return "the account has no ETH for gas on this network: fund it (on the local network `npx hardhat faucet` sends some)";
  }
  if (code === "BAD_DATA" && /could not decode result data/.test(message)) {
    return (
      "a contract of the deployment did not answer on this network: the deployment file is for another chain, or " +
      "the local network was restarted — pass --network <name> and --deployment <file> that match"
    );
  }
  if (/ECONNREFUSED|Cannot connect to the network/i.test(message)) {
    return "cannot reach the network: start the local one with `npm run network`, or pass --network <name>";
  }
  if (error instanceof Error && error.name === "HardhatError") return firstLine(message); // Hardhat's own, explained
  const builtIn = ["Error", "TypeError", "SyntaxError", "RangeError", "ReferenceError"];
  if (error instanceof Error && !builtIn.includes(error.name)) {
    return firstLine(message); // the off-chain libraries' typed errors carry their fix in the message
  }
  return `${firstLine(message)} (run again with --show-stack-traces for the details)`;
}

/**
 * Wraps a task action: a failure prints `error: <one line>` on stderr (and the stack with --show-stack-traces) and
 * sets a non-zero exit code, instead of Hardhat's multi-line report.
 */
export function guarded<A, H extends { globalOptions: { showStackTraces?: boolean } }>(
  action: (args: A, hre: H) => Promise<unknown>,
): (args: A, hre: H) => Promise<void> {
  return async (args, hre) => {
    try {
      await action(args, hre);
    } catch (error) {
      console.error(`error: ${describeError(error)}`);
      if (hre.globalOptions.showStackTraces === true) console.error(error);
      process.exitCode = 1;
    }
  };
}
