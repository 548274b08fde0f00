/**
 * Requester tasks: deposit, withdraw and claim on the settlement contract; infer (with a live progress display) and
 * request:status (the record across the hub, the verification module and the court).
 */
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";

import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import {
  InferenceTimeoutError,
  InputNeedsStoreError,
  InsufficientFundsError,
  OpgClient,
  RequestNotFoundError,
  type InferenceInput,
  type InferenceRecord,
  type Stage,
  type StageName,
} from "../../offchain/client/client.js";
import {
  DType,
  DTYPE_VOCABULARY,
  decodeTensors,
  dtypeLabel,
  encodeTensors,
  parseDType,
  type TensorData,
} from "../../offchain/codec/tensor.js";
import { InputUploadError } from "../../offchain/inputs/upload.js";
import { withAccountLock } from "../../offchain/chain/accountLock.js";
import { registeredSchema } from "../../offchain/client/modelSchema.js";
import { checkInputs, formatSignature } from "../../offchain/model/inputCheck.js";
import {
  TaskInputError,
  commandHint,
  formatOpg,
  openProtocol,
  parseId,
  parseOpg,
  type TaskContext,
} from "./context.js";
import { describeError } from "./errors.js";
import { formatBytes, progressLine } from "./progress.js";

interface Base {
  deployment: string;
  account: string;
}

export async function depositAction(args: Base & { amount: string }, hre: HardhatRuntimeEnvironment) {
  const amount = parseOpg(args.amount, "--amount");
  const ctx = await openProtocol(hre, args);
  const { addresses, signer } = ctx;
  const client = new OpgClient(addresses, signer);
  const tx = await sending(ctx, () => funds(client.deposit(amount)));
  const { free } = await client.balances();
  console.log(`deposited ${formatOpg(amount)} (tx ${tx}); settlement balance ${formatOpg(free)}`);
}

export async function withdrawAction(args: Base & { amount: string }, hre: HardhatRuntimeEnvironment) {
  const ctx = await openProtocol(hre, args);
  const { addresses, signer } = ctx;
  const client = new OpgClient(addresses, signer);
  const amount = args.amount === "all" ? (await client.balances()).free : parseOpg(args.amount, "--amount");
  if (amount === 0n) return console.log("nothing to withdraw: the free settlement balance is 0");
  const tx = await sending(ctx, () => funds(client.withdraw(amount)));
  const { free, wallet } = await client.balances();
  console.log(
    `withdrew ${formatOpg(amount)} (tx ${tx}); settlement balance ${formatOpg(free)}, wallet ${formatOpg(wallet)}`,
  );
}

export async function claimAction(args: Base, hre: HardhatRuntimeEnvironment) {
  const ctx = await openProtocol(hre, args);
  const { addresses, signer } = ctx;
  const client = new OpgClient(addresses, signer);
  const { amount, txHash } = await sending(ctx, () => client.claim());
  if (txHash === null) return console.log("nothing to claim: no credits in the settlement contract");
  console.log(
    `claimed ${formatOpg(amount)} of credits (tx ${txHash}); wallet ${formatOpg((await client.balances()).wallet)}`,
  );
}

/**
 * Runs a command's sends (balance check, approve, deposit, request) under the account's lock, so several commands
 * from one account on this machine take turns instead of racing for nonces and balance.
 */
export function sending<T>(ctx: TaskContext, fn: () => Promise<T>): Promise<T> {
  const dir = path.join(ctx.root, ".opg", "locks");
  return withAccountLock(dir, `${ctx.chainId}-${ctx.signer.address}`, fn);
}

/** The client's balance errors carry the fix: show them without a stack trace. */
export async function funds<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof InsufficientFundsError) {
      throw new TaskInputError(
        `${error.message}; on the local network get OPG with \`npx hardhat faucet --to <address> --amount <OPG>\``,
      );
    }
    if (error instanceof InputNeedsStoreError || error instanceof InputUploadError) {
      throw new TaskInputError(error.message);
    }
    throw error;
  }
}

/**
 * `--input` is JSON — a flat number array (one FLOAT tensor of shape [1, n]), or {"shape": [...], "data": [...],
 * "dtype": "float32"}, or an array of such objects for several inputs — or a path to a .json file with the same, or
 * to a binary file already in the canonical encoding.
 */
export async function parseInput(input: string): Promise<Uint8Array> {
  if (input === "")
    throw new TaskInputError('--input is required: e.g. --input "[5.1, 3.5, 1.4, 0.2]" or --input input.json');
  let text = input.trim();
  if (!text.startsWith("[") && !text.startsWith("{")) {
    const file = path.resolve(input);
    try {
      await stat(file);
    } catch {
      throw new TaskInputError(`--input is neither JSON nor an existing file: ${input}`);
    }
    if (!file.endsWith(".json")) return new Uint8Array(await readFile(file));
    text = (await readFile(file, "utf8")).trim();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TaskInputError(`--input is not valid JSON: ${(error as Error).message}`);
  }
  const toTensor = (value: unknown, index: number): TensorData => {
    if (Array.isArray(value) && value.every((v) => typeof v === "number" && Number.isFinite(v))) {
      return { dtype: DType.FLOAT, decimals: 0, shape: [1, value.length], data: value as number[] };
    }
    if (Array.isArray(value)) {
      const bad = value.find((v) => typeof v !== "number" || !Number.isFinite(v));
      throw new TaskInputError(
        `--input element ${JSON.stringify(bad)} is not a number: a flat array holds numbers only, e.g. [5.1, 3.5, 1.4, 0.2]`,
      );
    }
    const obj = value as { shape?: unknown; data?: unknown; dtype?: unknown };
    if (obj === null || typeof obj !== "object" || !Array.isArray(obj.shape) || !Array.isArray(obj.data)) {
      throw new TaskInputError(
        'each input tensor needs "shape" and "data" arrays, e.g. {"shape":[1,4],"data":[1,2,3,4],"dtype":"float32"}',
      );
    }
    const dtypeName = typeof obj.dtype === "string" ? obj.dtype : "float32";
    const dtype = parseDType(dtypeName);
    if (dtype === undefined || dtype === DType.FIXED64) {
      throw new TaskInputError(
        `input ${index}: unknown dtype "${dtypeName}": use one of ${DTYPE_VOCABULARY.filter((d) => d !== "fixed64").join(", ")}`,
      );
    }
    const shape = obj.shape as unknown[];
    if (!shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new TaskInputError(
        `input ${index}: "shape" must hold whole numbers, e.g. [1, 4] (got ${JSON.stringify(shape)})`,
      );
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (obj.data.length !== size) {
      throw new TaskInputError(
        `input ${index}: shape [${shape.join(", ")}] holds ${size} values, "data" has ${obj.data.length}`,
      );
    }
    const isBool = dtype === DType.BOOL;
    const isFloat = dtype === DType.FLOAT || dtype === DType.DOUBLE;
    const bad = obj.data.find((v) =>
      isBool
        ? typeof v !== "boolean"
        : typeof v !== "number" || !Number.isFinite(v) || (!isFloat && !Number.isSafeInteger(v)),
    );
    if (bad !== undefined) {
      const want = isBool ? "true/false values" : isFloat ? "numbers" : "whole numbers";
      throw new TaskInputError(
        `input ${index}: ${dtypeLabel(dtype)} "data" must hold ${want} (got ${JSON.stringify(bad)})`,
      );
    }
    return { dtype, decimals: 0, shape: shape as number[], data: obj.data as number[] };
  };
  const tensors =
    Array.isArray(parsed) && parsed.length > 0 && typeof parsed[0] === "object"
      ? parsed.map(toTensor)
      : [toTensor(parsed, 0)];
  try {
    return encodeTensors(tensors);
  } catch (error) {
    throw new TaskInputError(`--input cannot be encoded: ${(error as Error).message}`);
  }
}

const ORDER: StageName[] = ["requested", "assigned", "computed", "verified", "settled"];

/** Decodes `input` and checks it against model `modelId`'s registered schema (fetched once, then cached). */
async function checkAgainstModel(
  contracts: TaskContext["contracts"],
  modelId: bigint,
  input: Uint8Array,
  root: string,
  hre: HardhatRuntimeEnvironment,
  args: { deployment: string },
): Promise<void> {
  const model = await contracts.registry.getModel(modelId);
  if (Number(model.kind) !== 0) return; // language models take token ids: checked by the chat client
  let schema;
  try {
    const progress = progressLine();
    let downloading = false;
    schema = await registeredSchema(model, {
      cacheDir: path.join(root, ".opg", "models"),
      baseDir: root,
      onDownload: (uri, received, total) => {
        downloading = true;
        progress.update(`fetching model #${modelId} from ${uri} to check the input: ${formatBytes(received, total)}`);
      },
    });
    if (downloading) progress.done(`fetched model #${modelId} (verified, cached for the next requests)`);
  } catch (error) {
    throw new TaskInputError(
      `cannot check the input against model #${modelId}: ${describeError(error)} — ` +
        "pass --skip-input-check to send it unchecked (a wrong input is paid for and answered with an error result)",
    );
  }
  let tensors;
  try {
    tensors = decodeTensors(input);
  } catch (error) {
    throw new TaskInputError(`the input is not in the canonical tensor encoding: ${(error as Error).message}`);
  }
  const mismatch = checkInputs(schema.inputs, tensors);
  if (mismatch !== null) {
    throw new TaskInputError(
      `model #${modelId} does not take this input: ${mismatch}; it takes ${formatSignature(schema.inputs)} ` +
        `(see \`${commandHint(hre, `model:show --id ${modelId}`, args)}\`). Nothing was sent.`,
    );
  }
}

export async function inferAction(
  args: Base & {
    skipInputCheck: boolean;
    model: string;
    input: string;
    wait: boolean;
    json: boolean;
    timeout: number;
    store: string;
    viaStore: boolean;
    localFile: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  // With --json, stdout carries the JSON record only: progress goes to stderr.
  const say = args.json ? console.error : console.log;
  const modelId = parseId(args.model, "--model", `see \`${commandHint(hre, "model:list", args)}\``);
  if (args.viaStore && args.localFile) throw new TaskInputError("--via-store and --local-file exclude each other");
  const input = await parseInput(args.input);
  const ctx = await openProtocol(hre, args);
  const { addresses, signer, contracts, root } = ctx;
  const count = await contracts.registry.modelCount();
  if (modelId > count) {
    throw new TaskInputError(
      `model #${modelId} does not exist (${count} registered): see \`${commandHint(hre, "model:list", args)}\``,
    );
  }
  // Refuse locally, before anything is paid, an input the model's declared inputs do not take.
  if (!args.skipInputCheck) await checkAgainstModel(contracts, modelId, input, root, hre, args);
  // Inputs above the hub's inline limit go to the input store (--store, else OPG_STORE_URL) and by its URI.
  const storeUrl = args.store !== "" ? args.store : (process.env.OPG_STORE_URL ?? "");
  const client = new OpgClient(addresses, signer, { storeUrl: storeUrl === "" ? undefined : storeUrl });
  let payload: InferenceInput = input;
  if (args.localFile) {
    // Asked for explicitly: a file: URI only workers on this machine can read.
    const hash = ethers.keccak256(input);
    const file = path.join(root, ".opg", "inputs", `${hash.slice(2)}.bin`);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, input);
    payload = { uri: `file://${file}`, hash };
    say(`input is ${input.length} bytes: passing it by ${payload.uri} (only workers on this machine can read it)`);
  }
  const started = Date.now();
  const { requestId, txHash, inputUri } = await funds(
    sending(ctx, () => client.request(modelId, payload, { autoDeposit: true, viaStore: args.viaStore })),
  );
  if (inputUri !== null && !args.localFile) say(`input is ${input.length} bytes: stored at ${inputUri}`);
  say(`request #${requestId} sent (tx ${txHash}), fee ${formatOpg(await client.quote(modelId))}`);
  if (!args.wait) {
    say(`follow it with: ${commandHint(hre, `request:status --id ${requestId}`, args)}`);
    return;
  }
  const record = await friendly(
    client.wait(requestId, { timeoutSeconds: args.timeout, ...progressReporter(say, started) }),
  );
  printRecord(record, args.json);
}

/**
 * What `infer --wait` and `generate --wait` print while a request moves: each stage as it happens, and between the
 * stages reassignments, declines, challenges, juries and appeals with their reasons, and what a long wait waits for.
 */
export function progressReporter(
  say: (line: string) => void,
  started: number,
): { onRecord: (record: InferenceRecord) => void; onStage: (stage: Stage) => void } {
  const seen = { failed: 0, disputed: false, rounds: 0, challengers: 0 };
  let lastNews = Date.now();
  return {
    // What happens between the stages, with its reason: reassignments, declines, challenges, juries, appeals.
    onRecord: (r: InferenceRecord) => {
      // A long wait between stages: say what the request waits for and until when.
      if (Date.now() - lastNews > 10_000 && r.deadlines.length > 0) {
        const d = r.deadlines[0]!;
        const left = d.at - r.chainTime;
        say(`        waiting: ${d.label} ${left >= 0n ? `in ${left} s` : `(${-left} s ago, the next step is due)`}`);
        lastNews = Date.now();
      }
      for (const f of r.failedAssignments.slice(seen.failed)) {
        say(
          f.kind === "declined"
            ? `        worker ${f.worker} declined (${f.detail}): the request goes to another worker`
            : `        worker ${f.worker} missed its deadline (${f.detail}): the request goes to another worker`,
        );
      }
      seen.failed = r.failedAssignments.length;
      const d = r.dispute;
      if (d === null) return;
      if (!seen.disputed) {
        say(
          r.mode === "COMMITTEE"
            ? `        committee did not agree with the worker: escalated to the court`
            : `        challenged by ${d.challenger}: the court decides`,
        );
        seen.disputed = true;
        seen.challengers = 1;
      }
      for (const c of d.challengers.slice(seen.challengers)) say(`        ${c} joined the challenge`);
      seen.challengers = Math.max(seen.challengers, d.challengers.length);
      for (const round of d.rounds.slice(seen.rounds)) {
        say(
          `        ${round.round > 1 ? "appeal: " : ""}jury of ${round.seats.length} seats drawn (round ${round.round})`,
        );
      }
      seen.rounds = d.rounds.length;
    },
    onStage: (stage: Stage) => {
      lastNews = Date.now();
      const step = ORDER.indexOf(stage.name) + 1;
      const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
      say(`  [${step}/5] ${stage.name.padEnd(9)} ${seconds} s  ${stage.detail}  (tx ${stage.txHash.slice(0, 10)}…)`);
    },
  };
}

export async function statusAction(
  args: { deployment: string; id: string; json: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  const id = parseId(args.id, "--id", "request ids are printed by `infer`");
  const { addresses, signer } = await openProtocol(hre, { deployment: args.deployment });
  printRecord(await friendly(new OpgClient(addresses, signer).status(id)), args.json);
}

/** The client's typed errors carry operator-facing messages: show them without a stack trace. */
export async function friendly<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (
      error instanceof RequestNotFoundError ||
      error instanceof InferenceTimeoutError ||
      error instanceof InsufficientFundsError
    ) {
      throw new TaskInputError(error.message);
    }
    throw error;
  }
}

export function printRecord(record: InferenceRecord, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(record, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    return;
  }
  console.log(`\nrequest #${record.requestId}  model #${record.modelId}  mode ${record.mode}  status ${record.status}`);
  console.log(`  requester ${record.requester}`);
  if (record.worker !== null) console.log(`  worker    ${record.worker}`);
  for (const stage of record.stages)
    console.log(`  ${stage.name.padEnd(9)} block ${stage.blockNumber}  tx ${stage.txHash}  ${stage.detail}`);
  if (record.output !== null) {
    if (record.output.isError)
      console.log(
        `  output    error result ${record.output.errorCode ?? record.output.bytes}` +
          (record.output.errorDetail !== null ? `: ${record.output.errorDetail}` : ""),
      );
    else if (record.output.tensors !== null) {
      for (const [i, t] of record.output.tensors.entries()) {
        const scale = 10 ** t.decimals;
        const values = (t.data as Array<bigint | number | boolean>).map((v) =>
          typeof v === "bigint" && t.decimals > 0 ? (Number(v) / scale).toString() : String(v),
        );
        console.log(
          `  output[${i}] shape [${t.shape.join(", ")}]  ${values.slice(0, 16).join(", ")}${values.length > 16 ? ", …" : ""}`,
        );
      }
    }
    console.log(`  resultHash ${record.resultHash}`);
  }
  for (const f of record.failedAssignments) {
    console.log(`  ${f.kind === "declined" ? "declined " : "timed out"} ${f.worker} (${f.detail})`);
  }
  if (record.committee.length > 0) {
    console.log(`  committee ${record.committee.length} seats: ${uniqueSeats(record.committee)}`);
  }
  for (const a of record.attestations) {
    console.log(
      `  attested  ${a.verifier} ${a.agree ? "agree" : "DISAGREE"} (${a.seats} seat${a.seats === 1 ? "" : "s"})`,
    );
  }
  if (record.dispute !== null) {
    const d = record.dispute;
    console.log(`  dispute   ${d.outcome}; challengers ${d.challengers.join(", ") || "-"}`);
    for (const round of d.rounds) {
      console.log(`    round ${round.round}: jury of ${round.seats.length} seats: ${uniqueSeats(round.seats)}`);
      for (const v of round.votes) {
        console.log(
          `      vote  ${v.juror} ${v.upholdWorker ? "uphold" : "reject"} (${v.seats} seat${v.seats === 1 ? "" : "s"})`,
        );
      }
    }
  }
  for (const d of record.deadlines) {
    const left = d.at - record.chainTime;
    const when = left >= 0n ? `in ${left} s` : `${-left} s ago: due, any node or keeper performs the next step`;
    console.log(`  window    ${d.label} ${new Date(Number(d.at) * 1000).toISOString()} (${when})`);
  }
  const s = record.settlement;
  if (s?.kind === "finalized") {
    console.log(`  fee split royalty ${formatOpg(s.royalty)} → ${s.royaltyRecipient}`);
    console.log(
      `            worker ${formatOpg(s.workerPay)}, verifiers ${formatOpg(s.verifierPay)}, treasury ${formatOpg(s.treasuryPay)}`,
    );
  } else if (s?.kind === "refunded") {
    console.log(`  refunded  ${formatOpg(s.amount)} (${s.reason})`);
  }
}

/** "0xabc… ×2, 0xdef…" for a panel given one entry per seat. */
function uniqueSeats(seats: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const seat of seats) counts.set(seat, (counts.get(seat) ?? 0) + 1);
  return [...counts].map(([a, n]) => (n > 1 ? `${a} ×${n}` : a)).join(", ");
}
