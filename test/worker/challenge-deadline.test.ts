// The challenge deadline var (CHALLENGE_DEADLINE_MS): tests shorten it to wait out silent nodes
// sooner; nothing may lengthen it past the protocol's, which would let a slow relay's chain in.

import { describe, expect, it } from "vitest";
import { deadlineOf } from "../../worker/challenge/round.ts";
import { CHALLENGE_DEADLINE_MS } from "../../protocol/params.ts";
import type { Env } from "../../worker/env.ts";

const withVar = (v: string | undefined) => ({ CHALLENGE_DEADLINE_MS: v }) as Env;

describe("challenge deadline var", () => {
  it("takes a test edge's shorter deadline, and the protocol's when unset", () => {
    expect(deadlineOf(withVar(undefined))).toBe(CHALLENGE_DEADLINE_MS);
    expect(deadlineOf(withVar("3000"))).toBe(3_000);
  });

  it("never lengthens the deadline nor takes a nonsense one (attack: a deployment var letting a far relay's chain in)", () => {
    for (const v of [String(CHALLENGE_DEADLINE_MS + 1), "60000", "0", "-5", "abc", "2.5", "499"]) expect(deadlineOf(withVar(v)), v).toBe(CHALLENGE_DEADLINE_MS);
  });
});
