/**
 * Trains a byte-level BPE tokenizer (the GPT-2 / SmolLM kind) and writes it as a Hugging Face `tokenizer.json`.
 *
 * Pre-tokenization is `@huggingface/tokenizers`' own `ByteLevel` pre-tokenizer (`./tokenizer.ts`: the GPT-2 split pattern, bytes
 * mapped to printable characters, a space kept at the front of the word that follows it), so the words counted here
 * are exactly the words the library later encodes. The vocabulary is the 256 byte symbols (ids 0–255, in byte
 * order, so any UTF-8 text can be encoded without an unknown token), then the token each merge makes, in merge
 * order (a merge that spells an existing token adds none), then the special tokens. Training is deterministic: the most frequent pair is merged first, ties go to the
 * lexicographically smallest pair (compared as strings of the byte symbols).
 */
import { byteLevelWords } from "./tokenizer.js";

// ------------------------------------------------------------------------------------------------ types

/** The parts of a Hugging Face `tokenizer.json` this project writes (and reads back through the library). */
export interface TokenizerJson {
  version: "1.0";
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }>;
  normalizer: null;
  pre_tokenizer: { type: "ByteLevel"; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  post_processor: { type: "ByteLevel"; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  decoder: { type: "ByteLevel"; add_prefix_space: boolean; trim_offsets: boolean; use_regex: boolean };
  model: {
    type: "BPE";
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: string[];
  };
}

export interface BpeTrainOptions {
  /** Size of the whole vocabulary: 256 byte symbols + merges + special tokens. */
  vocabSize: number;
  /** Special tokens, appended after the merges in this order (e.g. `["<|endoftext|>"]`). */
  specialTokens: readonly string[];
  /** Called every 100 merges and at the end. */
  onProgress?: (merges: number, total: number) => void;
}

/** The options cannot produce a tokenizer; the message says which. */
export class BpeTrainingError extends Error {
  override readonly name = "BpeTrainingError";
}

// ------------------------------------------------------------------------------------------------ constants

/** Byte symbols at the start of every byte-level vocabulary. */
export const BYTE_SYMBOLS = 256;

const BYTE_LEVEL = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true } as const;

// ------------------------------------------------------------------------------------------------ public API

/** The 256 byte symbols of GPT-2's byte-level alphabet, indexed by byte value (e.g. `[32]` is `"Ġ"`). */
export function byteSymbols(): string[] {
  const printable = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const symbols: string[] = new Array<string>(BYTE_SYMBOLS);
  let next = 0;
  for (let b = 0; b < BYTE_SYMBOLS; b++) {
    symbols[b] = String.fromCharCode(printable.includes(b) ? b : BYTE_SYMBOLS + next++);
  }
  return symbols;
}

/**
 * Learns `vocabSize − 256 − specialTokens.length` merges from `texts` and returns the tokenizer.
 * @throws {BpeTrainingError} for a vocabulary too small for the byte symbols and special tokens, or a corpus
 *   that runs out of pairs to merge before the vocabulary is full.
 */
export function trainBpe(texts: Iterable<string>, options: BpeTrainOptions): TokenizerJson {
  const mergeCount = options.vocabSize - BYTE_SYMBOLS - options.specialTokens.length;
  if (!Number.isSafeInteger(options.vocabSize) || mergeCount < 0) {
    throw new BpeTrainingError(
      `vocabSize ${options.vocabSize} leaves no room for the ${BYTE_SYMBOLS} byte symbols and ` +
        `${options.specialTokens.length} special token(s); use at least ${BYTE_SYMBOLS + options.specialTokens.length}.`,
    );
  }
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    for (const word of byteLevelWords(text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  // Words in a fixed order, so pair bookkeeping (and so the result) never depends on insertion order.
  const words = [...wordCounts.keys()].sort();
  const freq = words.map((w) => wordCounts.get(w) as number);
  const symbols = words.map((w) => Array.from(w));

  const pairCounts = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (w: number, sign: 1 | -1): void => {
    const s = symbols[w] as string[];
    const f = (freq[w] as number) * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = `${s[i]} ${s[i + 1]}`;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + f);
      if (sign === 1) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  for (let w = 0; w < words.length; w++) addPairs(w, 1);

  const merges: string[] = [];
  // Token strings made so far; two merges can spell the same string ("a"+"bc", "ab"+"c"): it keeps its first id.
  const tokens = new Set(byteSymbols());
  while (tokens.size < BYTE_SYMBOLS + mergeCount) {
    let best: string | null = null;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && count > 0 && best !== null && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null || bestCount <= 0) {
      throw new BpeTrainingError(
        `the corpus has no pair left to merge after ${merges.length} merges; lower vocabSize to at most ` +
          `${tokens.size + options.specialTokens.length}.`,
      );
    }
    merges.push(best);
    const [left, right] = best.split(" ") as [string, string];
    const merged = left + right;
    tokens.add(merged);
    for (const w of pairWords.get(best) ?? []) {
      addPairs(w, -1);
      const s = symbols[w] as string[];
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === left && s[i + 1] === right) {
          out.push(merged);
          i++;
        } else {
          out.push(s[i] as string);
        }
      }
      symbols[w] = out;
      addPairs(w, 1);
    }
    pairCounts.delete(best);
    pairWords.delete(best);
    const made = tokens.size - BYTE_SYMBOLS;
    if (made % 100 === 0 || made === mergeCount) options.onProgress?.(made, mergeCount);
  }

  const vocab: Record<string, number> = {};
  let id = 0;
  for (const token of tokens) vocab[token] = id++;
  const firstSpecial = tokens.size;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: options.specialTokens.map((content, i) => ({
      id: firstSpecial + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { ...BYTE_LEVEL },
    post_processor: { ...BYTE_LEVEL },
    decoder: { ...BYTE_LEVEL },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

// ------------------------------------------------------------------------------------------------ internals

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
