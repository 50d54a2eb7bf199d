// Challenge outcomes of the open epoch by verdict and reason class, for /metrics: one GROUP BY
// over the epoch's stored transcripts at scrape time (the classes are a CASE in SQL, so D1
// returns a few rows, not one per distinct reason text).

import { sql } from "drizzle-orm";
import { REASON_CLASSES } from "../../protocol/challenge/reason-class.ts";
import type { Db } from "../db/client.ts";

export interface ChallengeOutcome {
  verdict: string;
  reason: string;
  count: number;
}

export async function challengeOutcomes(d: Db, epoch: number): Promise<ChallengeOutcome[]> {
  const cases = sql.join(
    REASON_CLASSES.map((c) => sql`WHEN instr(reason, ${c.contains}) > 0 THEN ${c.cls}`),
    sql` `,
  );
  const rows = await d.all<{ verdict: string; cls: string; n: number }>(
    sql`SELECT verdict, CASE ${cases} ELSE 'other' END AS cls, COUNT(*) AS n FROM challenges WHERE epoch = ${epoch} GROUP BY verdict, cls ORDER BY verdict, cls`,
  );
  return rows.map((r) => ({ verdict: r.verdict, reason: r.cls, count: Number(r.n) }));
}
