// Live-heap readings for the scale test: workerd reports no heap figure inside (process.memoryUsage
// answers zeros), so with MINIFLARE_WORKERD_V8_FLAGS="--expose-gc --trace-gc" a mark forces a full
// collection, whose --trace-gc line ("Mark-Compact (testing)") gives the live MB after it. Without
// --expose-gc a mark only prints its label.

const gc = (globalThis as { gc?: () => void }).gc;

/** Prints `scale: heap at <label>` after a full collection when gc is exposed. */
export function heapMark(label: string): void {
  if (typeof gc === "function") gc();
  console.log(`scale: heap at ${label}${typeof gc === "function" ? " (after a forced Mark-Compact)" : ""}`);
}
