// Bounded counters (issue #11 part 2): what one announce can credit is bounded by the torrent's
// size and the session's time (protocol/accounting/bounds.ts).

import { describe, expect, it } from "vitest";
import { COUNTER_BURST_SECONDS, DOWNLOAD_SLACK_MIN_BYTES, MAX_SESSION_BYTES_PER_SECOND } from "../params.ts";
import { boundCounters, boundLeft, maxDelta, maxSessionDownloaded } from "../accounting/bounds.ts";
import { rng } from "./random.ts";

const GB = 1_000_000_000;

describe("counter bounds", () => {
  it("refuses a 100,000 GB download of a 4 GB torrent beyond its length and slack (attack: inflated counters)", () => {
    const b = boundCounters({ up: 0, down: 0 }, { up: 0, down: 100_000 * GB }, 4 * GB, 24 * 3_600_000);
    expect(b.down).toBe(maxSessionDownloaded(4 * GB));
    expect(b.down).toBeLessThanOrEqual(4.4 * GB);
    expect(b.refusedDown).toBe(100_000 * GB - b.down);
  });

  it("refuses an upload faster than the session's link in the time since the last announce (attack: inflated counters)", () => {
    const b = boundCounters({ up: 5 * GB, down: 0 }, { up: 100_005 * GB, down: 0 }, 4 * GB, 1_800_000);
    expect(b.up - 5 * GB).toBe((1_800 + COUNTER_BURST_SECONDS) * MAX_SESSION_BYTES_PER_SECOND);
    expect(b.refusedUp).toBe(100_005 * GB - b.up);
  });

  it("credits an honest client's counters in full", () => {
    // 3 GB of a 4 GB torrent downloaded and 6 GB uploaded over 30 minutes: 5 MB/s, well inside.
    const b = boundCounters({ up: 1 * GB, down: 1 * GB }, { up: 7 * GB, down: 4 * GB }, 4 * GB, 1_800_000);
    expect(b).toEqual({ up: 7 * GB, down: 4 * GB, refusedUp: 0, refusedDown: 0 });
    // A small torrent's re-requests: the slack's floor.
    expect(maxSessionDownloaded(1_000)).toBe(1_000 + DOWNLOAD_SLACK_MIN_BYTES);
  });

  it("never moves the baseline down and never credits more than rate × time, whatever the report (property)", () => {
    const r = rng(21);
    for (let i = 0; i < 5_000; i++) {
      const length = Math.floor(r.next() * 50 * GB);
      const base = { up: Math.floor(r.next() * 100 * GB), down: Math.floor(r.next() * maxSessionDownloaded(length)) };
      const report = { up: base.up + Math.floor(r.next() * 1e6 * GB), down: base.down + Math.floor(r.next() * 1e6 * GB) };
      const elapsed = Math.floor(r.next() * 7_200_000);
      const b = boundCounters(base, report, length, elapsed);
      expect(b.up).toBeGreaterThanOrEqual(base.up);
      expect(b.down).toBeGreaterThanOrEqual(base.down);
      expect(b.up - base.up).toBeLessThanOrEqual(maxDelta(elapsed));
      expect(b.down - base.down).toBeLessThanOrEqual(maxDelta(elapsed));
      expect(b.down).toBeLessThanOrEqual(Math.max(base.down, maxSessionDownloaded(length)));
      expect(b.refusedUp + b.up).toBe(report.up);
      expect(b.refusedDown + b.down).toBe(report.down);
    }
  });

  it("bounds left by the torrent's length (attack: inflated demand)", () => {
    expect(boundLeft(1e15, 4 * GB)).toBe(4 * GB);
    expect(boundLeft(-5, 4 * GB)).toBe(0);
    expect(boundLeft(3, 4 * GB)).toBe(3);
    expect(boundLeft(7, 0)).toBe(7);
  });
});
