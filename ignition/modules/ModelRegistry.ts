import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The content-addressed model registry. Ownerless: model owners manage their own models. */
export default buildModule("ModelRegistry", (m) => {
  const registry = m.contract("ModelRegistry", []);
  return { registry };
});
