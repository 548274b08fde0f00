/**
 * Progress for long work, on stderr (stdout stays for results and JSON): one line rewritten in place on a terminal,
 * a line every few seconds otherwise (logs, pipes), so a long download or wait never looks like a hang.
 */
const INTERVAL_MS = 5_000;

export interface Progress {
  /** Shows `text` now (terminal) or when the last line is older than a few seconds (pipe). */
  update(text: string): void;
  /** Ends the progress line with `text` (always printed). */
  done(text: string): void;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = stream.isTTY === true;
  let last = 0;
  let open = false;
  return {
    update(text) {
      const now = Date.now();
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        open = true;
      } else if (now - last >= INTERVAL_MS) {
        stream.write(`${text}\n`);
        last = now;
      }
    },
    done(text) {
      stream.write(tty && open ? `\r\x1b[2K${text}\n` : `${text}\n`);
      open = false;
    },
  };
}

/** "1.2 MB of 4.0 MB (30 %)". */
export function formatBytes(received: number, total: number | null): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  return total === null || total === 0
    ? mb(received)
    : `${mb(received)} of ${mb(total)} (${Math.floor((100 * received) / total)} %)`;
}
