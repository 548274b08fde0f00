import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/** The OPG token: fixed supply minted once to `recipient` (the deployer by default, who distributes it). */
export default buildModule("OPGToken", (m) => {
  const recipient = m.getParameter("recipient", m.getAccount(0));
  const supply = m.getParameter("supply", 1_000_000_000n * 10n ** 18n);
  const token = m.contract("OPGToken", [recipient, supply]);
  return { token };
});
