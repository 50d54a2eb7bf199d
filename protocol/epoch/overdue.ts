// When is an epoch overdue, and why (docs/runbook.md): the one rule the site, GET
// /api/epochs/open, /metrics and `vidya node status` share. Pure: the worker gathers the facts.

export interface OverdueFacts {
  now: number;
  /** The open epoch and when it opened (null before the scheduler opened it). */
  open: { epoch: number; openedAt: number; epochMs: number } | null;
  /** The oldest close not yet final (worker/epoch/writer.ts). */
  closing: { epoch: number; state: string; closedAt: number; haltReason: string | null } | null;
  /** The writer's latest failure (close_errors), if any. */
  lastError: { code: string; epoch: number | null; message: string; at: number } | null;
  /** Whether any account has ever earned (a leaf exists): until then an epoch cannot close (nothing_earned). */
  everEarned: boolean;
  /** EPOCH_OVERDUE_GRACE_SECONDS in ms; an epoch shorter than it (development) is its own grace. */
  graceMs: number;
}

export interface Overdue {
  overdue: boolean;
  /** The epoch that is late, and when it was due (its close started, or its length ran out). */
  epoch: number | null;
  since: number | null;
  /** What the writer says: its state, its halt reason or its last error. */
  reason: string | null;
}

const NOT_OVERDUE: Overdue = { overdue: false, epoch: null, since: null, reason: null };

/** The writer's last error, if it happened since `since` (an older one is not why this epoch is late). */
function errorText(e: OverdueFacts["lastError"], since: number): string | null {
  return e && e.at >= since ? `last error ${e.code} at ${new Date(e.at).toISOString()}: ${e.message}` : null;
}

export function overdueOf(f: OverdueFacts): Overdue {
  const grace = Math.min(f.graceMs, f.open?.epochMs ?? f.graceMs);
  const c = f.closing;
  if (c?.state === "halted")
    return { overdue: true, epoch: c.epoch, since: c.closedAt, reason: `the close of epoch ${c.epoch} is halted (an operator decides, docs/runbook.md): ${c.haltReason ?? "no reason recorded"}` };
  if (c && f.now - c.closedAt > grace) {
    const err = errorText(f.lastError, c.closedAt);
    return { overdue: true, epoch: c.epoch, since: c.closedAt, reason: `the close of epoch ${c.epoch} is unfinished (state ${c.state})${err ? `; ${err}` : ""}` };
  }
  const o = f.open;
  if (!c && o && f.now - o.openedAt > o.epochMs + grace) {
    const due = o.openedAt + o.epochMs;
    const err = errorText(f.lastError, due);
    return {
      overdue: true,
      epoch: o.epoch,
      since: due,
      reason:
        err ??
        (f.everEarned
          ? `epoch ${o.epoch} has not closed and the writer reports no error: is the cron running? (its tick logs)`
          : `epoch ${o.epoch} has not closed: nobody has earned anything yet (the first epoch closes once someone has)`),
    };
  }
  return NOT_OVERDUE;
}

/** One line for people (the site's notice, `vidya node status`). */
export function overdueText(o: Overdue, now: number): string {
  if (!o.overdue) return "";
  const late = o.since !== null ? ` for ${minutes(now - o.since)}` : "";
  return `epoch ${o.epoch} is overdue${late}: ${o.reason}`;
}

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}
