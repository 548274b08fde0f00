/** Operator tasks on Staking (stake, unstake, withdraw, refresh) and the settlement contract (credits), status. */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TaskInputError, formatOpg, openProtocol, parseOpg, sendAndReport } from "./context.js";

const ROLES: Record<string, number> = { worker: 1, verifier: 2, both: 3 };
const ROLE_NAMES = ["none", "worker", "verifier", "worker+verifier"];
const isoTime = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString();

interface Base {
  deployment: string;
  account: string;
}

export async function stakeAction(args: Base & { amount: string; roles: string }, hre: HardhatRuntimeEnvironment) {
  const roles = ROLES[args.roles];
  if (roles === undefined) throw new TaskInputError(`--roles must be worker, verifier or both (got "${args.roles}")`);
  const amount = parseOpg(args.amount, "--amount");
  const { contracts, signer } = await openProtocol(hre, args);
  const { staking, token } = contracts;
  const held = await token.balanceOf(signer.address);
  if (held < amount) {
    throw new TaskInputError(
      `${signer.address} holds ${formatOpg(held)}, less than ${formatOpg(amount)}; nothing was sent. On the local ` +
        `network: \`npx hardhat faucet --to ${signer.address} --amount ${ethers.formatEther(amount)}\``,
    );
  }
  // `stake` sets the roles: keep the ones the operator already holds (`setRoles` drops one).
  const current = Number((await staking.getOperator(signer.address)).roles);
  const combined = current | roles;
  await sendAndReport("approve", token, () => token.connect(signer).approve(staking.target, amount));
  await sendAndReport(`stake ${formatOpg(amount)} as ${ROLE_NAMES[combined] ?? args.roles}`, staking, () =>
    staking.connect(signer).stake(amount, combined),
  );
  const wanted = [1, 2].filter((bit) => (roles & bit) !== 0);
  const eligible = await Promise.all(wanted.map((bit) => staking.isEligible(signer.address, bit)));
  if (eligible.includes(false)) {
    const p = await staking.params();
    console.log(
      `not eligible yet: the minimum active stake is ${formatOpg(p.minWorkerStake)} (worker), ` +
        `${formatOpg(p.minVerifierStake)} (verifier)`,
    );
  }
}

export async function unstakeAction(args: Base & { amount: string }, hre: HardhatRuntimeEnvironment) {
  const amount = parseOpg(args.amount, "--amount");
  const { contracts, signer } = await openProtocol(hre, args);
  const free = await contracts.staking.freeStake(signer.address);
  if (free < amount) {
    throw new TaskInputError(`only ${formatOpg(free)} is free (the rest backs open jobs): unstake at most that`);
  }
  await sendAndReport(`unstake ${formatOpg(amount)}`, contracts.staking, () =>
    contracts.staking.connect(signer).unstake(amount),
  );
  const op = await contracts.staking.getOperator(signer.address);
  console.log(`unbonding ${formatOpg(op.unbonding)}, withdrawable after ${isoTime(op.unbondingReleaseAt)}`);
}

export async function withdrawAction(args: Base, hre: HardhatRuntimeEnvironment) {
  const { contracts, signer, connection } = await openProtocol(hre, args);
  const { staking, settlement } = contracts;
  const op = await staking.getOperator(signer.address);
  const now = BigInt((await connection.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  if (op.unbonding > 0n && now >= op.unbondingReleaseAt) {
    await sendAndReport(`withdraw ${formatOpg(op.unbonding)} of stake`, staking, () =>
      staking.connect(signer).withdraw(),
    );
  } else if (op.unbonding > 0n) {
    console.log(`${formatOpg(op.unbonding)} unbonding until ${isoTime(op.unbondingReleaseAt)}`);
  }
  const credits = await settlement.creditsOf(signer.address);
  if (credits > 0n)
    await sendAndReport(`claim ${formatOpg(credits)} of credits`, settlement, () => settlement.connect(signer).claim());
  if (op.unbonding === 0n && credits === 0n) console.log("nothing to withdraw: no released stake and no credits");
}

/**
 * Brings an operator's sortition weights up to date (after its jail ended, or after governance changed a minimum
 * stake). Permissionless: anyone may refresh anyone.
 */
export async function refreshAction(args: Base & { operator: string }, hre: HardhatRuntimeEnvironment) {
  const { contracts, signer, connection } = await openProtocol(hre, args);
  const { staking } = contracts;
  const operator = args.operator !== "" ? args.operator : signer.address;
  if (!ethers.isAddress(operator)) throw new TaskInputError(`--operator must be an address (got "${operator}")`);
  const op = await staking.getOperator(operator);
  const now = BigInt((await connection.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  if (op.jailedUntil > now) {
    throw new TaskInputError(`${operator} is jailed until ${isoTime(op.jailedUntil)}: refresh after that time`);
  }
  await sendAndReport(`refresh ${operator}`, staking, () => staking.connect(signer).refresh(operator));
  const [worker, verifier] = await Promise.all([
    staking.weightOf(operator, ROLES.worker!),
    staking.weightOf(operator, ROLES.verifier!),
  ]);
  console.log(`sortition weight: worker ${worker} tickets, verifier ${verifier} tickets (1 ticket = 1 OPG)`);
}

export async function statusAction(args: Base & { stateDir: string }, hre: HardhatRuntimeEnvironment) {
  const { contracts, signer, root, connection } = await openProtocol(hre, args);
  const { staking, settlement } = contracts;
  const op = await staking.getOperator(signer.address);
  const now = BigInt((await connection.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  const roles = ROLE_NAMES[Number(op.roles)] ?? String(op.roles);
  const jailed = op.jailedUntil > now ? ` (jailed until ${isoTime(op.jailedUntil)})` : "";
  const [eligibleWorker, eligibleVerifier, workerWeight, verifierWeight] = await Promise.all([
    staking.isEligible(signer.address, ROLES.worker!),
    staking.isEligible(signer.address, ROLES.verifier!),
    staking.weightOf(signer.address, ROLES.worker!),
    staking.weightOf(signer.address, ROLES.verifier!),
  ]);
  console.log(`operator          ${signer.address}`);
  console.log(`roles             ${roles}${jailed}`);
  console.log(`active stake      ${formatOpg(op.active)}`);
  console.log(`locked collateral ${formatOpg(op.locked)}`);
  console.log(`free stake        ${formatOpg(await staking.freeStake(signer.address))}`);
  console.log(
    `unbonding         ${formatOpg(op.unbonding)}${op.unbonding > 0n ? ` (withdrawable from ${isoTime(op.unbondingReleaseAt)})` : ""}`,
  );
  console.log(
    `sortition         worker ${workerWeight} tickets${eligibleWorker ? "" : " (not eligible)"}, verifier ${verifierWeight} tickets${eligibleVerifier ? "" : " (not eligible)"}`,
  );
  if ((eligibleWorker && workerWeight === 0n) || (eligibleVerifier && verifierWeight === 0n)) {
    console.log("                  eligible but not weighted: run `npx hardhat operator:refresh`");
  }
  console.log(`pending credits   ${formatOpg(await settlement.creditsOf(signer.address))}`);
  console.log(`free balance      ${formatOpg(await settlement.balanceOf(signer.address))}`);
  console.log(`jobs in flight    ${await jobsInFlight(path.resolve(root, args.stateDir), signer.address)}`);
}

/** Counts open jobs in the node state files of this operator (written by the worker/verifier tasks). */
async function jobsInFlight(stateDir: string, address: string): Promise<string> {
  let files: string[];
  try {
    files = (await readdir(stateDir)).filter((f) => f.toLowerCase().includes(address.toLowerCase().slice(2, 10)));
  } catch {
    return "0 (no node state here)";
  }
  let open = 0;
  for (const file of files.filter((f) => f.endsWith(".json") && !f.includes("cursor"))) {
    const state = JSON.parse(await readFile(path.join(stateDir, file), "utf8")) as {
      jobs?: Record<string, { status?: string; stage?: string }>;
    };
    for (const job of Object.values(state.jobs ?? {})) {
      if (
        ["assigned", "submitting", "submitted"].includes(job.status ?? "") ||
        ["pending", "committed", "revealed"].includes(job.stage ?? "")
      )
        open += 1;
    }
  }
  return String(open);
}
