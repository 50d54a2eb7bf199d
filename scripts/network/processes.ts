// Child processes of the local network: each in its own process group, so stopping the
// network kills every descendant (wrangler's workerd, webtorrent's workers) and leaves nothing behind.

import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

// Children find the repo's Node 24 and tools first, as they do under npm scripts, even when
// this module is run directly by a Node on a machine whose PATH has an older one.
const BIN_DIR = join(import.meta.dirname, "..", "..", "node_modules", ".bin");
const childEnv = (extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${BIN_DIR}:${process.env.PATH ?? ""}`, ...extra });

export interface Managed {
  name: string;
  child: ChildProcess;
  logPath: string;
  exited: Promise<number | null>;
}

export class ProcessGroup {
  private readonly children: Managed[] = [];
  private readonly logDir: string;

  constructor(logDir: string) {
    this.logDir = logDir;
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts a long-running process; its output goes to <logDir>/<name>.log. */
  start(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Managed {
    const logPath = join(this.logDir, `${name}.log`);
    const log = createWriteStream(logPath, { flags: "a" });
    const child = spawn(cmd, args, { cwd: opts.cwd, env: childEnv(opts.env), detached: true, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const m = { name, child, logPath, exited };
    this.children.push(m);
    return m;
  }

  /** Stops everything started, newest first: SIGTERM to the group, SIGKILL after a grace period. */
  async stopAll(graceMs = 5_000): Promise<void> {
    const running = this.children.splice(0).reverse();
    await Promise.all(running.map((m) => stopGroup(m, graceMs)));
  }
}

async function stopGroup(m: Managed, graceMs: number): Promise<void> {
  const pid = m.child.pid;
  if (pid === undefined || m.child.exitCode !== null || m.child.signalCode !== null) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      /* already gone */
    }
  };
  signal("SIGTERM");
  await Promise.race([m.exited, new Promise((r) => setTimeout(r, graceMs))]);
  // Kill the rest of the group too: a parent that exited on SIGTERM can leave children behind.
  signal("SIGKILL");
  await m.exited;
  // Return only once the whole group is gone, so "stopped" means no process is left.
  for (let i = 0; i < 100 && groupAlive(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command to completion and returns its output; throws with the output on failure. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: childEnv(opts.env), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, opts.timeoutMs ?? 300_000);
    child.on("exit", (code, sig) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code ?? sig}\n${stdout}\n${stderr}`.trim()));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
