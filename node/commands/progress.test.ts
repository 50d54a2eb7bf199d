// Download progress: bars redrawn in place on a terminal, plain throttled lines otherwise.

import { describe, expect, it } from "vitest";
import { ProgressDisplay, barLine, type ProgressItem } from "./progress.ts";

function sink(isTTY: boolean) {
  const out = { text: "", isTTY, columns: 100, write: (s: string) => (out.text += s) };
  return out;
}
const item = (done: number, key = "a"): ProgressItem => ({ key, label: `Torrent ${key}`, done, total: 1_000_000, speed: 250_000, peers: 2 });

describe("ProgressDisplay", () => {
  it("draws one bar per download on a terminal and redraws them in place", () => {
    const out = sink(true);
    const p = new ProgressDisplay(out);
    p.update([item(250_000), item(0, "b")]);
    expect(out.text.split("\n").filter(Boolean)).toHaveLength(2);
    out.text = "";
    p.update([item(500_000), item(100_000, "b")]);
    // Up two lines, erase, draw again.
    expect(out.text.startsWith("\x1b[2F\x1b[J")).toBe(true);
    expect(out.text).toContain(" 50.0%");
  });

  it("prints log lines above the bars", () => {
    const out = sink(true);
    const p = new ProgressDisplay(out);
    p.update([item(250_000)]);
    out.text = "";
    p.log("reported a hosted subset of 1 torrent(s)");
    expect(out.text).toMatch(/^\x1b\[1F\x1b\[Jreported a hosted subset of 1 torrent\(s\)\n.*\[#+\.+\]/);
    p.close();
    expect(out.text.endsWith("\x1b[1F\x1b[J")).toBe(true);
  });

  it("writes plain lines when not a terminal: no escapes, at most one per download every few seconds, and the last", () => {
    const out = sink(false);
    const p = new ProgressDisplay(out, { plainEveryMs: 5_000 });
    p.update([item(100_000)], 0);
    p.update([item(200_000)], 1_000);
    p.update([item(300_000)], 6_000);
    p.update([item(1_000_000)], 6_500);
    expect(out.text).not.toContain("\x1b");
    expect(out.text.trim().split("\n")).toEqual([
      expect.stringMatching(/^Torrent a: 10\.0%/),
      expect.stringMatching(/^Torrent a: 30\.0%/),
      expect.stringMatching(/^Torrent a: 100\.0%/),
    ]);
  });

  it("fits a bar to the terminal's width", () => {
    for (const width of [40, 80, 160]) expect(barLine({ ...item(123_456), label: "A very long torrent name that goes on and on" }, width).length).toBeLessThan(width);
  });
});
