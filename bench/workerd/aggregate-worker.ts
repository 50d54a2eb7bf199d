// The edge's epoch aggregation (bench/aggregate.ts: settleEpoch and the three reward trees) run
// inside workerd for bench/chain.ts. `?generate=N` builds an epoch of N nodes × 24 challenges in
// the isolate (not timed); `?run=1` aggregates it. The client times requests from outside, as
// workerd's clock does not advance during computation.

import { aggregate, generateEpoch } from "../aggregate.ts";
import type { SettleInputs } from "../../protocol/economics/settle.ts";

let inputs: SettleInputs | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const n = url.searchParams.get("generate");
    if (n !== null) {
      inputs = generateEpoch(Number(n));
      return Response.json({ challenges: inputs.challenges.length });
    }
    if (!inputs) return Response.json({ error: "generate first" }, { status: 409 });
    return Response.json(aggregate(inputs));
  },
};
