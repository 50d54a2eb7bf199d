// Members' free-allotment state as the epoch closes recorded it (the `allotments` table: free
// bytes per UTC day, protocol/economics/allotment.ts). Read by the close, which extends it,
// and by the site's profile, which shows what is left.

import { and, inArray, lt } from "drizzle-orm";
import type { AllotmentState } from "../../protocol/economics/allotment.ts";
import { inChunks, schema, type Db } from "../db/client.ts";

/** Each member's state up to `day` (days after it are ignored); a member with no rows has used nothing. */
export async function allotmentStates(d: Db, members: string[], day: number): Promise<Map<string, AllotmentState>> {
  const used = await inChunks(members, (part) =>
    d.select().from(schema.allotments).where(and(inArray(schema.allotments.member, part), lt(schema.allotments.day, day + 1))),
  );
  const state = new Map<string, AllotmentState>(members.map((m) => [m, { days: [] }]));
  for (const u of used) state.get(u.member)!.days.push({ day: u.day, bytes: BigInt(u.bytes) });
  return state;
}
