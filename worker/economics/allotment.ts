// Members' free-allotment state as the epoch closes recorded it (the `allotments` table: free
// bytes per UTC day, protocol/economics/allotment.ts). Read by the close, which extends it,
// and by the site's profile, which shows what is left (allotmentLeft).

import { and, lt } from "drizzle-orm";
import { dayOf, freeRemaining, type AllotmentState } from "../../protocol/economics/allotment.ts";
import type { Env } from "../env.ts";
import { db, inJson, inJsonChunks, schema, type Db } from "../db/client.ts";

/** Each member's state up to `day` (days after it are ignored); a member with no rows has used nothing. */
export async function allotmentStates(d: Db, members: string[], day: number): Promise<Map<string, AllotmentState>> {
  const used = await inJsonChunks(members, (part) =>
    d.select().from(schema.allotments).where(and(inJson(schema.allotments.member, part), lt(schema.allotments.day, day + 1))),
  );
  const state = new Map<string, AllotmentState>(members.map((m) => [m, { days: [] }]));
  for (const u of used) state.get(u.member)!.days.push({ day: u.day, bytes: BigInt(u.bytes) });
  return state;
}

/**
 * Free allotment left: what the epoch closes recorded as free per UTC day (the `allotments`
 * table, protocol/economics/allotment.ts), less what the open epoch has downloaded so far
 * (credited: freeleech and neutral torrents count nothing; a sealed epoch not yet closed
 * counts as open), which its close will split.
 */
export async function allotmentLeft(env: Env, account: string, now = Date.now()): Promise<bigint> {
  const today = dayOf(Math.floor(now / 1000));
  const [states, open] = await Promise.all([
    allotmentStates(db(env.DB), [account], today),
    env.DB.prepare("SELECT coalesce(sum(credited_downloaded), 0) AS used FROM ledger WHERE member = ?1 AND epoch > (SELECT coalesce(max(epoch), 0) FROM epochs)").bind(account).first<{ used: number }>(),
  ]);
  const closed = freeRemaining(states.get(account)!, today);
  const pending = BigInt(open?.used ?? 0);
  return pending >= closed ? 0n : closed - pending;
}
