import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The content-addressed model registry. Ownerless: model owners manage their own models. */
export default buildModule("ModelRegistryV1", (m) => {
  const registry = m.contract("ModelRegistryV1", []);
  return { registry };
});
