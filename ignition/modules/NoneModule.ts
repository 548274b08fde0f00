import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import InferenceHubModule from "./InferenceHub.js";

/** Mode 0, NONE: final at submission. */
export default buildModule("NoneModule", (m) => {
  const { hub } = m.useModule(InferenceHubModule);
  const none = m.contract("NoneModule", [hub]);
  return { none };
});
