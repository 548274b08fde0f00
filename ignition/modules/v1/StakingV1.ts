import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import OPGTokenModule from "../OPGToken.js";

const OPG = 10n ** 18n;

/** Operator stakes. Owned by the deployer until `OPG` hands it to the timelock. */
export default buildModule("StakingV1", (m) => {
  const { token } = m.useModule(OPGTokenModule);
  const params = {
    minWorkerStake: m.getParameter("minWorkerStake", 1_000n * OPG),
    minVerifierStake: m.getParameter("minVerifierStake", 500n * OPG),
    unbondingDelay: m.getParameter("unbondingDelay", 7 * 24 * 3600),
    jailDuration: m.getParameter("jailDuration", 24 * 3600),
  };
  const staking = m.contract("StakingV1", [token, params, m.getAccount(0)]);
  return { staking, token };
});
