/**
 * The input/output schema a model declares, and its digest registered on-chain (`schemaDigest`): keccak256 of a
 * canonical JSON of the graph's inputs and outputs (names, canonical dtype codes, dimensions with symbolic ones as
 * strings), so clients can check which interface a model id stands for without fetching the file.
 */
import { ethers } from "ethers";

import type { LoadedModel, TensorSpec } from "./runtime.js";

export interface ModelSchema {
  inputs: Array<{ name: string; dtype: number; shape: Array<number | string> }>;
  outputs: Array<{ name: string; dtype: number; shape: Array<number | string> }>;
}

const spec = (t: TensorSpec) => ({ name: t.name, dtype: t.dtype as number, shape: [...t.shape] });

export function modelSchema(model: LoadedModel): ModelSchema {
  return { inputs: model.inputs.map(spec), outputs: model.outputs.map(spec) };
}

/** Canonical JSON: fixed key order (name, dtype, shape), no whitespace. */
export function schemaDigest(schema: ModelSchema): string {
  return ethers.keccak256(ethers.toUtf8Bytes(JSON.stringify(schema)));
}
