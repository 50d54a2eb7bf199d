// A transcript as a challenges row and back (JSON columns for its lists). Apart from round.ts,
// which needs workerd's sockets, so Node code (bench:close's edge run) can make rows too.

import type { Hex } from "viem";
import type { Verdict } from "../../protocol/challenge/client.ts";
import type { ChallengeTry, Transcript } from "../../protocol/challenge/transcript.ts";
import { schema } from "../db/client.ts";

export function transcriptRow(t: Transcript): typeof schema.challenges.$inferInsert {
  return { ...t, blocks: JSON.stringify(t.blocks), blockHashes: JSON.stringify(t.blockHashes), tries: JSON.stringify(t.tries) };
}

export function transcriptFromRow(r: typeof schema.challenges.$inferSelect): Transcript {
  return {
    ...r,
    id: r.id as Hex,
    verdict: r.verdict as Verdict,
    blockHash: r.blockHash as Hex,
    hostedHash: r.hostedHash as Hex,
    signer: r.signer as Hex | null,
    signature: r.signature as Hex | null,
    nonce: r.nonce as Hex,
    nodeSignature: r.nodeSignature as Hex | null,
    blocks: JSON.parse(r.blocks) as number[],
    blockHashes: JSON.parse(r.blockHashes) as string[],
    tries: JSON.parse(r.tries) as ChallengeTry[],
  };
}

