import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";

/**
 * Default delayed randomness for panel draws: the hash of the block `delay` blocks after the request (longer than the
 * proposer lookahead on public chains; 1 on a local chain). A VRF source can replace it.
 */
export default buildModule("BlockhashRandomness", (m) => {
  const randomness = m.contract("BlockhashRandomness", [
    m.getParameter("delay", PARAMETER_DEFAULTS.BlockhashRandomness.delay),
  ]);
  return { randomness };
});
