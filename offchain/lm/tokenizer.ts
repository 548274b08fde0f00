/**
 * Text ↔ token ids through a Hugging Face `tokenizer.json`, with `@huggingface/tokenizers` (pure JS, the tokenizer
 * library of transformers.js). This is the only module that touches the library: the language model's own
 * tokenizer (`./bpe.ts`) and any tokenizer exported with a Hugging Face model (GPT-2, SmolLM, …) load the same way.
 *
 * `encode` adds no special tokens and `decode` does not "clean up" spaces, so for a tokenizer with a byte-level
 * decoder `decode(encode(text)) === text` for every text.
 */
import * as tokenizers from "@huggingface/tokenizers";

// ------------------------------------------------------------------------------------------------ types

/** The parts of the library's `Tokenizer` used here (its bundled type declarations do not resolve under node16). */
interface HfTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
  decode(ids: number[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
  get_vocab(withAddedTokens: boolean): Map<string, number>;
  token_to_id(token: string): number | undefined;
}

interface HfLibrary {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => HfTokenizer;
  ByteLevelPreTokenizer: new (config: object) => { pre_tokenize_text(text: string): string[] };
}

export interface LmTokenizerOptions {
  /**
   * The end-of-sequence token's text. Default: the first of {@link EOS_CANDIDATES} that the tokenizer has as an
   * added token.
   */
  eosToken?: string;
}

/** The tokenizer file cannot be used; the message says why and what to do. */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
}

// ------------------------------------------------------------------------------------------------ constants

/** End-of-sequence tokens of common model families, tried in this order when none is named. */
export const EOS_CANDIDATES = ["<|endoftext|>", "</s>", "<|im_end|>", "<eos>", "<|end_of_text|>"] as const;

const library = tokenizers as unknown as HfLibrary;

// ------------------------------------------------------------------------------------------------ tokenizer

/** A loaded tokenizer: text to ids and back, vocabulary size, end-of-sequence id. */
export class LmTokenizer {
  /** Ids are `0 … vocabSize−1` (the largest id, added tokens included, plus one). */
  readonly vocabSize: number;
  /** Text of the end-of-sequence token. */
  readonly eosToken: string;
  readonly eosTokenId: number;
  readonly #tokenizer: HfTokenizer;

  private constructor(tokenizer: HfTokenizer, options: LmTokenizerOptions) {
    this.#tokenizer = tokenizer;
    const vocab = tokenizer.get_vocab(true);
    let largest = -1;
    for (const id of vocab.values()) largest = Math.max(largest, id);
    if (largest < 0) throw new TokenizerError("the tokenizer has an empty vocabulary; check the tokenizer.json file.");
    this.vocabSize = largest + 1;
    const eos = options.eosToken ?? EOS_CANDIDATES.find((t) => tokenizer.token_to_id(t) !== undefined);
    const eosId = eos === undefined ? undefined : tokenizer.token_to_id(eos);
    if (eos === undefined || eosId === undefined) {
      throw new TokenizerError(
        options.eosToken !== undefined
          ? `the tokenizer has no token "${options.eosToken}"; pass the model's end-of-sequence token as eosToken.`
          : `the tokenizer has none of ${EOS_CANDIDATES.join(", ")}; pass the model's end-of-sequence token as eosToken.`,
      );
    }
    this.eosToken = eos;
    this.eosTokenId = eosId;
  }

  /**
   * Loads a `tokenizer.json` (its text, bytes or parsed object).
   * @throws {TokenizerError} for a file that is not JSON or that the library cannot build a tokenizer from.
   */
  static load(tokenizerJson: string | Uint8Array | object, options: LmTokenizerOptions = {}): LmTokenizer {
    let json: object;
    try {
      json =
        typeof tokenizerJson === "string"
          ? (JSON.parse(tokenizerJson) as object)
          : tokenizerJson instanceof Uint8Array
            ? (JSON.parse(new TextDecoder().decode(tokenizerJson)) as object)
            : tokenizerJson;
    } catch (error) {
      throw new TokenizerError(`tokenizer.json is not valid JSON (${(error as Error).message}).`, { cause: error });
    }
    let tokenizer: HfTokenizer;
    try {
      tokenizer = new library.Tokenizer(json, { clean_up_tokenization_spaces: false });
    } catch (error) {
      throw new TokenizerError(
        `@huggingface/tokenizers cannot load this tokenizer.json (${(error as Error).message}); ` +
          "use the tokenizer.json saved with the model (tokenizer.save_pretrained).",
        { cause: error },
      );
    }
    return new LmTokenizer(tokenizer, options);
  }

  /** Token ids of `text`, without added special tokens (text that spells a special token still maps to it). */
  encode(text: string): number[] {
    return text.length === 0 ? [] : this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** The text of `ids`, special tokens included as their text, spaces as they are. `[]` gives `""`. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.#tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }
}

/** Splits `text` into words as the GPT-2 byte-level pre-tokenizer does (for training a byte-level BPE). */
export function byteLevelWords(text: string): string[] {
  return new library.ByteLevelPreTokenizer({
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  }).pre_tokenize_text(text);
}
