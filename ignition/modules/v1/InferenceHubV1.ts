import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GovernanceModule from "../Governance.js";
import ModelRegistryModule from "./ModelRegistryV1.js";
import RandomnessModule from "./Randomness.js";
import StakingModule from "./StakingV1.js";

const OPG = 10n ** 18n;

/** The hub, wired to staking (as its only slasher), the registry, the randomness source and the treasury (timelock). */
export default buildModule("InferenceHubV1", (m) => {
  const { staking, token } = m.useModule(StakingModule);
  const { registry } = m.useModule(ModelRegistryModule);
  const { randomness } = m.useModule(RandomnessModule);
  const { timelock, governor } = m.useModule(GovernanceModule);
  const params = {
    protocolFeeBps: m.getParameter("protocolFeeBps", 500),
    verifierShareBps: m.getParameter("verifierShareBps", 1_000),
    stakeToFeeRatio: m.getParameter("stakeToFeeRatio", 10),
    slashBps: m.getParameter("slashBps", 1_000),
    challengerRewardBps: m.getParameter("challengerRewardBps", 5_000),
    voterRewardBps: m.getParameter("voterRewardBps", 3_000),
    livenessPenaltyBps: m.getParameter("livenessPenaltyBps", 1_000),
    nonRevealPenaltyBps: m.getParameter("nonRevealPenaltyBps", 100),
    maxAttempts: m.getParameter("maxAttempts", 3),
    committeeSize: m.getParameter("committeeSize", 3),
    responseTimeout: m.getParameter("responseTimeout", 5 * 60),
    challengeWindow: m.getParameter("challengeWindow", 10 * 60),
    commitWindow: m.getParameter("commitWindow", 5 * 60),
    revealWindow: m.getParameter("revealWindow", 5 * 60),
    maxCallbackGas: m.getParameter("maxCallbackGas", 500_000),
    maxInputBytes: m.getParameter("maxInputBytes", 16 * 1024),
    maxOutputBytes: m.getParameter("maxOutputBytes", 16 * 1024),
    challengeBond: m.getParameter("challengeBond", 100n * OPG),
    minRequestFee: m.getParameter("minRequestFee", OPG / 100n),
    treasury: timelock, // protocol fees and penalties accrue to governance
    randomness,
  };
  const bounds = m.contract("HubParamsBounds", []);
  const hub = m.contract("InferenceHubV1", [token, staking, registry, bounds, params, m.getAccount(0)]);
  m.call(staking, "setHub", [hub]);
  return { hub, staking, registry, token, randomness, timelock, governor };
});
