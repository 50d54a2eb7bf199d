// Log lines for operators: a timestamp and a level on every line, or one JSON object a line
// under --json (for journald, Docker and log shippers). The level comes from the line's own
// "warning:" / "error:" prefix, so every existing caller logs at the right level.

export type Level = "info" | "warn" | "error";

export function levelOf(line: string): { level: Level; message: string } {
  const m = /^(warning|error):\s*/i.exec(line);
  if (!m) return { level: "info", message: line };
  return { level: m[1]!.toLowerCase() === "error" ? "error" : "warn", message: line.slice(m[0].length) };
}

/** `2026-12-06T02:10:00.123Z WARN  cannot write …`, or `{"time":…,"level":"warn","msg":…}` with json. */
export function formatLog(line: string, json: boolean, now = new Date()): string {
  const { level, message } = levelOf(line);
  if (json) return JSON.stringify({ time: now.toISOString(), level, msg: message });
  return `${now.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
}
