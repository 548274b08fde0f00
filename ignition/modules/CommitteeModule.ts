import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";
import DisputeCourtModule from "./DisputeCourt.js";
import InferenceHubModule from "./InferenceHub.js";

const D = PARAMETER_DEFAULTS.CommitteeModule;

/** Mode 2, COMMITTEE: a committee drawn from a later block attests by commit–reveal; no quorum goes to the court. */
export default buildModule("CommitteeModule", (m) => {
  const { hub, staking, settlement, randomness } = m.useModule(InferenceHubModule);
  const { court } = m.useModule(DisputeCourtModule);
  const params = {
    committeeSize: m.getParameter("committeeSize", D.committeeSize),
    quorum: m.getParameter("quorum", D.quorum),
    silencePenaltyBps: m.getParameter("silencePenaltyBps", D.silencePenaltyBps),
    drawWindow: m.getParameter("drawWindow", D.drawWindow),
    commitWindow: m.getParameter("commitWindow", D.commitWindow),
    revealWindow: m.getParameter("revealWindow", D.revealWindow),
  };
  const committee = m.contract("CommitteeModule", [
    hub,
    court,
    settlement,
    staking,
    randomness,
    params,
    m.getAccount(0),
  ]);
  return { committee };
});
