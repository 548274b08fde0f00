/** Operator tasks: stake, unstake, withdraw, status. */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TaskInputError, formatOpg, openProtocol, parseOpg, sendAndReport } from "./context.js";

const ROLES: Record<string, number> = { worker: 1, verifier: 2, both: 3 };

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
  if (held < amount)
    throw new TaskInputError(`${signer.address} holds ${formatOpg(held)}, less than ${formatOpg(amount)}`);
  await sendAndReport("approve", token, () => token.connect(signer).approve(staking.target, amount));
  await sendAndReport(`stake ${formatOpg(amount)} as ${args.roles}`, staking, () =>
    staking.connect(signer).stake(amount, roles),
  );
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
  console.log(
    `unbonding ${formatOpg(op.unbonding)}, withdrawable after ${new Date(Number(op.unbondingReleaseAt) * 1000).toISOString()}`,
  );
}

export async function withdrawAction(args: Base, hre: HardhatRuntimeEnvironment) {
  const { contracts, signer, connection } = await openProtocol(hre, args);
  const { staking, hub } = contracts;
  const op = await staking.getOperator(signer.address);
  const now = BigInt((await connection.ethers.provider.getBlock("latest"))?.timestamp ?? 0);
  if (op.unbonding > 0n && now >= op.unbondingReleaseAt) {
    await sendAndReport(`withdraw ${formatOpg(op.unbonding)} of stake`, staking, () =>
      staking.connect(signer).withdraw(),
    );
  } else if (op.unbonding > 0n) {
    console.log(
      `${formatOpg(op.unbonding)} unbonding until ${new Date(Number(op.unbondingReleaseAt) * 1000).toISOString()}`,
    );
  }
  const credits = await hub.creditsOf(signer.address);
  if (credits > 0n)
    await sendAndReport(`claim ${formatOpg(credits)} of credits`, hub, () => hub.connect(signer).claimCredits());
  if (op.unbonding === 0n && credits === 0n) console.log("nothing to withdraw: no released stake and no credits");
}

export async function statusAction(args: Base & { stateDir: string }, hre: HardhatRuntimeEnvironment) {
  const { contracts, signer, root } = await openProtocol(hre, args);
  const { staking, hub } = contracts;
  const op = await staking.getOperator(signer.address);
  const roles = ["none", "worker", "verifier", "worker+verifier"][Number(op.roles)] ?? String(op.roles);
  console.log(`operator          ${signer.address}`);
  console.log(
    `roles             ${roles}${op.jailed ? ` (jailed until ${new Date(Number(op.jailedUntil) * 1000).toISOString()})` : ""}`,
  );
  console.log(`active stake      ${formatOpg(op.active)}`);
  console.log(`locked collateral ${formatOpg(op.locked)}`);
  console.log(`free stake        ${formatOpg(await staking.freeStake(signer.address))}`);
  console.log(`unbonding         ${formatOpg(op.unbonding)}`);
  console.log(`pending credits   ${formatOpg(await hub.creditsOf(signer.address))}`);
  console.log(`hub balance       ${formatOpg(await hub.balanceOf(signer.address))}`);
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
