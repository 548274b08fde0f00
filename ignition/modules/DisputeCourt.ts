import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";
import BlockhashRandomnessModule from "./BlockhashRandomness.js";
import SettlementModule from "./Settlement.js";
import StakingModule from "./Staking.js";

const D = PARAMETER_DEFAULTS.DisputeCourt;

/** The dispute court shared by the OPTIMISTIC and COMMITTEE modules. */
export default buildModule("DisputeCourt", (m) => {
  const { staking } = m.useModule(StakingModule);
  const { settlement } = m.useModule(SettlementModule);
  const { randomness } = m.useModule(BlockhashRandomnessModule);
  const params = {
    jurySize: m.getParameter("jurySize", D.jurySize),
    appealJurySize: m.getParameter("appealJurySize", D.appealJurySize),
    maxChallengers: m.getParameter("maxChallengers", D.maxChallengers),
    slashBps: m.getParameter("slashBps", D.slashBps),
    defenderSlashBps: m.getParameter("defenderSlashBps", D.defenderSlashBps),
    challengerRewardBps: m.getParameter("challengerRewardBps", D.challengerRewardBps),
    voterRewardBps: m.getParameter("voterRewardBps", D.voterRewardBps),
    minorityPenaltyBps: m.getParameter("minorityPenaltyBps", D.minorityPenaltyBps),
    nonRevealPenaltyBps: m.getParameter("nonRevealPenaltyBps", D.nonRevealPenaltyBps),
    drawWindow: m.getParameter("drawWindow", D.drawWindow),
    commitWindow: m.getParameter("commitWindow", D.commitWindow),
    revealWindow: m.getParameter("revealWindow", D.revealWindow),
    challengeBond: m.getParameter("challengeBond", D.challengeBond),
  };
  const court = m.contract("DisputeCourt", [staking, settlement, randomness, params, m.getAccount(0)]);
  return { court };
});
