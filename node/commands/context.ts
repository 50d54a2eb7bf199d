// What every command gets: the home folder and how to speak. Data goes to stdout (as JSON
// with --json); progress and warnings go to stderr so that stdout stays parseable.

import type { Home } from "../config.ts";
import { formatLog } from "../log.ts";

export interface Ctx {
  home: Home;
  json: boolean;
  /** A line of human output on stdout (suppressed under --json). */
  say(line: string): void;
  /** Progress and warnings on stderr, timestamped and levelled (node/log.ts; JSON lines with --json). */
  log(line: string): void;
  /** The command's data: JSON under --json, else the human lines already said. */
  result(value: unknown): void;
  /** Resolves when SIGINT or SIGTERM arrives (long-running commands). */
  stopSignal(): Promise<string>;
}

export function makeCtx(home: Home, json: boolean): Ctx {
  return {
    home,
    json,
    say: (line) => {
      if (!json) process.stdout.write(line + "\n");
    },
    log: (line) => process.stderr.write(formatLog(line, json) + "\n"),
    result: (value) => {
      if (json) process.stdout.write(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2) + "\n");
    },
    stopSignal: () =>
      new Promise((resolve) => {
        const on = (sig: string) => {
          process.off("SIGINT", on);
          process.off("SIGTERM", on);
          resolve(sig);
        };
        process.on("SIGINT", on);
        process.on("SIGTERM", on);
      }),
  };
}

export { formatBytes, formatVidya } from "../../protocol/format.ts";
