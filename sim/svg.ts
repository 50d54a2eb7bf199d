// A small SVG plotting module for the simulation report: line charts with several series,
// optional log scale and shaded bands, and horizontal bar charts. No dependencies; the output
// is plain SVG 1.1 text that GitHub and browsers render.

export interface Series {
  name: string;
  /** y per x; NaN leaves a gap. */
  y: readonly number[];
  color?: string;
  dashed?: boolean;
  /** A shaded band (e.g. p10–p90) drawn under the line. */
  band?: { lo: readonly number[]; hi: readonly number[] };
}

export interface LineChart {
  title: string;
  x: readonly number[];
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  /** Vertical markers (e.g. shocks), at x values. */
  markers?: { x: number; label: string }[];
}

export const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Round numbers for axis ticks: 1, 2, 5 × 10^k. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
}

export function lineChart(c: LineChart): string {
  const W = c.width ?? 760;
  // The legend wraps into rows under the axis.
  const legend: { x: number; row: number }[] = [];
  let lx0 = 64;
  let row = 0;
  for (const s of c.series) {
    const w = 30 + s.name.length * 6.2;
    if (lx0 + w > W - 8 && lx0 > 64) {
      row++;
      lx0 = 64;
    }
    legend.push({ x: lx0, row });
    lx0 += w;
  }
  const H = (c.height ?? 340) + row * 16;
  const m = { l: 64, r: 16, t: 36, b: 64 + row * 16 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = c.x;
  const x0 = xs[0] ?? 0;
  const x1 = xs[xs.length - 1] ?? 1;
  const values = c.series.flatMap((s) => [...s.y, ...(s.band ? [...s.band.lo, ...s.band.hi] : [])]).filter((v) => Number.isFinite(v) && (!c.logY || v > 0));
  let y0 = c.yMin ?? Math.min(0, ...values);
  let y1 = c.yMax ?? Math.max(...values, y0 + 1e-9);
  if (c.logY) {
    y0 = c.yMin ?? Math.min(...values);
    y1 = c.yMax ?? Math.max(...values);
    if (!(y1 > y0)) y1 = y0 * 10;
  }
  if (y1 === y0) y1 = y0 + 1;
  const fy = (v: number) => (c.logY ? Math.log10(v) : v);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (v: number) => m.t + ph - ((fy(v) - fy(y0)) / (fy(y1) - fy(y0))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`);
  const yTicks = c.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  for (const t of yTicks) {
    if (t < y0 || t > y1) continue;
    out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${formatNumber(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${formatNumber(t)}</text>`);
  }
  out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/><line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${m.t + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  for (const mk of c.markers ?? []) {
    out.push(`<line x1="${sx(mk.x).toFixed(1)}" x2="${sx(mk.x).toFixed(1)}" y1="${m.t}" y2="${m.t + ph}" stroke="#999" stroke-dasharray="2 3"/>`);
    out.push(`<text x="${(sx(mk.x) + 3).toFixed(1)}" y="${m.t + 10}" fill="#666" font-size="10">${esc(mk.label)}</text>`);
  }
  const clampY = (v: number) => Math.min(Math.max(v, y0), y1);
  c.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    if (s.band) {
      const top: string[] = [];
      const bottom: string[] = [];
      xs.forEach((x, k) => {
        const lo = s.band!.lo[k]!;
        const hi = s.band!.hi[k]!;
        if (!Number.isFinite(lo) || !Number.isFinite(hi) || (c.logY && lo <= 0)) return;
        top.push(`${sx(x).toFixed(1)},${sy(clampY(hi)).toFixed(1)}`);
        bottom.unshift(`${sx(x).toFixed(1)},${sy(clampY(lo)).toFixed(1)}`);
      });
      if (top.length) out.push(`<polygon points="${[...top, ...bottom].join(" ")}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const parts: string[] = [];
    let pen = "M";
    xs.forEach((x, k) => {
      const v = s.y[k]!;
      if (!Number.isFinite(v) || (c.logY && v <= 0)) {
        pen = "M";
        return;
      }
      parts.push(`${pen}${sx(x).toFixed(1)},${sy(clampY(v)).toFixed(1)}`);
      pen = "L";
    });
    out.push(`<path d="${parts.join(" ")}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ` stroke-dasharray="5 3"` : ""}/>`);
  });
  // Legend below the axis.
  c.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const { x: lx, row: r } = legend[i]!;
    const ly = m.t + ph + 50 + r * 16;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="5 3"` : ""}/>`);
    out.push(`<text x="${lx + 22}" y="${ly}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

export interface BarChart {
  title: string;
  /** One bar per row; negative values extend left of zero. */
  rows: { label: string; value: number; color?: string; note?: string }[];
  xLabel: string;
  width?: number;
}

export function barChart(c: BarChart): string {
  const W = c.width ?? 760;
  const rowH = 26;
  // Labels on the left, values in a column on the right, bars between.
  const m = { l: 320, r: 110, t: 36, b: 40 };
  const H = m.t + m.b + rowH * c.rows.length;
  const pw = W - m.l - m.r;
  const lo = Math.min(0, ...c.rows.map((r) => r.value));
  const hi = Math.max(0, ...c.rows.map((r) => r.value));
  const span = hi - lo || 1;
  const sx = (v: number) => m.l + ((v - lo) / span) * pw;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(c.title)}</text>`);
  for (const t of niceTicks(lo, hi, 6)) {
    out.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${sx(t).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle">${formatNumber(t)}</text>`);
  }
  out.push(`<line x1="${sx(0).toFixed(1)}" x2="${sx(0).toFixed(1)}" y1="${m.t}" y2="${H - m.b}" stroke="#333"/>`);
  c.rows.forEach((r, i) => {
    const y = m.t + i * rowH + 4;
    const a = sx(Math.min(0, r.value));
    const b = sx(Math.max(0, r.value));
    out.push(`<text x="${m.l - 8}" y="${y + 13}" text-anchor="end">${esc(r.label)}</text>`);
    out.push(`<rect x="${a.toFixed(1)}" y="${y}" width="${Math.max(1, b - a).toFixed(1)}" height="${rowH - 8}" fill="${r.color ?? (r.value >= 0 ? PALETTE[2] : PALETTE[1])}"/>`);
    out.push(`<text x="${W - m.r + 8}" y="${y + 13}" text-anchor="start">${esc(r.note ?? formatNumber(r.value))}</text>`);
  });
  out.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(c.xLabel)}</text>`);
  out.push("</svg>");
  return out.join("\n") + "\n";
}
