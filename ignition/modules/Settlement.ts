import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GovernanceModule from "./Governance.js";
import OPGTokenModule from "./OPGToken.js";

/** The settlement layer: holds requesters' funds; the treasury is the governance timelock. */
export default buildModule("Settlement", (m) => {
  const { token } = m.useModule(OPGTokenModule);
  const { timelock } = m.useModule(GovernanceModule);
  const settlement = m.contract("Settlement", [token, timelock, m.getAccount(0)]);
  return { settlement, token };
});
