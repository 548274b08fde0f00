import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { PARAMETER_DEFAULTS } from "../defaults.js";
import BlockhashRandomnessModule from "./BlockhashRandomness.js";
import ModelRegistryModule from "./ModelRegistry.js";
import SettlementModule from "./Settlement.js";
import StakingModule from "./Staking.js";

const D = PARAMETER_DEFAULTS.InferenceHub;

/** The inference layer. Holds no funds; verification modules are enabled by `Verification`. */
export default buildModule("InferenceHub", (m) => {
  const { staking, token } = m.useModule(StakingModule);
  const { settlement } = m.useModule(SettlementModule);
  const { registry } = m.useModule(ModelRegistryModule);
  const { randomness } = m.useModule(BlockhashRandomnessModule);
  const params = {
    protocolFeeBps: m.getParameter("protocolFeeBps", D.protocolFeeBps),
    verifierShareBps: m.getParameter("verifierShareBps", D.verifierShareBps),
    stakeToFeeRatio: m.getParameter("stakeToFeeRatio", D.stakeToFeeRatio),
    livenessPenaltyBps: m.getParameter("livenessPenaltyBps", D.livenessPenaltyBps),
    maxAttempts: m.getParameter("maxAttempts", D.maxAttempts),
    declineThreshold: m.getParameter("declineThreshold", D.declineThreshold),
    responseTimeout: m.getParameter("responseTimeout", D.responseTimeout),
    maxCallbackGas: m.getParameter("maxCallbackGas", D.maxCallbackGas),
    maxInputBytes: m.getParameter("maxInputBytes", D.maxInputBytes),
    maxOutputBytes: m.getParameter("maxOutputBytes", D.maxOutputBytes),
    callbackFeePerGas: m.getParameter("callbackFeePerGas", D.callbackFeePerGas),
  };
  const hub = m.contract("InferenceHub", [settlement, staking, registry, randomness, params, m.getAccount(0)]);
  return { hub, staking, settlement, registry, randomness, token };
});
