// D1's production limits, enforced in workerd tests (../shared/PLATFORM.md): local D1 stores a
// 3 MB value and runs 5,000 queries in one request without complaint, Cloudflare refuses both.
// The guard patches the D1 binding's prototypes in the test isolate (the worker's code is the
// same isolate and knows nothing of it) and counts queries per invocation: each request to the
// worker, each scheduled event, each Durable Object request, RPC call or alarm (AsyncLocalStorage
// carries the count through awaits). A breach throws where D1 would and is recorded, so the test
// fails even when the worker catches the error and goes on (apply-migrations.ts checks afterEach).

import { AsyncLocalStorage } from "node:async_hooks";

/** D1's limits on the Workers Paid plan (PLATFORM.md, "D1"). */
export const D1_LIMITS = { valueBytes: 2_000_000, statementBytes: 100_000, boundParameters: 100, queriesPerInvocation: 1_000 } as const;

export interface Invocation {
  label: string;
  queries: number;
  /** The largest bound value or result row seen, in bytes. */
  largestValue: number;
  startedAt: number;
}

const als = new AsyncLocalStorage<{ inv: Invocation; owner: unknown }>();
const violations: string[] = [];
const finished: Invocation[] = [];
const utf8 = new TextEncoder();

function sizeOf(v: unknown): number {
  if (typeof v === "string") return v.length * 3 > D1_LIMITS.valueBytes ? utf8.encode(v).length : v.length;
  if (v instanceof ArrayBuffer) return v.byteLength;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + sizeOf(x), 0);
  return 8;
}

let throwing = true;

/** Off: breaches are only recorded (and still fail the test), so a scale run lists every limit it breaks, not the first. */
export function throwOnBreach(on: boolean): void {
  throwing = on;
}

function breach(message: string): void {
  violations.push(message);
  if (throwing) throw new Error(`D1 limit (test guard): ${message}`);
}

function countQueries(n: number): void {
  const ctx = als.getStore();
  if (!ctx) return; // test code seeding D1 directly is no invocation
  ctx.inv.queries += n;
  if (ctx.inv.queries > D1_LIMITS.queriesPerInvocation && ctx.inv.queries - n <= D1_LIMITS.queriesPerInvocation) breach(`${ctx.inv.label}: ${ctx.inv.queries} queries in one invocation (limit ${D1_LIMITS.queriesPerInvocation})`);
}

function checkValue(bytes: number, what: string): void {
  const ctx = als.getStore();
  if (ctx && bytes > ctx.inv.largestValue) ctx.inv.largestValue = bytes;
  if (bytes > D1_LIMITS.valueBytes) breach(`${what} of ${bytes} bytes (limit ${D1_LIMITS.valueBytes})${ctx ? ` in ${ctx.inv.label}` : ""}`);
}

function checkRows(result: unknown): void {
  const rows = Array.isArray(result) ? result : ((result as { results?: unknown[] } | null)?.results ?? (result && typeof result === "object" ? [result] : []));
  for (const r of rows) if (r && typeof r === "object") checkValue(sizeOf(Object.values(r as object)), "a row read");
}

/** Runs `f` as one invocation (its D1 queries counted together), unless already inside one of `owner`'s. */
export function invocation<T>(label: string, owner: unknown, f: () => T): T {
  const ctx = als.getStore();
  if (ctx && ctx.owner === owner) return f();
  const inv: Invocation = { label, queries: 0, largestValue: 0, startedAt: Date.now() };
  const done = () => finished.push(inv);
  const out = als.run({ inv, owner }, f);
  if (out instanceof Promise) return out.finally(done) as T;
  done();
  return out;
}

/** Invocations finished since the last call (for a test to print or assert on). */
export function takeInvocations(): Invocation[] {
  return finished.splice(0);
}

/** Breaches so far, left for the setup file's check. */
export function violationsSoFar(): readonly string[] {
  return violations;
}

/** Breaches since the last call; the setup file fails the test when any. */
export function takeViolations(): string[] {
  return violations.splice(0);
}

type Fn = (...a: unknown[]) => unknown;

/** Patches D1Database and D1PreparedStatement (shared by every binding of the isolate) once. */
export function guardD1(db: D1Database): void {
  const dbProto = Object.getPrototypeOf(db) as Record<string, Fn> & { __guarded?: boolean };
  if (dbProto.__guarded) return;
  dbProto.__guarded = true;
  const stmtProto = Object.getPrototypeOf(db.prepare("SELECT 1")) as Record<string, Fn>;

  const prepare = dbProto.prepare!;
  dbProto.prepare = function (this: unknown, query: unknown) {
    const bytes = utf8.encode(String(query)).length;
    if (bytes > D1_LIMITS.statementBytes) breach(`a statement of ${bytes} bytes (limit ${D1_LIMITS.statementBytes}): ${String(query).slice(0, 80)}…`);
    return prepare.call(this, query);
  };
  const bind = stmtProto.bind!;
  stmtProto.bind = function (this: unknown, ...values: unknown[]) {
    if (values.length > D1_LIMITS.boundParameters) breach(`${values.length} bound parameters (limit ${D1_LIMITS.boundParameters})`);
    let row = 0;
    for (const v of values) {
      const n = sizeOf(v);
      checkValue(n, "a bound value");
      row += n;
    }
    checkValue(row, "a statement's bound values together");
    return bind.apply(this, values);
  };
  for (const name of ["first", "run", "all", "raw"]) {
    const orig = stmtProto[name]!;
    stmtProto[name] = function (this: unknown, ...a: unknown[]) {
      countQueries(1);
      const out = orig.apply(this, a) as Promise<unknown>;
      return out.then((r) => (checkRows(r), r));
    };
  }
  const batch = dbProto.batch!;
  dbProto.batch = function (this: unknown, statements: unknown) {
    // Each statement of a batch counts (PLATFORM.md).
    countQueries((statements as unknown[]).length);
    return batch.call(this, statements);
  };
  const exec = dbProto.exec!;
  dbProto.exec = function (this: unknown, query: unknown) {
    countQueries(String(query).split(";").filter((s) => s.trim()).length);
    return exec.call(this, query);
  };
}

/** Makes every method of a Durable Object class (RPC methods, fetch, alarm) one invocation per call from outside. */
export function guardInvocations(cls: { name: string; prototype: object }): void {
  const proto = cls.prototype as Record<string, unknown> & { __guarded?: boolean };
  if (proto.__guarded) return;
  proto.__guarded = true;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (name === "constructor" || !d || typeof d.value !== "function") continue;
    const orig = d.value as Fn;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      return invocation(`${cls.name}.${name}`, this, () => orig.apply(this, a));
    };
  }
}

/** The worker's own entry points (fetch, scheduled): one invocation per call. */
export function guardHandler(handler: Record<string, unknown> & { __guarded?: boolean }): void {
  if (handler.__guarded) return;
  handler.__guarded = true;
  for (const name of ["fetch", "scheduled"]) {
    const orig = handler[name] as Fn | undefined;
    if (!orig) continue;
    handler[name] = function (this: unknown, ...a: unknown[]) {
      const label = name === "fetch" ? `${(a[0] as Request).method} ${new URL((a[0] as Request).url).pathname.replace(/^\/[^/]{20,}\//, "/:passkey/")}` : "scheduled";
      // A fresh owner per call: each request is its own invocation.
      return invocation(label, {}, () => orig.apply(this, a));
    };
  }
}
