/**
 * Sortition benchmark: gas of a draw, of 5- and 11-seat panel draws and of a stake change (a weight update, a new
 * member and a member leaving) in trees of 1k, 10k and 100k members (`SortitionTree` through `SortitionTreeHarness`).
 *
 *   npm run bench:sortition                                     table (builds the contracts first)
 *   OPG_BENCH_JSON=1 npx hardhat run scripts/bench/sortition.ts JSON (hardhat run takes no script arguments)
 *   npx tsx scripts/bench/sortition.ts --json                   JSON
 *
 * Figures are whole-transaction gas as `estimateGas` reports it (21,000 intrinsic gas and calldata included), averaged
 * over several seeds / members, with the tree in storage as a real chain would hold it (cold reads). The trees are
 * filled with bulk inserts (`addMany`) in chunks that fit the block gas limit; member weights vary (1..100 tickets) so
 * draws walk the whole Fenwick tree. Knob: OPG_BENCH_SIZES (comma-separated, default 1000,10000,100000).
 */
import { network } from "hardhat";

import { SortitionTreeHarness__factory } from "../../typechain-types/index.js";

const asJson = process.argv.includes("--json") || process.env.OPG_BENCH_JSON === "1";
const SIZES = (process.env.OPG_BENCH_SIZES ?? "1000,10000,100000").split(",").map((s) => Number(s.trim()));
const SAMPLES = 8;
const TX_GAS_CAP = 16_000_000n; // below EIP-7825's 2^24 per-transaction cap and any block limit used here

interface Row {
  members: number;
  capacity: number;
  draw: number;
  panel5: number;
  panel11: number;
  setUpdate: number;
  setInsert: number;
  setRemove: number;
  fillSeconds: number;
}

const log = (line: string): void => {
  if (!asJson) console.log(line);
};

const { ethers } = await network.create();
const [deployer] = await ethers.getSigners();
const harness = await new SortitionTreeHarness__factory(deployer).deploy();
await harness.waitForDeployment();

const block = await ethers.provider.getBlock("latest");
const blockGasLimit = block?.gasLimit ?? TX_GAS_CAP;
const chunkGasBudget = ((blockGasLimit < TX_GAS_CAP ? blockGasLimit : TX_GAS_CAP) * 9n) / 10n;

/** Weight of synthetic member `i`: 1..100 tickets. */
const weightOf = (i: number): bigint => BigInt(1 + ((i * 7919) % 100));

/** Fills members [from, to) with varying weights; chunk size follows the measured gas per insert. */
async function fill(from: number, to: number): Promise<void> {
  let next = from;
  let perInsert = 0n;
  while (next < to) {
    // Members of one chunk share a weight (addMany takes one); chunks cycle through the weights.
    let count = perInsert === 0n ? Math.min(50, to - next) : Number(chunkGasBudget / perInsert);
    count = Math.max(1, Math.min(count, to - next));
    const tx = await harness.addMany(next, count, weightOf(next), { gasLimit: chunkGasBudget + 500_000n });
    const receipt = await tx.wait();
    if (receipt === null || receipt.status !== 1) throw new Error(`addMany(${next}, ${count}) failed`);
    const measured = (receipt.gasUsed * 11n) / 10n / BigInt(count); // 10 % margin: nodes deepen as the tree grows
    if (measured > perInsert) perInsert = measured;
    next += count;
  }
}

async function average(estimates: Array<() => Promise<bigint>>): Promise<number> {
  let sum = 0n;
  for (const estimate of estimates) sum += await estimate();
  return Number(sum / BigInt(estimates.length));
}

const seeds = Array.from({ length: SAMPLES }, (_, i) => BigInt(ethers.keccak256(ethers.toUtf8Bytes(`bench-${i}`))));
const rows: Row[] = [];
let filled = 0;
const started = Date.now();

for (const size of [...SIZES].sort((a, b) => a - b)) {
  const t0 = Date.now();
  await fill(filled, size);
  filled = size;
  const fillSeconds = (Date.now() - t0) / 1000;
  const capacity = Number(await harness.capacity());
  if (Number(await harness.size()) !== size) throw new Error("tree size mismatch");

  const draw = await average(seeds.map((s) => () => harness.drawTx.estimateGas(s)));
  const panel5 = await average(seeds.map((s) => () => harness.drawPanelTx.estimateGas(s, 5, [])));
  const panel11 = await average(seeds.map((s) => () => harness.drawPanelTx.estimateGas(s, 11, [])));
  // A stake change of an existing member (spread over the tree), the arrival of a new member and a member leaving.
  const setUpdate = await average(
    seeds.map((s) => async () => {
      const i = Number(s % BigInt(size));
      return harness.set.estimateGas(await harness.memberOf(i), weightOf(i) + 1n);
    }),
  );
  const setInsert = await average(
    seeds.map((s) => () => harness.set.estimateGas(ethers.getAddress(ethers.toBeHex(s % 2n ** 160n, 20)), 5n)),
  );
  const setRemove = await average(
    seeds.map((s) => async () => harness.set.estimateGas(await harness.memberOf(Number(s % BigInt(size))), 0n)),
  );
  rows.push({ members: size, capacity, draw, panel5, panel11, setUpdate, setInsert, setRemove, fillSeconds });
  log(`filled ${size.toLocaleString("en-US")} members in ${fillSeconds.toFixed(1)} s`);
}

if (asJson) {
  console.log(JSON.stringify({ unit: "gas per transaction (estimateGas)", samples: SAMPLES, rows }, null, 2));
} else {
  const header = ["members", "capacity", "draw", "panel 5", "panel 11", "set (update)", "set (insert)", "set (remove)"];
  const cells = rows.map((r) => [
    r.members.toLocaleString("en-US"),
    r.capacity.toLocaleString("en-US"),
    r.draw.toLocaleString("en-US"),
    r.panel5.toLocaleString("en-US"),
    r.panel11.toLocaleString("en-US"),
    r.setUpdate.toLocaleString("en-US"),
    r.setInsert.toLocaleString("en-US"),
    r.setRemove.toLocaleString("en-US"),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]?.length ?? 0)));
  const line = (values: string[]): string => values.map((v, c) => v.padStart(widths[c] ?? 0)).join("  ");
  console.log(`\nSortitionTree gas per transaction (estimateGas, mean of ${SAMPLES}; 21,000 intrinsic included)\n`);
  console.log(`  ${line(header)}`);
  for (const row of cells) console.log(`  ${line(row)}`);
  console.log(`\n  total run time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
