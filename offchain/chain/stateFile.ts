/**
 * A tiny persisted JSON state (scanner cursors, node bookkeeping). Writes are atomic — temp file, fsync, rename,
 * fsync of the directory — so a crash leaves either the old or the new state, never a torn file. Bigints survive
 * the round trip as `{ "$bigint": "<decimal>" }`.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";

const BIGINT_TAG = "$bigint";

/** The state file exists but is not valid JSON (or fails the caller's validation). */
export class StateFileCorruptError extends Error {
  override readonly name = "StateFileCorruptError";

  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(
      `State file ${file} is unreadable (${cause instanceof Error ? cause.message : String(cause)}). ` +
        "Restore it from a backup, or delete it to start from the configured defaults (a scanner then re-reads " +
        "events from its start block; consumers are idempotent).",
      { cause },
    );
  }
}

/** Serializes `value` to JSON with bigints tagged; stable two-space indentation. */
export function stringifyState(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? { [BIGINT_TAG]: v.toString() } : v), 2);
}

/** Parses JSON written by {@link stringifyState}, reviving tagged bigints. */
export function parseState(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const tagged = (v as Record<string, unknown>)[BIGINT_TAG];
      if (keys.length === 1 && typeof tagged === "string" && /^-?\d+$/.test(tagged)) return BigInt(tagged);
    }
    return v;
  });
}

export interface JsonStateFileOptions<T> {
  /** Validates / migrates the parsed JSON; throw to report the file as corrupt. Default: shallow merge. */
  parse?: (raw: unknown, defaults: T) => T;
}

export class JsonStateFile<T> {
  readonly #path: string;
  readonly #defaults: T;
  readonly #parse: (raw: unknown, defaults: T) => T;
  /** Saves run one after another, so the last `save` call always wins. */
  #queue: Promise<void> = Promise.resolve();

  constructor(filePath: string, defaults: T, options: JsonStateFileOptions<T> = {}) {
    this.#path = path.resolve(filePath);
    this.#defaults = defaults;
    this.#parse = options.parse ?? shallowMerge;
  }

  get path(): string {
    return this.#path;
  }

  /** The saved state, or a copy of the defaults when the file does not exist yet. */
  async load(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(this.#defaults);
      throw error;
    }
    try {
      return this.#parse(parseState(text), structuredClone(this.#defaults));
    } catch (error) {
      throw new StateFileCorruptError(this.#path, error);
    }
  }

  /** Atomically replaces the file with `state`. */
  save(state: T): Promise<void> {
    const text = stringifyState(state) + "\n";
    const next = this.#queue.then(() => this.#write(text));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(text: string): Promise<void> {
    const dir = path.dirname(this.#path);
    await mkdir(dir, { recursive: true });
    const temp = `${this.#path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      const handle = await open(temp, "w", 0o644);
      try {
        await handle.writeFile(text, "utf8");
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.#path);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
    await fsyncDirectory(dir);
  }
}

function shallowMerge<T>(raw: unknown, defaults: T): T {
  if (typeof defaults === "object" && defaults !== null && !Array.isArray(defaults)) {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new TypeError(`expected a JSON object, found ${Array.isArray(raw) ? "an array" : typeof raw}`);
    }
    return { ...defaults, ...(raw as Partial<T>) };
  }
  return raw as T;
}

/** Makes the rename durable. Not every platform lets a directory be opened for fsync (Windows); skip there. */
async function fsyncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close();
  }
}
