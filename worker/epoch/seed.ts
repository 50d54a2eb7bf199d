// The challenge seed of each epoch (protocol/challenge/schedule.ts): drawn and committed
// (keccak256 published) when the epoch opens, revealed in its inputs when it closes. Only the
// scheduler opens epochs, so one epoch has one seed.

import { eq } from "drizzle-orm";
import { newSeed, seedCommitment, type ScheduleParams } from "../../protocol/challenge/schedule.ts";
import { CHALLENGE_BLOCKS, CHALLENGE_ROUNDS_PER_EPOCH, CHALLENGE_SPAN_BPS, CHALLENGE_SPOT_CHECKS, EPOCH_SECONDS } from "../../protocol/params.ts";
import { secondsVar, type Env } from "../env.ts";
import { schema, type Db } from "../db/client.ts";

export type SeedRow = typeof schema.epochSeeds.$inferSelect;

/** What the schedule of an epoch is fixed to when it opens; published with its inputs. */
export interface EpochSchedule extends Required<Omit<ScheduleParams, "openedAt">> {
  challengeBlocks: number;
}

export function roundsPerEpoch(env: Env): number {
  const n = Number(env.CHALLENGE_ROUNDS ?? CHALLENGE_ROUNDS_PER_EPOCH);
  return Number.isInteger(n) && n >= 0 ? n : CHALLENGE_ROUNDS_PER_EPOCH;
}

export function scheduleFor(env: Env): EpochSchedule {
  return {
    epochMs: secondsVar(env.EPOCH_SECONDS, EPOCH_SECONDS) * 1000,
    // Zero rounds (admin rounds only) still needs a divisor for admin rounds' coverage.
    roundsPerEpoch: Math.max(roundsPerEpoch(env), 1),
    spanBps: CHALLENGE_SPAN_BPS,
    spotChecks: CHALLENGE_SPOT_CHECKS,
    challengeBlocks: CHALLENGE_BLOCKS,
  };
}

export function newSeedRow(env: Env, epoch: number, openedAt: number): SeedRow {
  const seed = newSeed(crypto.getRandomValues(new Uint8Array(32)));
  return { epoch, seed, commitment: seedCommitment(seed), openedAt, schedule: JSON.stringify(scheduleFor(env)) };
}

export function scheduleOf(row: SeedRow): EpochSchedule & { openedAt: number } {
  return { ...(JSON.parse(row.schedule) as EpochSchedule), openedAt: row.openedAt };
}

export async function seedOf(d: Db, epoch: number): Promise<SeedRow | undefined> {
  return d.select().from(schema.epochSeeds).where(eq(schema.epochSeeds.epoch, epoch)).get();
}

/** The epoch's seed row, drawing and committing it now if the epoch has not opened yet. */
export async function ensureOpen(env: Env, d: Db, epoch: number, now: number): Promise<SeedRow> {
  await d.insert(schema.epochSeeds).values(newSeedRow(env, epoch, now)).onConflictDoNothing();
  return (await seedOf(d, epoch))!;
}
