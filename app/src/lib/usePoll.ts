/** Runs an async task now and every `intervalMs` after the previous run ended (runs never overlap). */
import { useEffect, useRef } from "react";

export function usePoll(task: () => Promise<void>, intervalMs: number | null, deps: readonly unknown[]): void {
  const latest = useRef(task);
  latest.current = task;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        await latest.current();
      } finally {
        if (!stopped && intervalMs !== null) timer = setTimeout(() => void run(), intervalMs);
      }
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, ...deps]); // the caller names what restarts the poll
}
