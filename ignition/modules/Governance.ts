import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import OPGTokenModule from "./OPGToken.js";

/** Governor + timelock. The timelock executes anything; only the governor proposes and cancels. */
export default buildModule("Governance", (m) => {
  const { token } = m.useModule(OPGTokenModule);
  const deployer = m.getAccount(0);
  const timelock = m.contract("OPGTimelock", [
    m.getParameter("timelockDelay", 7 * 24 * 3600),
    [],
    ["0x0000000000000000000000000000000000000000"], // anyone may execute a passed, queued proposal
    deployer, // temporary admin, renounced in the OPG module's last step
  ]);
  const governor = m.contract("OPGGovernor", [
    token,
    timelock,
    m.getParameter("votingDelay", 7_200),
    m.getParameter("votingPeriod", 50_400),
    m.getParameter("proposalThreshold", 1_000_000n * 10n ** 18n),
    m.getParameter("quorumPercent", 4),
  ]);
  const proposerRole = m.staticCall(timelock, "PROPOSER_ROLE", [], 0, { id: "proposerRole" });
  const cancellerRole = m.staticCall(timelock, "CANCELLER_ROLE", [], 0, { id: "cancellerRole" });
  m.call(timelock, "grantRole", [proposerRole, governor], { id: "grantProposer" });
  m.call(timelock, "grantRole", [cancellerRole, governor], { id: "grantCanceller" });
  return { timelock, governor, token };
});
