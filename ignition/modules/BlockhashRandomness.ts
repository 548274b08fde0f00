import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Default delayed randomness for panel draws (the hash of the block after the request); a VRF source can replace it. */
export default buildModule("BlockhashRandomness", (m) => {
  const randomness = m.contract("BlockhashRandomness", []);
  return { randomness };
});
