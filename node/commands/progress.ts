// Download progress on stderr (stdout stays for data and --json): on a terminal, one bar per
// download redrawn in place, with log lines printed above the bars; otherwise plain lines,
// at most one per download every few seconds and one when it completes.

import { formatBytes } from "./context.ts";

export interface ProgressItem {
  key: string;
  label: string;
  done: number;
  total: number;
  /** Bytes per second. */
  speed: number;
  peers: number;
}

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export class ProgressDisplay {
  private readonly out: ProgressStream;
  private readonly tty: boolean;
  private readonly plainEveryMs: number;
  private items: ProgressItem[] = [];
  private drawn = 0;
  private readonly lastPlain = new Map<string, { at: number; line: string }>();

  constructor(out: ProgressStream, opts: { tty?: boolean; plainEveryMs?: number } = {}) {
    this.out = out;
    this.tty = opts.tty ?? out.isTTY === true;
    this.plainEveryMs = opts.plainEveryMs ?? 5_000;
  }

  /** The downloads in progress now; one that is gone from the list is finished. */
  update(items: ProgressItem[], now = Date.now()): void {
    this.items = items;
    if (this.tty) return this.redraw();
    for (const it of items) {
      const line = plainLine(it);
      const last = this.lastPlain.get(it.key);
      const finished = it.total > 0 && it.done >= it.total;
      if (last?.line === line) continue;
      if (last && !finished && now - last.at < this.plainEveryMs) continue;
      this.out.write(line + "\n");
      this.lastPlain.set(it.key, { at: now, line });
    }
    for (const key of this.lastPlain.keys()) if (!items.some((i) => i.key === key)) this.lastPlain.delete(key);
  }

  /** A log line; on a terminal it goes above the bars. */
  log(line: string): void {
    if (!this.tty || this.drawn === 0) {
      this.out.write(line + "\n");
      return;
    }
    this.clear();
    this.out.write(line + "\n");
    this.redraw();
  }

  /** Removes the bars (before the process prints its last lines or exits). */
  close(): void {
    if (this.tty) this.clear();
    this.items = [];
  }

  private clear(): void {
    // Cursor to the start of the first bar line, then erase to the end of the screen.
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const width = Math.max(40, Math.min(this.out.columns ?? 80, 160));
    for (const it of this.items) this.out.write(barLine(it, width) + "\n");
    this.drawn = this.items.length;
  }
}

function percent(it: ProgressItem): number {
  return it.total > 0 ? Math.min(100, (it.done / it.total) * 100) : 0;
}

function counts(it: ProgressItem): string {
  return `${formatBytes(it.done)} of ${formatBytes(it.total)}  ${formatBytes(Math.round(it.speed))}/s  ${it.peers} peer(s)`;
}

export function plainLine(it: ProgressItem): string {
  return `${it.label}: ${percent(it).toFixed(1)}%  ${counts(it)}`;
}

/** `label  [#######.......]  42.0%  1.00 MB of 2.00 MB  …`, fitted to `width` columns. */
export function barLine(it: ProgressItem, width: number): string {
  const tail = `  ${percent(it).toFixed(1).padStart(5)}%  ${counts(it)}`;
  const label = it.label.length > 24 ? `${it.label.slice(0, 23)}…` : it.label.padEnd(24);
  const barWidth = Math.max(10, width - label.length - tail.length - 4);
  const filled = Math.round((percent(it) / 100) * barWidth);
  return `${label}  [${"#".repeat(filled)}${".".repeat(barWidth - filled)}]${tail}`.slice(0, width - 1);
}
