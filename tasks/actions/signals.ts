/** Shutdown signal handling shared by the long-running tasks (nodes, input store). */

/** Resolves on the first SIGINT/SIGTERM; a second signal exits at once. */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.once(signal, () => process.exit(130));
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}
