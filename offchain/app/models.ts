/**
 * The registry's models as the web app and the API show them: one JSON-friendly summary per model (bigints as
 * decimal strings), read with a short cache so page loads do not each scan the registry.
 */
import type { IModelRegistry } from "../../typechain-types/index.js";

export const MODEL_KINDS = ["TENSOR", "CAUSAL_LM"] as const;
export const MODEL_MODES = ["NONE", "OPTIMISTIC", "COMMITTEE"] as const;

export interface ModelSummary {
  id: string;
  kind: (typeof MODEL_KINDS)[number];
  mode: (typeof MODEL_MODES)[number];
  /** Model fee in wei. */
  fee: string;
  active: boolean;
  suspended: boolean;
  owner: string;
  contentHash: string;
  uri: string;
  tokenizerHash: string;
  tokenizerUri: string;
  contextLength: number;
  eosTokenId: number;
  outputDecimals: number;
  tolerance: string;
}

export async function readModels(registry: IModelRegistry): Promise<ModelSummary[]> {
  const count = Number(await registry.modelCount());
  const ids = Array.from({ length: count }, (_, i) => BigInt(i + 1));
  const models = await Promise.all(ids.map((id) => registry.getModel(id)));
  return models.map((m, i) => ({
    id: String(ids[i]),
    kind: MODEL_KINDS[Number(m.kind)] ?? "TENSOR",
    mode: MODEL_MODES[Number(m.mode)] ?? "NONE",
    fee: m.fee.toString(),
    active: m.active,
    suspended: m.suspended,
    owner: m.owner,
    contentHash: m.contentHash,
    uri: m.uri,
    tokenizerHash: m.tokenizerHash,
    tokenizerUri: m.tokenizerUri,
    contextLength: Number(m.contextLength),
    eosTokenId: Number(m.eosTokenId),
    outputDecimals: Number(m.outputDecimals),
    tolerance: m.tolerance.toString(),
  }));
}

/** `readModels` cached for `ttlMs` (a model registered since shows within that time). */
export function cachedModels(registry: IModelRegistry, ttlMs = 5_000): () => Promise<ModelSummary[]> {
  let cached: { at: number; models: Promise<ModelSummary[]> } | undefined;
  return () => {
    if (cached === undefined || Date.now() - cached.at > ttlMs) {
      const models = readModels(registry);
      models.catch(() => (cached = undefined));
      cached = { at: Date.now(), models };
    }
    return cached.models;
  };
}
