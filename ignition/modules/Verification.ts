import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import BlockhashRandomnessModule from "./BlockhashRandomness.js";
import CommitteeModuleModule from "./CommitteeModule.js";
import DisputeCourtModule from "./DisputeCourt.js";
import GovernanceModule from "./Governance.js";
import InferenceHubModule from "./InferenceHub.js";
import NoneModuleModule from "./NoneModule.js";
import OptimisticModuleModule from "./OptimisticModule.js";

/** Mode ids as the registry stores them. */
export const MODE = { NONE: 0, OPTIMISTIC: 1, COMMITTEE: 2 } as const;
/** Permission bits of Staking (LOCKER, SLASHER) and Settlement (FEES, BONDS). */
const LOCKER = 1;
const SLASHER = 2;
const FEES = 1;
const BONDS = 2;

/**
 * Wires the layers: the hub may lock and slash stake and move fees; the court and the modules may slash and move
 * bonds; the registry lets the hub suspend models; the modules are enabled in the hub under their mode ids. Every
 * call here is made by the deployer while it still owns the contracts (`OPG` hands them to governance after).
 */
export default buildModule("Verification", (m) => {
  const { hub, staking, settlement, registry, token } = m.useModule(InferenceHubModule);
  const { randomness } = m.useModule(BlockhashRandomnessModule);
  const { timelock, governor } = m.useModule(GovernanceModule);
  const { court } = m.useModule(DisputeCourtModule);
  const { none } = m.useModule(NoneModuleModule);
  const { optimistic } = m.useModule(OptimisticModuleModule);
  const { committee } = m.useModule(CommitteeModuleModule);

  const settlementSet = m.call(staking, "setSettlement", [settlement]);
  m.call(staking, "setPermissions", [hub, LOCKER | SLASHER], { id: "stakingHub" });
  m.call(staking, "setPermissions", [court, SLASHER], { id: "stakingCourt" });
  m.call(staking, "setPermissions", [committee, SLASHER], { id: "stakingCommittee" });
  m.call(settlement, "setPermissions", [hub, FEES | BONDS], { id: "settlementHub" });
  m.call(settlement, "setPermissions", [court, BONDS], { id: "settlementCourt" });
  m.call(settlement, "setPermissions", [optimistic, BONDS], { id: "settlementOptimistic" });
  m.call(settlement, "setPermissions", [committee, BONDS], { id: "settlementCommittee" });
  m.call(registry, "setSuspender", [hub]);
  const courtHub = m.call(court, "setHub", [hub]);
  m.call(court, "setModule", [optimistic, true], { id: "courtOptimistic" });
  m.call(court, "setModule", [committee, true], { id: "courtCommittee" });
  const enabled = [
    m.call(hub, "enableModule", [MODE.NONE, none], { id: "enableNone", after: [courtHub] }),
    m.call(hub, "enableModule", [MODE.OPTIMISTIC, optimistic], { id: "enableOptimistic", after: [courtHub] }),
    m.call(hub, "enableModule", [MODE.COMMITTEE, committee], { id: "enableCommittee", after: [courtHub] }),
  ];
  // The unbonding delay is checked against the hub's lifecycle from now on.
  m.call(staking, "setLifecycleSource", [hub], { after: [...enabled, settlementSet] });
  return {
    hub,
    staking,
    settlement,
    registry,
    court,
    none,
    optimistic,
    committee,
    randomness,
    token,
    timelock,
    governor,
  };
});
