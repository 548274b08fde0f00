/** Polling wait for integration tests of long-running processes. */

/** Resolves once `check` holds, polling every 250 ms; fails after `timeoutMs` naming `what` it waited for. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
