/** `network:stats`: network health computed only from on-chain events (the indexer a web page reuses). */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { NetworkIndexer, type NetworkStats } from "../../offchain/indexer/stats.js";
import { formatOpg, openProtocol } from "./context.js";

export async function statsAction(
  args: { deployment: string; window: number; json: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  const { contracts } = await openProtocol(hre, { deployment: args.deployment });
  const indexer = new NetworkIndexer(contracts, { startBlock: contracts.addresses.fromBlock });
  await indexer.sync();
  const stats = indexer.stats({ windowSeconds: args.window });
  if (args.json) {
    console.log(
      JSON.stringify(
        stats,
        (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v instanceof Map ? Object.fromEntries(v) : v),
        2,
      ),
    );
    return;
  }
  printStats(stats, args.window);
}

export function printStats(stats: NetworkStats, window: number): void {
  const r = stats.requests;
  const b = r.byStatus;
  console.log(`OPG network at block ${stats.syncedBlock}`);
  console.log(
    `  requests      ${r.total} (finalized ${b.finalized}, rejected ${b.rejected}, expired ${b.expired}, refunded ${b.refunded}, open ${b.open})`,
  );
  const recent = r.perWindow.slice(-6).map((w) => `${new Date(w.start * 1000).toISOString().slice(11, 16)}:${w.count}`);
  console.log(`  calls/${window}s  ${recent.join("  ") || "-"}`);
  console.log(`  operators     ${stats.workers.active} active workers, ${stats.verifiers.active} active verifiers`);
  console.log(
    `  stake         ${formatOpg(stats.stake.active)} bonded, ${formatOpg(stats.stake.unbonding)} unbonding; sortition ${stats.stake.workerWeight} worker / ${stats.stake.verifierWeight} verifier tickets`,
  );
  const d = stats.disputes;
  console.log(
    `  disputes      ${d.opened} opened (${d.upheld} upheld, ${d.rejected} worker wrong, ${d.undecided} undecided, ${d.open} open); ${d.juries} juries, ${d.appeals} appeals`,
  );
  console.log(`  committees    ${stats.committees.drawn} drawn`);
  console.log(
    `  slashes       ${stats.slashes.count}, ${formatOpg(stats.slashes.amount)} (faults; ${stats.jails} jailings)`,
  );
  const penalties = Object.entries(stats.penalties).filter(([, amount]) => amount > 0n);
  if (penalties.length > 0) {
    console.log(`    by reason   ${penalties.map(([reason, amount]) => `${reason} ${formatOpg(amount)}`).join(", ")}`);
  }
  console.log(
    `  liveness      ${r.declines} declines (no penalty), ${stats.liveness.timeouts} timeouts (${formatOpg(stats.liveness.penalties)} penalties)`,
  );
  const f = stats.fees;
  console.log(
    `  fees          royalty ${formatOpg(f.royalty)}, workers ${formatOpg(f.worker)}, verifiers ${formatOpg(f.verifier)}, treasury ${formatOpg(f.treasury)}, refunds ${formatOpg(f.refunds)}, callbacks ${formatOpg(f.callbacks)}`,
  );
  const parties = [...f.byParty.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).slice(0, 10);
  for (const [party, amount] of parties) console.log(`    ${party}  ${formatOpg(amount)}`);
}
