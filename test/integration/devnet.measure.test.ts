/**
 * What the soak and the node benchmark read off a chain (offchain/devnet/measure.ts): the gas every sender spent
 * over a block range, reverted transactions included, and the decoded logs of chosen contracts from a cursor on.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { LogReader, gasSpent, percentile } from "../../offchain/devnet/measure.js";
import { OPGToken__factory } from "../../typechain-types/index.js";

// A reverted transaction with a fixed gas limit is mined, and its sender gets the hash (as from a JSON-RPC node).
const { ethers, networkHelpers } = await network.create({ override: { throwOnTransactionFailures: false } });

async function deployFixture() {
  const [deployer, alice, bob] = await ethers.getSigners();
  const factory = new OPGToken__factory(deployer);
  const token = await factory.deploy(deployer!.address, 1_000n);
  const other = await factory.deploy(deployer!.address, 1_000n);
  await Promise.all([token.waitForDeployment(), other.waitForDeployment()]);
  return { deployer: deployer!, alice: alice!, bob: bob!, token, other };
}

describe("devnet measurements (measure.ts)", function () {
  it("gasSpent sums every receipt of the range by sender, a reverted transaction with its selector", async function () {
    const { deployer, alice, bob, token } = await networkHelpers.loadFixture(deployFixture);
    await (await token.connect(deployer).transfer(alice.address, 10n)).wait();
    const from = await ethers.provider.getBlockNumber();
    const ok = await (await token.connect(deployer).transfer(bob.address, 1n)).wait();
    // Bob holds 1: the transfer of 5 reverts, and with a fixed gas limit it is mined anyway.
    const failing = await token.connect(bob).transfer(alice.address, 5n, { gasLimit: 100_000n });
    const failed = await ethers.provider.getTransactionReceipt(failing.hash);
    const to = await ethers.provider.getBlockNumber();

    const spent = await gasSpent(ethers.provider, from + 1, to);

    expect(failed!.status).to.equal(0);
    expect(spent.transactions).to.equal(2);
    expect(spent.reverted).to.equal(1);
    expect(spent.gasUsed).to.equal(ok!.gasUsed + failed!.gasUsed);
    expect(spent.bySender.get(deployer.address.toLowerCase())).to.deep.equal({
      transactions: 1,
      reverted: 0,
      gasUsed: ok!.gasUsed,
    });
    expect(spent.revertedTransactions).to.deep.equal([
      {
        hash: failing.hash,
        from: bob.address.toLowerCase(),
        to: await token.getAddress(),
        selector: token.interface.getFunction("transfer").selector,
        gasUsed: failed!.gasUsed,
      },
    ]);
  });

  it("LogReader returns each decoded log of its sources once, in chain order, from its first block on", async function () {
    const { deployer, alice, bob, token, other } = await networkHelpers.loadFixture(deployFixture);
    await (await token.transfer(alice.address, 1n)).wait(); // before the reader's first block
    const reader = new LogReader(
      ethers.provider,
      [{ address: await token.getAddress(), interface: token.interface }],
      (await ethers.provider.getBlockNumber()) + 1,
    );
    await (await token.transfer(alice.address, 2n)).wait();
    await (await other.transfer(alice.address, 3n)).wait(); // not a source
    await (await token.transfer(bob.address, 4n)).wait();

    const first = await reader.poll();
    const second = await reader.poll();
    await (await token.connect(alice).transfer(bob.address, 3n)).wait();
    const third = await reader.poll();

    const values = (logs: Awaited<ReturnType<LogReader["poll"]>>) =>
      logs.map(({ event }) => [event.name, event.args.from, event.args.to, event.args.value]);
    expect(values(first)).to.deep.equal([
      ["Transfer", deployer.address, alice.address, 2n],
      ["Transfer", deployer.address, bob.address, 4n],
    ]);
    expect(second).to.deep.equal([]);
    expect(values(third)).to.deep.equal([["Transfer", alice.address, bob.address, 3n]]);
  });

  it("percentile is the nearest rank, and 0 for no values", function () {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 99), percentile(sorted, 100), percentile([], 50)]).to.deep.equal(
      [50, 99, 100, 0],
    );
  });
});
