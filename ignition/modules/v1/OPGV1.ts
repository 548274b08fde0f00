import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import GovernanceModule from "../Governance.js";
import InferenceHubModule from "./InferenceHubV1.js";

/**
 * The whole protocol. Its last steps hand every parameter setter to the timelock (owned by the governor) and
 * drop the deployer's temporary timelock admin role: after this module, only governance can change anything.
 */
export default buildModule("OPGV1", (m) => {
  const { hub, staking, registry, token, randomness } = m.useModule(InferenceHubModule);
  const { timelock, governor } = m.useModule(GovernanceModule);
  // Wiring (staking.setHub) must be done while the deployer still owns staking: hand over after the hub module.
  const handStaking = m.call(staking, "transferOwnership", [timelock], {
    id: "stakingToTimelock",
    after: [InferenceHubModule],
  });
  const handHub = m.call(hub, "transferOwnership", [timelock], { id: "hubToTimelock", after: [InferenceHubModule] });
  const adminRole = m.staticCall(timelock, "DEFAULT_ADMIN_ROLE", [], 0, { id: "adminRole" });
  m.call(timelock, "renounceRole", [adminRole, m.getAccount(0)], {
    id: "renounceTimelockAdmin",
    after: [handStaking, handHub],
  });
  return { hub, staking, registry, token, randomness, timelock, governor };
});
