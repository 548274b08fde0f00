import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";

/** The content-addressed model registry. Governance owns only the minimum fee and the suspender (the hub). */
export default buildModule("ModelRegistry", (m) => {
  const registry = m.contract("ModelRegistry", [
    m.getAccount(0),
    m.getParameter("minFee", PARAMETER_DEFAULTS.ModelRegistry.minFee),
  ]);
  return { registry };
});
