import { applyD1Migrations, env } from "cloudflare:test";
import { afterEach } from "vitest";
import worker from "../../worker/index.ts";
import { ChallengeScheduler } from "../../worker/challenge/scheduler.ts";
import { SwarmShard } from "../../worker/swarm/shard.ts";
import { WsSwarm } from "../../worker/ws/swarm.ts";
import { guardD1, guardHandler, guardInvocations, takeViolations } from "./support/d1-guard.ts";

// Setup files run outside per-file storage isolation and may run more than once;
// applyD1Migrations only applies what is missing.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// D1's production limits hold in every worker test (support/d1-guard.ts): a breach fails the
// test even when the worker caught the error and went on.
guardD1(env.DB);
guardHandler(worker as unknown as Record<string, unknown>);
for (const cls of [ChallengeScheduler, SwarmShard, WsSwarm]) guardInvocations(cls);
afterEach(() => {
  const v = takeViolations();
  if (v.length) throw new Error(`D1 limits broken (PLATFORM.md):\n${v.join("\n")}`);
});
