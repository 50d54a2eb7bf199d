// The cron (every minute): a challenge round when one is due, then the epoch close when
// EPOCH_SECONDS have passed since the last close (or since the open epoch's first challenge).

import { eq, max, min } from "drizzle-orm";
import { EPOCH_SECONDS } from "../protocol/params.ts";
import { secondsVar, type Env } from "./env.ts";
import { db, schema } from "./db/client.ts";
import { HttpError } from "./errors.ts";
import { openEpoch, runChallengeRound, type Dial, dialTcp } from "./challenge/round.ts";
import { closeEpoch } from "./epoch/close.ts";

export const DEFAULT_CHALLENGE_SECONDS = 600;

export interface TickResult {
  challenged: number;
  closed?: number;
  skipped?: string;
}

export async function tick(env: Env, now = Date.now(), dial: Dial = dialTcp): Promise<TickResult> {
  const d = db(env.DB);
  const result: TickResult = { challenged: 0 };
  const lastChallenge = await d.select({ at: max(schema.challenges.startedAt) }).from(schema.challenges).get();
  const challengeEvery = secondsVar(env.CHALLENGE_SECONDS, DEFAULT_CHALLENGE_SECONDS) * 1000;
  if (!lastChallenge?.at || now - lastChallenge.at >= challengeEvery) result.challenged = (await runChallengeRound(env, dial)).length;

  const epoch = await openEpoch(d);
  const lastClose = await d.select({ at: max(schema.epochs.closedAt) }).from(schema.epochs).get();
  const opened = lastClose?.at ?? (await d.select({ at: min(schema.challenges.startedAt) }).from(schema.challenges).where(eq(schema.challenges.epoch, epoch)).get())?.at;
  if (opened == null || now - opened < secondsVar(env.EPOCH_SECONDS, EPOCH_SECONDS) * 1000) return result;
  try {
    result.closed = (await closeEpoch(env, now)).epoch;
  } catch (e) {
    // Not an error of the cron: the epoch stays open until someone has earned.
    if (e instanceof HttpError && e.code === "nothing_earned") result.skipped = e.message;
    else throw e;
  }
  return result;
}
