/**
 * The language model shipped in the repository (`models/lm/`, made by `npm run models:train-lm`): where its files
 * are and how to read them with their integrity checked against `model.json`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

// A type-only import: reading the shipped files must not load tfjs (build.ts trains).
import type { LanguageModelCard } from "./build.js";

// ------------------------------------------------------------------------------------------------ types

export interface ShippedLanguageModel {
  card: LanguageModelCard;
  /** `model.onnx`: the decoder with a key/value cache (the file to register). */
  model: Uint8Array;
  /** `model-no-cache.onnx`: the same weights, `input_ids` + `attention_mask` → `logits`. */
  modelNoCache: Uint8Array;
  /** `tokenizer.json` bytes (register their sha256 as the tokenizer hash). */
  tokenizer: Uint8Array;
}

/** A shipped file is missing or does not match `model.json`. */
export class ShippedModelError extends Error {
  override readonly name = "ShippedModelError";
}

// ------------------------------------------------------------------------------------------------ constants

/** `models/lm/` of this checkout. */
export const SHIPPED_LM_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../models/lm");

// ------------------------------------------------------------------------------------------------ public API

/**
 * Reads the shipped model files from `dir` (default {@link SHIPPED_LM_DIR}) and checks each against the sha256 in
 * `model.json`.
 * @throws {ShippedModelError} when a file is missing or its sha256 differs.
 */
export async function readShippedLanguageModel(dir: string = SHIPPED_LM_DIR): Promise<ShippedLanguageModel> {
  const read = async (name: string): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await readFile(path.join(dir, name)));
    } catch (error) {
      throw new ShippedModelError(
        `${path.join(dir, name)} cannot be read; restore models/lm/ from git or run npm run models:train-lm.`,
        { cause: error },
      );
    }
  };
  const card = JSON.parse(new TextDecoder().decode(await read("model.json"))) as LanguageModelCard;
  const checked = async (entry: { file: string; sha256: string }): Promise<Uint8Array> => {
    const bytes = await read(entry.file);
    const actual = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    if (actual !== entry.sha256) {
      throw new ShippedModelError(
        `${entry.file} has sha256 ${actual}, model.json says ${entry.sha256}; restore the file from git.`,
      );
    }
    return bytes;
  };
  return {
    card,
    model: await checked(card.files.model),
    modelNoCache: await checked(card.files.modelNoCache),
    tokenizer: await checked(card.files.tokenizer),
  };
}

/**
 * How the shipped model is registered on the local networks: logits to 4 decimals, and honest nodes may differ by
 * 10 units (1e-3) per logit — about 70 times the largest difference measured between onnxruntime thread counts, cache
 * and no cache, and tfjs (1.4e-5, docs/MODELS.md), and far below the logit gaps a different model produces.
 */
export const SHIPPED_LM_REGISTRATION = { outputDecimals: 4, tolerance: 10n } as const;
