import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";
import OPGTokenModule from "./OPGToken.js";

const D = PARAMETER_DEFAULTS.Staking;

/** Operator stakes, collateral and sortition. Owned by the deployer until `OPG` hands it to the timelock. */
export default buildModule("Staking", (m) => {
  const { token } = m.useModule(OPGTokenModule);
  const params = {
    minWorkerStake: m.getParameter("minWorkerStake", D.minWorkerStake),
    minVerifierStake: m.getParameter("minVerifierStake", D.minVerifierStake),
    unbondingDelay: m.getParameter("unbondingDelay", D.unbondingDelay),
    jailDuration: m.getParameter("jailDuration", D.jailDuration),
  };
  const snapshotPeriod = m.getParameter("snapshotPeriod", D.snapshotPeriod);
  const staking = m.contract("Staking", [token, params, snapshotPeriod, m.getAccount(0)]);
  return { staking, token };
});
