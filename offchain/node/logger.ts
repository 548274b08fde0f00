/**
 * Structured logs for node operators: one JSON object per line (machine-readable, greppable), or a compact human
 * line when `pretty` is set. Every entry has a time, a level, the component and an event name.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, string | number | bigint | boolean | null | undefined>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  pretty?: boolean;
  write?: (line: string) => void;
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const emit = (level: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[level] < min) return;
    const clean: Record<string, string | number | boolean | null> = {};
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      clean[key] = typeof value === "bigint" ? value.toString() : value;
    }
    if (options.pretty === true) {
      const details = Object.entries(clean)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(" ");
      write(
        `${new Date().toISOString().slice(11, 19)} ${level.padEnd(5)} [${component}] ${event} ${details}`.trimEnd(),
      );
    } else {
      write(JSON.stringify({ time: new Date().toISOString(), level, component, event, ...clean }));
    }
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    child: (sub) => createLogger(`${component}/${sub}`, options),
  };
}

/** A logger that records entries in memory (tests assert on what an operator would see). */
export function memoryLogger(): Logger & { entries: Array<{ level: LogLevel; event: string; fields: LogFields }> } {
  const entries: Array<{ level: LogLevel; event: string; fields: LogFields }> = [];
  const make = (): Logger => ({
    debug: (event, fields = {}) => entries.push({ level: "debug", event, fields }),
    info: (event, fields = {}) => entries.push({ level: "info", event, fields }),
    warn: (event, fields = {}) => entries.push({ level: "warn", event, fields }),
    error: (event, fields = {}) => entries.push({ level: "error", event, fields }),
    child: () => make(),
  });
  return Object.assign(make(), { entries });
}
