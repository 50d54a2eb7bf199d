import { drizzle } from "drizzle-orm/d1";
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
