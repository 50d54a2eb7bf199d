// Plots as inline SVG, rendered on the server: they show without JavaScript and cost no
// bundle. Pure functions of their data, so they are tested like any other formatter.

import { html, raw } from "hono/html";
import type { Html } from "./layout.ts";

export interface Bar {
  label: string;
  value: number;
  /** Shown on hover (SVG <title>), e.g. the exact amount. */
  detail?: string;
}

export interface BarChartOptions {
  title: string;
  bars: Bar[];
  /** Formats an axis tick. */
  format?: (v: number) => string;
  width?: number;
  height?: number;
}

/** 1, 2 or 5 times a power of ten at or above `max / ticks`: round axis steps. */
export function niceStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toExponential(1) : Number(v.toPrecision(3)).toString());

export function barChart(o: BarChartOptions): Html {
  const width = o.width ?? 640;
  const height = o.height ?? 240;
  const format = o.format ?? fmt;
  const left = 64;
  const bottom = 28;
  const top = 12;
  const plotW = width - left - 12;
  const plotH = height - top - bottom;
  const max = Math.max(0, ...o.bars.map((b) => b.value));
  const step = niceStep(max);
  const yMax = max > 0 ? Math.ceil(max / step) * step : 1;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const slot = o.bars.length ? plotW / o.bars.length : plotW;
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const ticks: number[] = [];
  for (let v = 0; v <= yMax + step / 2; v += step) ticks.push(v);
  // Label every bar while they fit, else every k-th.
  const every = Math.max(1, Math.ceil(o.bars.length / Math.max(1, Math.floor(plotW / 36))));
  const desc = o.bars.map((b) => `${b.label}: ${b.detail ?? format(b.value)}`).join("; ");
  return html`<svg class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="plot-title plot-desc">
<title id="plot-title">${o.title}</title>
<desc id="plot-desc">${desc || "no data yet"}</desc>
${raw(
  ticks
    .map((v) => `<line class="grid" x1="${left}" x2="${width - 12}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="tick" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${escapeXml(format(v))}</text>`)
    .join(""),
)}
${raw(
  o.bars
    .map((b, i) => {
      const x = left + i * slot + (slot - barW) / 2;
      const h = Math.max(0, y(0) - y(b.value));
      const label = i % every === 0 ? `<text class="tick" x="${(x + barW / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">${escapeXml(b.label)}</text>` : "";
      return `<rect class="bar" x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}"><title>${escapeXml(`${b.label}: ${b.detail ?? format(b.value)}`)}</title></rect>${label}`;
    })
    .join(""),
)}
<line class="axis" x1="${left}" x2="${width - 12}" y1="${y(0)}" y2="${y(0)}"/>
${o.bars.length === 0 ? html`<text class="empty" x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle">no epochs yet</text>` : ""}
</svg>`;
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}
