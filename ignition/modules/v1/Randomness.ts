import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Default sortition entropy (prevrandao mixed with the draw context); replace with a VRF source via governance. */
export default buildModule("Randomness", (m) => {
  const randomness = m.contract("PrevrandaoRandomness", []);
  return { randomness };
});
