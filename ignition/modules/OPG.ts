import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import VerificationModule from "./Verification.js";

/**
 * The whole v2 protocol. Its last steps hand every parameter setter to the timelock (owned by the governor) and
 * drop the deployer's temporary timelock admin role: after this module, only governance can change anything.
 */
export default buildModule("OPG", (m) => {
  const wired = m.useModule(VerificationModule);
  const { hub, staking, settlement, registry, court, optimistic, committee, timelock } = wired;
  const owned = { staking, settlement, registry, hub, court, optimistic, committee };
  const handovers = Object.entries(owned).map(([name, contract]) =>
    m.call(contract, "transferOwnership", [timelock], { id: `${name}ToTimelock`, after: [VerificationModule] }),
  );
  const adminRole = m.staticCall(timelock, "DEFAULT_ADMIN_ROLE", [], 0, { id: "adminRole" });
  m.call(timelock, "renounceRole", [adminRole, m.getAccount(0)], { id: "renounceTimelockAdmin", after: handovers });
  return wired;
});
