/**
 * The Node tokenizer source of `OpgClient`: fetches a registered `tokenizer.json` by its URI (file, http(s), ipfs)
 * through the model store, which refuses bytes whose sha256 differs and caches verified files by hash.
 */
import os from "node:os";
import path from "node:path";

import { ModelStore } from "../model/store.js";
import type { TokenizerSource } from "./generation.js";

export function storeTokenizerSource(
  options: { cacheDir?: string; baseDir?: string; ipfsGateway?: string } = {},
): TokenizerSource {
  const store = new ModelStore({
    cacheDir: options.cacheDir ?? path.join(os.tmpdir(), "opg-client-tokenizers"),
    baseDir: options.baseDir,
    ipfsGateway: options.ipfsGateway,
  });
  return async (uri, sha256) => (await store.get(uri, sha256)).bytes;
}
