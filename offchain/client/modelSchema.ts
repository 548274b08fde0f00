/**
 * A registered model's input/output schema, as a requester needs it to check an input before paying: read from the
 * model's own bytes (fetched from its URI and verified against its content hash, exactly as a worker does) and
 * checked against the schema digest registered on-chain. Cached per digest, so the file is fetched once.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

import { ModelRuntime } from "../model/runtime.js";
import { modelSchema, schemaDigest, type ModelSchema } from "../model/schema.js";
import { ModelStore } from "../model/store.js";

/** The registry fields the schema is derived from. */
export interface RegisteredModelRef {
  contentHash: string;
  uri: string;
  schemaDigest: string;
}

export interface SchemaSourceOptions {
  /** Verified model bytes and schemas are cached here (`<cacheDir>/schemas/<digest>.json`). */
  cacheDir: string;
  ipfsGateway?: string;
  baseDir?: string;
  /** Download progress of the model file (only when it is not cached yet). */
  onDownload?: (uri: string, received: number, total: number | null) => void;
}

/** The model's file does not declare the interface its registration claims. */
export class SchemaDigestMismatchError extends Error {
  override readonly name = "SchemaDigestMismatchError";

  constructor(uri: string, registered: string, actual: string) {
    super(
      `the file at ${uri} declares a schema with digest ${actual}, but the model was registered with ${registered}: ` +
        "its owner must register the file again; do not send requests to it",
    );
  }
}

/** Fetches (or reads from the cache) the schema of a registered model. */
export async function registeredSchema(model: RegisteredModelRef, options: SchemaSourceOptions): Promise<ModelSchema> {
  const digest = model.schemaDigest.toLowerCase();
  const cacheFile = path.join(options.cacheDir, "schemas", `${digest.slice(2)}.json`);
  const cached = await readFile(cacheFile, "utf8").catch(() => null);
  if (cached !== null) {
    const schema = JSON.parse(cached) as ModelSchema;
    if (schemaDigest(schema) === digest) return schema;
  }
  const store = new ModelStore({
    cacheDir: options.cacheDir,
    ipfsGateway: options.ipfsGateway,
    baseDir: options.baseDir,
  });
  const { bytes } = await store.get(model.uri, model.contentHash);
  const runtime = new ModelRuntime();
  let schema: ModelSchema;
  try {
    schema = modelSchema(await runtime.load(model.contentHash, bytes));
  } finally {
    await runtime.close();
  }
  const actual = schemaDigest(schema);
  if (actual !== digest) throw new SchemaDigestMismatchError(model.uri, digest, actual);
  await mkdir(path.dirname(cacheFile), { recursive: true });
  const tmp = `${cacheFile}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(schema));
  await rename(tmp, cacheFile);
  return schema;
}
