/** Model tasks: register an ONNX file (hash and schema read from it), list, show. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { ethers } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Decoder, DecoderLoadError } from "../../offchain/lm/decoder.js";
import { TokenizerError } from "../../offchain/lm/tokenizer.js";
import { OnnxParseError, UnsupportedModelError, assertServable, inspectOnnx } from "../../offchain/model/inspect.js";
import { ModelLoadError, ModelRuntime } from "../../offchain/model/runtime.js";
import { modelSchema, schemaDigest } from "../../offchain/model/schema.js";
import { ModelStore, ModelStoreError, sha256Hex } from "../../offchain/model/store.js";
import { registeredSchema } from "../../offchain/client/modelSchema.js";
import { dtypeLabel } from "../../offchain/codec/tensor.js";
import { formatShape } from "../../offchain/model/inputCheck.js";
import type { ModelSchema } from "../../offchain/model/schema.js";
import { TaskInputError, commandHint, formatOpg, openProtocol, parseId, parseOpg, sendAndReport } from "./context.js";
import { describeError } from "./errors.js";
import { formatBytes, progressLine } from "./progress.js";

const MODES: Record<string, number> = { none: 0, optimistic: 1, committee: 2 };
const MODE_NAMES = ["NONE", "OPTIMISTIC", "COMMITTEE"];
const KIND_NAMES = ["TENSOR", "CAUSAL_LM"];
/** `IModelRegistry.ModelKind.TENSOR`. */
const MODEL_KIND_TENSOR = 0;
const MODEL_KIND_CAUSAL_LM = 1;

interface RegisterArgs {
  deployment: string;
  account: string;
  file: string;
  uri: string;
  fee: string;
  mode: string;
  decimals: number;
  tolerance: string;
  royaltyBps: number;
  noFetchCheck: boolean;
  tokenizer: string;
  tokenizerUri: string;
  context: number;
}

/** A decoder's registration fields, read from its files and checked by loading them as the nodes will. */
interface LanguageModelFields {
  tokenizerHash: string;
  tokenizerUri: string;
  contextLength: number;
  eosTokenId: number;
  vocabSize: number;
  layers: number | null;
}

async function languageModelFields(bytes: Uint8Array, file: string, args: RegisterArgs): Promise<LanguageModelFields> {
  if (args.tokenizer === "") {
    throw new TaskInputError(
      `${file} is a causal language model: pass its tokenizer with --tokenizer <tokenizer.json> (and --tokenizer-uri where workers fetch it)`,
    );
  }
  const tokenizerFile = path.resolve(args.tokenizer);
  const tokenizer = new Uint8Array(
    await readFile(tokenizerFile).catch(() => {
      throw new TaskInputError(`cannot read --tokenizer ${tokenizerFile}`);
    }),
  );
  let decoder: Decoder;
  try {
    decoder = await Decoder.load({
      model: bytes,
      tokenizer,
      contextLength: args.context > 0 ? args.context : undefined,
    });
  } catch (error) {
    if (error instanceof DecoderLoadError || error instanceof TokenizerError) {
      throw new TaskInputError(`${file} with ${tokenizerFile} cannot be served: ${error.message}`);
    }
    throw error;
  }
  const fields = {
    tokenizerHash: `0x${sha256Hex(tokenizer)}`,
    tokenizerUri: args.tokenizerUri !== "" ? args.tokenizerUri : `file://${tokenizerFile}`,
    contextLength: decoder.contextLength,
    eosTokenId: decoder.eosTokenId,
    vocabSize: decoder.vocabSize,
    layers: inspectOnnx(bytes).decoder?.layers ?? null,
  };
  await decoder.close();
  return fields;
}

/** Workers fetch the model from `uri` and verify its hash: do the same once before registering it. */
async function checkFetchable(uri: string, contentHash: string, root: string): Promise<void> {
  // An empty cache of its own: a copy cached earlier must not stand in for the URI.
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), "opg-fetch-check-"));
  const progress = progressLine();
  let downloading = false;
  const store = new ModelStore({
    cacheDir,
    baseDir: root,
    timeoutMs: 30_000,
    onDownload: (_uri, received, total) => {
      downloading = true;
      progress.update(`fetching ${uri} as workers will: ${formatBytes(received, total)}`);
    },
  });
  try {
    await store.get(uri, contentHash);
    if (downloading) progress.done(`fetched ${uri}: its sha256 matches the file`);
  } catch (error) {
    if (!(error instanceof ModelStoreError)) throw error;
    throw new TaskInputError(
      `workers could not obtain the model from ${uri}: ${error.message.split(". ")[0]} — fix --uri, or pass ` +
        "--no-fetch-check if workers reach it from where this machine cannot",
    );
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Inputs and outputs in the project's dtype vocabulary. */
function printSchema(schema: ModelSchema): void {
  for (const t of schema.inputs)
    console.log(`  input  ${t.name.padEnd(12)} ${dtypeLabel(t.dtype).padEnd(8)} [${formatShape(t.shape)}]`);
  for (const t of schema.outputs)
    console.log(`  output ${t.name.padEnd(12)} ${dtypeLabel(t.dtype).padEnd(8)} [${formatShape(t.shape)}]`);
}

export async function registerAction(args: RegisterArgs, hre: HardhatRuntimeEnvironment) {
  if (args.file === "") throw new TaskInputError("--file <model.onnx> is required");
  const mode = MODES[args.mode.toLowerCase()];
  if (mode === undefined) throw new TaskInputError(`--mode must be none, optimistic or committee (got "${args.mode}")`);
  const file = path.resolve(args.file);
  const bytes = new Uint8Array(
    await readFile(file).catch(() => {
      throw new TaskInputError(`cannot read --file ${file}`);
    }),
  );
  const contentHash = `0x${sha256Hex(bytes)}`;
  // Refuse what the runtime cannot serve, before anyone pays for it.
  let schema: ModelSchema | null = null;
  let lm: LanguageModelFields | null = null;
  const runtime = new ModelRuntime();
  try {
    const info = inspectOnnx(bytes);
    assertServable(info);
    if (info.decoder !== null) lm = await languageModelFields(bytes, file, args);
    else schema = modelSchema(await runtime.load(contentHash, bytes));
  } catch (error) {
    if (error instanceof UnsupportedModelError || error instanceof OnnxParseError || error instanceof ModelLoadError) {
      throw new TaskInputError(`${file} cannot be registered: ${error.message}`);
    }
    throw error;
  } finally {
    await runtime.close();
  }
  if (lm === null && args.tokenizer !== "") {
    throw new TaskInputError(`${file} is a tensor model, not a language model: drop --tokenizer`);
  }
  // Logits need fewer decimals than class scores: 4 by default (honest nodes differ by ~1e-5, docs/MODELS.md).
  const decimals = args.decimals >= 0 ? args.decimals : lm !== null ? 4 : 6;
  const { contracts, signer, root } = await openProtocol(hre, args);
  const [, enabled] = await contracts.hub.moduleOf(mode);
  if (!enabled) {
    throw new TaskInputError(`mode ${args.mode} is not enabled in this hub: requests to the model would be refused`);
  }
  if (!/^\d+$/.test(args.tolerance)) {
    throw new TaskInputError(`--tolerance must be a whole number of 10^-decimals units (got "${args.tolerance}")`);
  }
  const tolerance = BigInt(args.tolerance);
  // What the registry would refuse, refused here before anything is sent.
  const fee = parseOpg(args.fee, "--fee");
  const minFee = await contracts.registry.minFee();
  if (fee < minFee) {
    throw new TaskInputError(
      `--fee ${args.fee} OPG is below the registry's minimum of ${formatOpg(minFee)}: raise --fee`,
    );
  }
  const uri = args.uri !== "" ? args.uri : `file://${file}`;
  if (!args.noFetchCheck) await checkFetchable(uri, contentHash, root);
  if (lm !== null && !args.noFetchCheck) await checkFetchable(lm.tokenizerUri, lm.tokenizerHash, root);
  const receipt = await sendAndReport("registerModel", contracts.registry, () =>
    contracts.registry.connect(signer).registerModel({
      contentHash,
      uri,
      fee,
      mode,
      outputDecimals: decimals,
      tolerance,
      royaltyRecipient: signer.address,
      royaltyBps: args.royaltyBps,
      // A tensor model commits to its input/output schema; a language model to its tokenizer, context and EOS.
      schemaDigest: schema !== null ? schemaDigest(schema) : ethers.ZeroHash,
      kind: lm !== null ? MODEL_KIND_CAUSAL_LM : MODEL_KIND_TENSOR,
      tokenizerHash: lm?.tokenizerHash ?? ethers.ZeroHash,
      tokenizerUri: lm?.tokenizerUri ?? "",
      contextLength: lm?.contextLength ?? 0,
      eosTokenId: lm?.eosTokenId ?? 0,
    }),
  );
  const event = receipt.logs
    .map((l) => contracts.registry.interface.parseLog(l))
    .find((e) => e?.name === "ModelRegistered");
  console.log(`model #${event?.args.modelId} registered: sha256 ${contentHash}`);
  if (schema !== null) printSchema(schema);
  if (lm !== null) {
    console.log(
      `  kind CAUSAL_LM  vocabulary ${lm.vocabSize}  context ${lm.contextLength}  eos ${lm.eosTokenId}` +
        `${lm.layers === null ? "" : `  layers ${lm.layers}`}  logit decimals ${decimals}`,
    );
    console.log(`  tokenizer sha256 ${lm.tokenizerHash} at ${lm.tokenizerUri}`);
    console.log(`  try it: ${commandHint(hre, `generate --model ${event?.args.modelId} --prompt "The" --wait`, args)}`);
  }
}

export async function listAction(args: { deployment: string }, hre: HardhatRuntimeEnvironment) {
  const { contracts } = await openProtocol(hre, args);
  const count = await contracts.registry.modelCount();
  if (count === 0n)
    return console.log("no models registered yet: use `npx hardhat model:register --file <model.onnx>`");
  console.log("id  mode        kind       fee           state      decimals  tolerance  uri");
  for (let id = 1n; id <= count; id++) {
    const m = await contracts.registry.getModel(id);
    console.log(
      `${String(id).padEnd(3)} ${MODE_NAMES[Number(m.mode)]?.padEnd(11)} ${(KIND_NAMES[Number(m.kind)] ?? "?").padEnd(10)} ${formatOpg(m.fee).padEnd(13)} ${modelState(m).padEnd(10)} ${String(m.outputDecimals).padEnd(9)} ${String(m.tolerance).padEnd(10)} ${m.uri}`,
    );
  }
}

export async function showAction(args: { deployment: string; id: string }, hre: HardhatRuntimeEnvironment) {
  const id = parseId(args.id, "--id", `see \`${commandHint(hre, "model:list", args)}\``);
  const { contracts, root } = await openProtocol(hre, args);
  const count = await contracts.registry.modelCount();
  if (id > count) {
    throw new TaskInputError(
      `model #${id} does not exist (${count} registered): see \`${commandHint(hre, "model:list", args)}\``,
    );
  }
  const m = await contracts.registry.getModel(id);
  const [modelFee, protocolFee] = await contracts.hub.quote(id);
  console.log(`model #${id}`);
  console.log(`  owner            ${m.owner}`);
  console.log(`  content sha256   ${m.contentHash}`);
  console.log(`  uri              ${m.uri}`);
  console.log(`  mode             ${MODE_NAMES[Number(m.mode)]}`);
  console.log(
    `  fee              ${formatOpg(m.fee)} (+ ${formatOpg(protocolFee)} protocol fee = ${formatOpg(modelFee + protocolFee)} per request)`,
  );
  console.log(`  royalty          ${Number(m.royaltyBps) / 100} % to ${m.royaltyRecipient}`);
  console.log(
    `  output decimals  ${m.outputDecimals}, tolerance ${m.tolerance} (= ${Number(m.tolerance) / 10 ** Number(m.outputDecimals)})`,
  );
  console.log(`  schema digest    ${m.schemaDigest}`);
  if (Number(m.kind) === MODEL_KIND_TENSOR) {
    try {
      printSchema(await registeredSchema(m, { cacheDir: path.join(root, ".opg", "models"), baseDir: root }));
    } catch (error) {
      console.log(`  inputs/outputs   unknown here: ${describeError(error)}`);
    }
  }
  console.log(`  kind             ${KIND_NAMES[Number(m.kind)] ?? m.kind}`);
  if (Number(m.kind) !== MODEL_KIND_TENSOR) {
    console.log(`  tokenizer        ${m.tokenizerHash} at ${m.tokenizerUri}`);
    console.log(`  context length   ${m.contextLength}, eos token ${m.eosTokenId}`);
  }
  console.log(`  state            ${modelState(m)} (decline epoch ${m.epoch})`);
  if (m.suspended) {
    console.log(
      "                   suspended after workers could not fetch it: the owner moves it (setUri) or resumes it",
    );
  }
}

/** active, inactive (owner's switch) or suspended (workers could not obtain the bytes). */
function modelState(m: { active: boolean; suspended: boolean }): string {
  if (!m.active) return "inactive";
  return m.suspended ? "suspended" : "active";
}

/** The owner lifts a suspension once the model's bytes can be fetched again (a new decline epoch starts). */
export async function resumeAction(
  args: { deployment: string; account: string; id: string; uri: string },
  hre: HardhatRuntimeEnvironment,
) {
  const id = parseId(args.id, "--id", `see \`${commandHint(hre, "model:list", args)}\``);
  const { contracts, signer } = await openProtocol(hre, args);
  const m = await contracts.registry.getModel(id);
  if (m.owner.toLowerCase() !== signer.address.toLowerCase()) {
    throw new TaskInputError(`model #${id} is owned by ${m.owner}: run this with --account of its owner`);
  }
  if (args.uri !== "") {
    await sendAndReport(`setUri #${id}`, contracts.registry, () =>
      contracts.registry.connect(signer).setUri(id, args.uri, m.tokenizerUri),
    );
  } else {
    if (!m.suspended) throw new TaskInputError(`model #${id} is not suspended`);
    await sendAndReport(`resume #${id}`, contracts.registry, () => contracts.registry.connect(signer).resume(id));
  }
}

export async function inspectAction(args: { file: string; json: boolean }) {
  if (args.file === "") throw new TaskInputError("--file <model.onnx> is required");
  const file = path.resolve(args.file);
  const bytes = new Uint8Array(
    await readFile(file).catch(() => {
      throw new TaskInputError(`cannot read --file ${file}`);
    }),
  );
  let info;
  try {
    info = inspectOnnx(bytes);
  } catch (error) {
    if (error instanceof OnnxParseError) throw new TaskInputError(`${file}: ${error.message}`);
    throw error;
  }
  let servable = "yes";
  try {
    assertServable(info);
  } catch (error) {
    if (!(error instanceof UnsupportedModelError)) throw error;
    servable = `no — ${error.message}`;
  }
  if (args.json) {
    console.log(JSON.stringify({ file, ...info, servable }, null, 2));
    return;
  }
  const fmt = (t: { name: string; elementType: string; shape: Array<number | string> }) =>
    `${t.name.padEnd(16)} ${t.elementType.toLowerCase().padEnd(8)} [${t.shape.join(", ")}]`;
  console.log(`file        ${file}`);
  console.log(`size        ${info.sizeBytes} bytes`);
  console.log(`sha256      ${info.sha256}`);
  console.log(
    `ir version  ${info.irVersion}, opsets ${info.opsets.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ")}`,
  );
  console.log(`producer    ${info.producer || "-"}`);
  const lm = info.decoder;
  console.log(`kind        ${lm === null ? "TENSOR" : lm.kind}`);
  if (lm !== null) {
    console.log(`vocabulary  ${lm.vocabSize ?? "not declared"}`);
    console.log(`context     ${lm.contextLength ?? "not declared (state it when registering)"}`);
    console.log(`layers      ${lm.layers ?? "not declared"} (${lm.hasCache ? "key/value cache" : "no cache"})`);
  }
  for (const t of info.inputs) console.log(`input       ${fmt(t)}`);
  for (const t of info.outputs) console.log(`output      ${fmt(t)}`);
  console.log(
    `weights     ${info.initializers} initializers${info.externalData.length > 0 ? `, external data: ${info.externalData.join(", ")}` : ""}`,
  );
  for (const [k, v] of Object.entries(info.metadata)) console.log(`metadata    ${k} = ${v}`);
  console.log(`servable    ${servable}`);
}
