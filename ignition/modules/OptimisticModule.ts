import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";
import DisputeCourtModule from "./DisputeCourt.js";
import InferenceHubModule from "./InferenceHub.js";

/** Mode 1, OPTIMISTIC: final after the challenge window unless challenged; disputes go to the court. */
export default buildModule("OptimisticModule", (m) => {
  const { hub, staking, settlement } = m.useModule(InferenceHubModule);
  const { court } = m.useModule(DisputeCourtModule);
  const optimistic = m.contract("OptimisticModule", [
    hub,
    court,
    settlement,
    staking,
    m.getParameter("challengeWindow", PARAMETER_DEFAULTS.OptimisticModule.challengeWindow),
    m.getAccount(0),
  ]);
  return { optimistic };
});
