/**
 * Default protocol parameters of the v2 deployment, by Ignition module id. The Ignition modules read them as the
 * defaults of `m.getParameter`, `ignition/parameters/<network>.json` overrides them per network, and the economics
 * script (`npm run econ`) evaluates the merged values. Amounts are in OPG wei, durations in seconds.
 */
const OPG = 10n ** 18n;

export const PARAMETER_DEFAULTS = {
  OPGToken: { supply: 1_000_000_000n * OPG },
  Governance: { timelockDelay: 7 * 24 * 3600, votingDelay: 7_200, votingPeriod: 50_400, quorumPercent: 4 },
  Staking: {
    minWorkerStake: 1_000n * OPG,
    minVerifierStake: 500n * OPG,
    unbondingDelay: 7 * 24 * 3600,
    jailDuration: 24 * 3600,
    // Panels draw from the weights frozen at the start of the hour their randomness was asked for (immutable; at
    // least every panel draw window, so a draw inside its window always finds its snapshot).
    snapshotPeriod: 3_600,
  },
  ModelRegistry: { minFee: OPG / 10n },
  // 96 blocks (~19 min on Ethereum) exceed the proposer lookahead; local chains use 1.
  BlockhashRandomness: { delay: 96 },
  InferenceHub: {
    protocolFeeBps: 500,
    verifierShareBps: 1_000,
    stakeToFeeRatio: 10,
    livenessPenaltyBps: 1_000,
    maxAttempts: 3,
    declineThreshold: 3,
    responseTimeout: 300,
    maxCallbackGas: 500_000,
    maxInputBytes: 16 * 1024,
    maxOutputBytes: 16 * 1024,
    callbackFeePerGas: 10n ** 10n,
  },
  DisputeCourt: {
    jurySize: 9,
    appealJurySize: 15,
    maxChallengers: 8,
    slashBps: 1_000,
    defenderSlashBps: 1_000,
    challengerRewardBps: 1_500,
    voterRewardBps: 1_000,
    minorityPenaltyBps: 50,
    nonRevealPenaltyBps: 100,
    drawWindow: 1_800, // longer than BlockhashRandomness.delay blocks
    commitWindow: 300,
    revealWindow: 300,
    challengeBond: 10n * OPG,
  },
  OptimisticModule: { challengeWindow: 600 },
  CommitteeModule: {
    committeeSize: 3,
    quorum: 2,
    silencePenaltyBps: 100,
    drawWindow: 1_800, // longer than BlockhashRandomness.delay blocks
    commitWindow: 300,
    revealWindow: 300,
  },
} as const;

export type ModuleId = keyof typeof PARAMETER_DEFAULTS;
