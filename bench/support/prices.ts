// Cloudflare's list prices (Workers Paid plan), in one place for the benches and
// docs/capacity.md: developers.cloudflare.com/workers/platform/pricing, /durable-objects/platform/pricing
// and /d1/platform/pricing, read December 2026 (../shared/PLATFORM.md). Dollars per unit beyond
// the plan's included amounts.

export const PRICES = {
  workerRequest: 0.3e-6,
  /** Durable Object requests: RPC, alarms (WebSocket messages count 1/20). */
  doRequest: 0.15e-6,
  workerCpuMs: 0.02e-6,
  /** Durable Object duration: 128 MB × the object's active seconds. */
  doGbSecond: 12.5e-6,
  d1RowWritten: 1.0e-6,
  /** SQLite-backed Durable Object storage. */
  doRowWritten: 1.0e-6,
  rowRead: 0.001e-6,
} as const;

/** Per announce, besides rows written: the Worker request, the shard's RPC, and the estimates of docs/capacity.md. */
export const PER_ANNOUNCE = {
  workerRequests: 1,
  doRequests: 1,
  /** Estimated: the worker's parse, RPC and answer. */
  workerCpuMs: 0.5,
  /** Estimated: about 1 ms of a 128 MB object's active time. */
  doGbSeconds: 0.001 * 0.125,
} as const;

/** Dollars per million announces at list prices, for the rows written per announce measured. */
export function dollarsPerMillion(d1RowsPerAnnounce: number, doRowsPerAnnounce: number): number {
  const fixed =
    PER_ANNOUNCE.workerRequests * PRICES.workerRequest +
    PER_ANNOUNCE.doRequests * PRICES.doRequest +
    PER_ANNOUNCE.workerCpuMs * PRICES.workerCpuMs +
    PER_ANNOUNCE.doGbSeconds * PRICES.doGbSecond;
  return 1e6 * (fixed + d1RowsPerAnnounce * PRICES.d1RowWritten + doRowsPerAnnounce * PRICES.doRowWritten);
}
