import { getTableColumns, getTableName, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

export type Db = ReturnType<typeof db>;

export function db(d1: D1Database) {
  return drizzle(d1, { schema });
}

export { schema };

/** Rows read for these keys, 90 at a time (D1 binds at most 100 parameters). */
export async function inChunks<T>(keys: string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < keys.length; i += 90) out.push(...(await read(keys.slice(i, i + 90))));
  return out;
}

/** `xs` in runs of `n`: rows per multi-row insert, kept under D1's 100 bound parameters. */
export function chunk<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

// D1 binds at most 100 parameters a statement and runs 1,000 queries an invocation, but takes a
// 2,000,000-byte value: sets of keys and rows go in as one JSON parameter (SQLite's json_each),
// so an epoch of 10,000 members is tens of queries, not thousands (test/worker/epoch-scale.test.ts).

/** Bytes of JSON one parameter carries here: half of D1's 2 MB value limit. */
const JSON_PARAM_BYTES = 1_000_000;

/** `xs` in runs whose JSON stays under JSON_PARAM_BYTES. */
export function jsonChunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  let part: T[] = [];
  let bytes = 2;
  for (const x of xs) {
    const n = JSON.stringify(x).length + 1;
    if (part.length && bytes + n > JSON_PARAM_BYTES) {
      out.push(part);
      part = [];
      bytes = 2;
    }
    part.push(x);
    bytes += n;
  }
  if (part.length) out.push(part);
  return out;
}

/** `column IN (keys)` with the keys as one JSON parameter. */
export function inJson(column: SQLiteColumn, keys: readonly string[]): SQL {
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`;
}

/** Rows read for these keys, one query per JSON_PARAM_BYTES of keys. */
export async function inJsonChunks<T>(keys: string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (const part of jsonChunks(keys)) out.push(...(await read(part)));
  return out;
}

/**
 * Inserts `rows` (objects keyed like the drizzle table) with one statement per
 * JSON_PARAM_BYTES of rows; `onConflict` is SQL appended as is (e.g. "(member, day) DO UPDATE SET bytes = excluded.bytes").
 */
export function jsonInsert(d1: D1Database, table: SQLiteTable, rows: readonly Record<string, unknown>[], onConflict?: string): D1PreparedStatement[] {
  if (!rows.length) return [];
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0]!);
  const names = keys.map((k) => `"${columns[k]!.name}"`).join(", ");
  const values = keys.map((k) => `json_extract(value, '$.${k}')`).join(", ");
  // "WHERE true" lets SQLite parse ON CONFLICT after INSERT … SELECT.
  const text = `INSERT INTO "${getTableName(table)}" (${names}) SELECT ${values} FROM json_each(?) WHERE true${onConflict ? ` ON CONFLICT ${onConflict}` : ""}`;
  return jsonChunks(rows).map((part) => d1.prepare(text).bind(JSON.stringify(part)));
}

/** A drizzle query as a D1 statement, to batch it beside jsonInsert's. */
export function statementOf(d1: D1Database, q: { toSQL(): { sql: string; params: unknown[] } }): D1PreparedStatement {
  const { sql: text, params } = q.toSQL();
  return d1.prepare(text).bind(...params);
}
