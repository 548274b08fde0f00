/**
 * OPG Hardhat tasks: node software (worker, verifier), operator, model, requester and network tasks. Every action
 * is loaded lazily from tasks/actions/, so `hardhat --help` stays fast.
 */
import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

/**
 * Loads an action lazily (so `hardhat --help` stays fast) behind the one error path of tasks/actions/errors.ts: a
 * mistake ends in one line and a non-zero exit, the stack only with --show-stack-traces.
 */
function guardedAction<M, A, H extends { globalOptions: { showStackTraces?: boolean } }>(
  load: () => Promise<M>,
  pick: (module: M) => (args: A, hre: H) => Promise<unknown>,
) {
  return () =>
    Promise.all([load(), import("./actions/errors.js")]).then(([module, errors]) => ({
      default: errors.guarded(pick(module)),
    }));
}

const common = {
  deployment: {
    name: "deployment",
    description: "Deployment file (default .opg/deployments/<chainId>.json)",
    defaultValue: "",
  },
  account: {
    name: "account",
    description: "Signer: index into the network's accounts, or an address",
    defaultValue: "0",
  },
} as const;

const nodeOptions = <T extends ReturnType<typeof task>>(builder: T) =>
  builder
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({
      name: "stateDir",
      description: "Where job state and event cursors persist",
      defaultValue: ".opg/nodes",
    })
    .addOption({ name: "cacheDir", description: "Verified model cache", defaultValue: ".opg/models" })
    .addOption({ name: "ipfsGateway", description: "IPFS HTTP gateway for ipfs:// URIs", defaultValue: "" })
    .addOption({ name: "concurrency", description: "Jobs run at once", type: ArgumentType.INT, defaultValue: 4 })
    .addOption({ name: "pollMs", description: "Event poll interval (ms)", type: ArgumentType.INT, defaultValue: 1_000 })
    .addOption({
      name: "confirmations",
      description: "Blocks an event must be buried under before the node acts on it",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addFlag({ name: "pretty", description: "Human-readable logs instead of JSON lines" });

/** Workers and verifiers may also keep every request, as the keeper task does. */
const keepAllFlag = {
  name: "keepAll",
  description: "Also perform the due time-based steps of every request (what `keeper` does), not only of this node's",
} as const;

/** Workers and verifiers may stake at start-up; a keeper needs no stake. */
const stakeOption = {
  name: "stake",
  description: "OPG to stake first (0: use the existing stake)",
  defaultValue: "0",
} as const;

export const opgTasks = [
  nodeOptions(task("worker", "Run a worker node: serve assigned requests until SIGINT/SIGTERM"))
    .addOption(stakeOption)
    .addOption({
      name: "topUp",
      description:
        "OPG to stake from the wallet whenever the free stake cannot cover a job's collateral (empty: only log it)",
      defaultValue: "",
    })
    .addFlag(keepAllFlag)
    .setAction(
      guardedAction(
        () => import("./actions/node.js"),
        (m) => m.workerAction,
      ),
    )
    .build(),
  nodeOptions(
    task("verifier", "Run a verifier node: attest, re-check, challenge, join challenges and vote until stopped"),
  )
    .addOption(stakeOption)
    .addFlag(keepAllFlag)
    .addOption({
      name: "sampleRate",
      description: "Fraction of OPTIMISTIC results re-executed (0..1)",
      type: ArgumentType.FLOAT,
      defaultValue: 1,
    })
    .addOption({
      name: "bondReserve",
      description: "OPG to hold as free settlement balance for challenge bonds, deposited from the wallet at start",
      defaultValue: "",
    })
    .setAction(
      guardedAction(
        () => import("./actions/node.js"),
        (m) => m.verifierAction,
      ),
    )
    .build(),
  nodeOptions(
    task(
      "keeper",
      "Run a keeper: reassign/expire overdue requests, draw committees and juries, escalate, resolve and finalize every request when due (no stake; pays gas)",
    ),
  )
    .addOption({
      name: "gasBudget",
      description: "Gas spent on keeper steps per poll round",
      type: ArgumentType.INT,
      defaultValue: 5_000_000,
    })
    .addOption({
      name: "jitterMs",
      description: "Largest random delay before each step (several keepers rarely send the same one)",
      type: ArgumentType.INT,
      defaultValue: 1_500,
    })
    .setAction(
      guardedAction(
        () => import("./actions/node.js"),
        (m) => m.keeperAction,
      ),
    )
    .build(),

  task("operator:stake", "Stake OPG for the worker and/or verifier role")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "amount", description: "OPG to stake", defaultValue: "0" })
    .addOption({ name: "roles", description: "worker | verifier | both", defaultValue: "worker" })
    .setAction(
      guardedAction(
        () => import("./actions/operator.js"),
        (m) => m.stakeAction,
      ),
    )
    .build(),
  task("operator:unstake", "Start unbonding free stake (slashable until withdrawn)")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "amount", description: "OPG to unbond", defaultValue: "0" })
    .setAction(
      guardedAction(
        () => import("./actions/operator.js"),
        (m) => m.unstakeAction,
      ),
    )
    .build(),
  task("operator:withdraw", "Withdraw released unbonding stake, and claim settlement credits")
    .addOption(common.deployment)
    .addOption(common.account)
    .setAction(
      guardedAction(
        () => import("./actions/operator.js"),
        (m) => m.withdrawAction,
      ),
    )
    .build(),
  task("operator:refresh", "Restore an operator's sortition weight after its jail ended (permissionless)")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "operator", description: "Operator address (default: the --account)", defaultValue: "" })
    .setAction(
      guardedAction(
        () => import("./actions/operator.js"),
        (m) => m.refreshAction,
      ),
    )
    .build(),
  task("operator:status", "Stake, locked collateral, unbonding, jail, sortition weight, credits and jobs in flight")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "stateDir", description: "Node state directory (jobs in flight)", defaultValue: ".opg/nodes" })
    .setAction(
      guardedAction(
        () => import("./actions/operator.js"),
        (m) => m.statusAction,
      ),
    )
    .build(),

  task("model:register", "Register an ONNX model: hash and schema are read from the file")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "file", description: "Path to the .onnx file", defaultValue: "" })
    .addOption({ name: "uri", description: "Where workers fetch it (default: file:<path>)", defaultValue: "" })
    .addOption({ name: "fee", description: "Fee per inference in OPG", defaultValue: "1" })
    .addOption({ name: "mode", description: "none | optimistic | committee", defaultValue: "optimistic" })
    .addOption({
      name: "decimals",
      description: "Output fixed-point decimals (default 6; 4 for a language model's logits)",
      type: ArgumentType.INT,
      defaultValue: -1,
    })
    .addOption({ name: "tolerance", description: "Max |difference| per element, in 10^-decimals", defaultValue: "10" })
    .addOption({
      name: "tokenizer",
      description: "Language models: path to the model's tokenizer.json (hash read from the file)",
      defaultValue: "",
    })
    .addOption({
      name: "tokenizerUri",
      description: "Language models: where workers fetch tokenizer.json (default: file:<path>)",
      defaultValue: "",
    })
    .addOption({
      name: "context",
      description: "Language models: context length to serve (default: what the model declares)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addOption({
      name: "royaltyBps",
      description: "Owner's share of the fee (bps)",
      type: ArgumentType.INT,
      defaultValue: 1000,
    })
    .addFlag({
      name: "noFetchCheck",
      description: "Skip fetching the model from --uri before registering (workers must still reach it)",
    })
    .setAction(
      guardedAction(
        () => import("./actions/model.js"),
        (m) => m.registerAction,
      ),
    )
    .build(),
  task("model:resume", "Owner: lift a suspension (the bytes are reachable again), or move the model with --uri")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "id", description: "Model id", defaultValue: "1" })
    .addOption({
      name: "uri",
      description: "New location of the same bytes (also lifts a suspension)",
      defaultValue: "",
    })
    .setAction(
      guardedAction(
        () => import("./actions/model.js"),
        (m) => m.resumeAction,
      ),
    )
    .build(),
  task("model:inspect", "Print an ONNX file's inputs, outputs, opset, size and sha256 (no network needed)")
    .addOption({ name: "file", description: "Path to the .onnx file", defaultValue: "" })
    .addFlag({ name: "json", description: "Print as JSON" })
    .setAction(
      guardedAction(
        () => import("./actions/model.js"),
        (m) => m.inspectAction,
      ),
    )
    .build(),
  task("model:list", "List registered models")
    .addOption(common.deployment)
    .setAction(
      guardedAction(
        () => import("./actions/model.js"),
        (m) => m.listAction,
      ),
    )
    .build(),
  task("model:show", "Show one model's record")
    .addOption(common.deployment)
    .addOption({ name: "id", description: "Model id", defaultValue: "1" })
    .setAction(
      guardedAction(
        () => import("./actions/model.js"),
        (m) => m.showAction,
      ),
    )
    .build(),

  task("deposit", "Deposit OPG into your settlement balance (pays request fees and challenge bonds)")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "amount", description: "OPG to deposit", defaultValue: "0" })
    .setAction(
      guardedAction(
        () => import("./actions/requester.js"),
        (m) => m.depositAction,
      ),
    )
    .build(),
  task("withdraw", "Withdraw OPG from your free settlement balance to your wallet")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "amount", description: 'OPG to withdraw, or "all"', defaultValue: "all" })
    .setAction(
      guardedAction(
        () => import("./actions/requester.js"),
        (m) => m.withdrawAction,
      ),
    )
    .build(),
  task("claim", "Claim your settlement credits (fee shares, rewards, returned bonds) to your wallet")
    .addOption(common.deployment)
    .addOption(common.account)
    .setAction(
      guardedAction(
        () => import("./actions/requester.js"),
        (m) => m.claimAction,
      ),
    )
    .build(),
  task("infer", "Request an inference; with --wait, follow it to settlement and print its record")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "model", description: "Model id", defaultValue: "1" })
    .addOption({
      name: "input",
      description: "Input as JSON (number array, or {shape,data}) or a file path",
      defaultValue: "",
    })
    .addOption({ name: "timeout", description: "Seconds to wait", type: ArgumentType.INT, defaultValue: 600 })
    .addOption({
      name: "store",
      description: "Input store URL for inputs above the inline limit (empty: $OPG_STORE_URL)",
      defaultValue: "",
    })
    .addFlag({ name: "viaStore", description: "Pass the input through the input store even if it fits inline" })
    .addFlag({ name: "localFile", description: "Pass the input by a file: URI (only workers on this machine)" })
    .addFlag({
      name: "skipInputCheck",
      description: "Send without checking the input against the model's inputs first (a misfit is paid for)",
    })
    .addFlag({ name: "wait", description: "Follow requested → assigned → computed → verified → settled" })
    .addFlag({ name: "json", description: "Print the record as JSON" })
    .setAction(
      guardedAction(
        () => import("./actions/requester.js"),
        (m) => m.inferAction,
      ),
    )
    .build(),
  task("generate", "Generate text with a language model; with --wait, follow it to settlement and print the text")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "model", description: "Language model id (model:list shows the kind)", defaultValue: "" })
    .addOption({ name: "prompt", description: "Text to continue", defaultValue: "" })
    .addOption({ name: "maxTokens", description: "Most new tokens (1-1024)", type: ArgumentType.INT, defaultValue: 64 })
    .addOption({ name: "temperature", description: "0 = greedy; up to 2", defaultValue: "0" })
    .addOption({ name: "seed", description: "Sampling seed (default: random; it is public)", defaultValue: "" })
    .addOption({ name: "timeout", description: "Seconds to wait", type: ArgumentType.INT, defaultValue: 600 })
    .addFlag({ name: "wait", description: "Follow requested → assigned → computed → verified → settled" })
    .addFlag({ name: "json", description: "Print text, tokens and record as JSON" })
    .setAction(
      guardedAction(
        () => import("./actions/generate.js"),
        (m) => m.generateAction,
      ),
    )
    .build(),
  task("chat", "Chat with a language model: every message is a verified, settled generation (/record, /quit)")
    .addOption(common.deployment)
    .addOption(common.account)
    .addOption({ name: "model", description: "Language model id (model:list shows the kind)", defaultValue: "" })
    .addOption({
      name: "maxTokens",
      description: "Most new tokens per reply",
      type: ArgumentType.INT,
      defaultValue: 48,
    })
    .addOption({ name: "temperature", description: "0 = greedy; up to 2", defaultValue: "0" })
    .addOption({ name: "timeout", description: "Seconds to wait per reply", type: ArgumentType.INT, defaultValue: 600 })
    .setAction(
      guardedAction(
        () => import("./actions/chat.js"),
        (m) => m.chatAction,
      ),
    )
    .build(),
  task("faucet", "Local network only: send OPG (and ETH for gas) to an account from the deployer's supply")
    .addOption(common.deployment)
    .addOption({ name: "to", description: "Address to fund", defaultValue: "" })
    .addOption({ name: "amount", description: "OPG to send", defaultValue: "1000" })
    .setAction(
      guardedAction(
        () => import("./actions/faucet.js"),
        (m) => m.faucetAction,
      ),
    )
    .build(),
  task("request:status", "Show a request's record: stages, tx hashes, worker, committee, court case, fee split")
    .addOption(common.deployment)
    .addOption({ name: "id", description: "Request id", defaultValue: "1" })
    .addFlag({ name: "json", description: "Print the record as JSON" })
    .setAction(
      guardedAction(
        () => import("./actions/requester.js"),
        (m) => m.statusAction,
      ),
    )
    .build(),

  task("store", "Run the content-addressed input store (HTTP) that large inputs are uploaded to, until stopped")
    .addOption({
      name: "host",
      description: "Interface (0.0.0.0: reachable from other machines)",
      defaultValue: "127.0.0.1",
    })
    .addOption({ name: "port", description: "Port (0: any free one)", type: ArgumentType.INT, defaultValue: 8790 })
    .addOption({ name: "dir", description: "Where the inputs are kept", defaultValue: ".opg/store" })
    .addOption({
      name: "maxBytes",
      description: "Largest input accepted",
      type: ArgumentType.INT,
      defaultValue: 16 * 1024 * 1024,
    })
    .addOption({
      name: "publicUrl",
      description: "Base URL workers reach the store at (empty: its own URL)",
      defaultValue: "",
    })
    .addFlag({ name: "pretty", description: "Human-readable logs instead of JSON lines" })
    .setAction(
      guardedAction(
        () => import("./actions/store.js"),
        (m) => m.storeAction,
      ),
    )
    .build(),

  task(
    "network:stats",
    "Network health from on-chain events: calls over time, models, operators, stake, disputes, fault slashes and liveness penalties, fees by party",
  )
    .addOption(common.deployment)
    .addOption({
      name: "window",
      description: "Width of a time bucket of the call counts, in seconds (3600: per hour, 300: per 5 min)",
      type: ArgumentType.INT,
      defaultValue: 3600,
    })
    .addOption({
      name: "buckets",
      description: "How many of the most recent time buckets the table shows",
      type: ArgumentType.INT,
      defaultValue: 12,
    })
    .addFlag({ name: "json", description: "Print one JSON document on stdout (progress and warnings go to stderr)" })
    .addOption({
      name: "db",
      description: "Indexer database (SQLite) to catch up and read (default .opg/indexer/<chainId>-<hub>.sqlite)",
      defaultValue: "",
    })
    .addFlag({ name: "noDb", description: "No database: read every event since the deployment into memory" })
    .addOption({
      name: "confirmations",
      description:
        "Events of the newest blocks the database counts as tentative; reorgs up to this depth and 64 blocks more are rolled back, deeper ones rebuild it",
      type: ArgumentType.INT,
      defaultValue: 12,
    })
    .setAction(
      guardedAction(
        () => import("./actions/stats.js"),
        (m) => m.statsAction,
      ),
    )
    .build(),
];
