// Structured logs (pino) to stderr; silent unless asked.
import { pino, type Logger } from "pino";

export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

export function createLogger(level: LogLevel = "silent"): Logger {
  // Synchronous writes: a CLI that exits right after a log line must not lose it.
  return pino({ name: "openroom-server", level }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
