// The key that signs challenge transcripts (EIP-712 ChallengeTranscript): TRANSCRIPT_PRIVATE_KEY,
// else the chain poster's CHAIN_PRIVATE_KEY. With neither (a chainless dev edge), transcripts
// are kept unsigned (signer and signature null) and say so.

import type { Hex, LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Env } from "../env.ts";

const KEY = /^0x[0-9a-fA-F]{64}$/;

export function transcriptSigner(env: Env): LocalAccount | undefined {
  const key = env.TRANSCRIPT_PRIVATE_KEY && KEY.test(env.TRANSCRIPT_PRIVATE_KEY) ? env.TRANSCRIPT_PRIVATE_KEY : env.CHAIN_PRIVATE_KEY;
  return key && KEY.test(key) ? privateKeyToAccount(key as Hex) : undefined;
}
