/**
 * A per-account lock across processes on one machine, so several commands sending from the same account (five
 * `infer` at once) take turns between reading the balance and having their transaction mined: no two pick the same
 * nonce, spend the same balance or race each other's `approve`. A lock file created with O_EXCL holds the owner's
 * pid; a lock whose owner is no longer alive is taken over. (No library: this is the whole job, for local processes
 * only — nodes on other machines use their own accounts.)
 */
import { mkdir, open, readFile, rm } from "node:fs/promises";
import path from "node:path";

export class AccountLockTimeoutError extends Error {
  override readonly name = "AccountLockTimeoutError";

  constructor(file: string, waitedMs: number, owner: string) {
    super(
      `another command has been sending from this account for ${Math.round(waitedMs / 1000)} s (process ${owner}, ` +
        `lock ${file}): wait for it, or delete the lock file if that process is gone`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/** Runs `fn` while holding the lock `<dir>/<key>.lock`; waits (polling) up to `timeoutMs` for it. */
export async function withAccountLock<T>(
  dir: string,
  key: string,
  fn: () => Promise<T>,
  options: { timeoutMs?: number; pollMs?: number } = {},
): Promise<T> {
  const file = path.join(dir, `${key.toLowerCase()}.lock`);
  await mkdir(dir, { recursive: true });
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 120_000;
  for (;;) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = (await readFile(file, "utf8").catch(() => "")).trim();
    const pid = Number(owner);
    // An empty file is a lock being written this instant; a dead owner's lock is stale.
    if (owner !== "" && Number.isSafeInteger(pid) && !alive(pid)) {
      await rm(file, { force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) throw new AccountLockTimeoutError(file, Date.now() - started, owner);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
  }
  try {
    return await fn();
  } finally {
    await rm(file, { force: true });
  }
}
