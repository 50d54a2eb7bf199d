// The cron (every minute) wakes the ChallengeScheduler: it opens the epoch when none is open
// (drawing and committing its seed), re-arms its alarm for the next round due, and closes
// the epoch when EPOCH_SECONDS have passed since it opened. Rounds themselves run on the
// scheduler's alarms, at the random times the seed decides.

import type { Env } from "./env.ts";
import { scheduler, unwrap, type TickResult } from "./challenge/scheduler.ts";

export type { TickResult };

export async function tick(env: Env, now = Date.now()): Promise<TickResult> {
  return unwrap(await scheduler(env).tick(now));
}
