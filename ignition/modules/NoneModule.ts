import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** Mode 0, NONE: final at submission. Stateless (every function is pure): it needs no address of the hub. */
export default buildModule("NoneModule", (m) => {
  const none = m.contract("NoneModule", []);
  return { none };
});
