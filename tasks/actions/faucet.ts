/**
 * `faucet`: OPG (and ETH for gas) for an account on the local network, from the deployer's account, which holds the
 * supply there. Other networks have no faucet: the token's supply was minted once to its deployer, who distributes it.
 */
import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { TaskInputError, formatOpg, openProtocol, parseOpg, sendAndReport } from "./context.js";

/** Chain id of Hardhat's local chains (the one `npm run network` serves). */
const LOCAL_CHAIN_ID = 31337n;
/** ETH sent along when the account has less, so it can pay for its transactions. */
const GAS_MONEY = ethers.parseEther("10");

export async function faucetAction(
  args: { deployment: string; to: string; amount: string },
  hre: HardhatRuntimeEnvironment,
) {
  if (!ethers.isAddress(args.to)) {
    throw new TaskInputError(
      `--to must be an address such as 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 (got "${args.to}")`,
    );
  }
  const amount = parseOpg(args.amount, "--amount");
  const { contracts, signer, chainId, connection } = await openProtocol(hre, {
    deployment: args.deployment,
    account: "0",
  });
  if (chainId !== LOCAL_CHAIN_ID) {
    throw new TaskInputError(
      `there is no faucet on chain ${chainId}: OPG there comes from its holders (the supply was minted once to the ` +
        "deployer) — buy or receive it, then `npx hardhat deposit`",
    );
  }
  const to = ethers.getAddress(args.to);
  const held = await contracts.token.balanceOf(signer.address);
  if (held < amount) {
    throw new TaskInputError(`the local faucet (${signer.address}) has only ${formatOpg(held)} left: ask for less`);
  }
  await sendAndReport(`send ${formatOpg(amount)} to ${to}`, contracts.token, () =>
    contracts.token.connect(signer).transfer(to, amount),
  );
  const provider = connection.ethers.provider;
  if ((await provider.getBalance(to)) < GAS_MONEY) {
    const tx = await signer.sendTransaction({ to, value: GAS_MONEY });
    await tx.wait();
    console.log(`send ${ethers.formatEther(GAS_MONEY)} ETH for gas to ${to}: ok (tx ${tx.hash})`);
  }
  console.log(`${to} holds ${formatOpg(await contracts.token.balanceOf(to))}`);
}
