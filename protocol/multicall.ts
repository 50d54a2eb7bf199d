// Multicall3's address: the same on every major chain (deployed from a presigned transaction);
// on a local chain the deploy script puts our Aggregate3 (contracts/src/Aggregate3.sol) there.
// The worker reads many accounts through it (PLATFORM.md "EVM chains").

export const MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11" as const;

/** Calldata bytes per aggregate3 call: about 900 balance reads, well under an RPC's eth_call gas cap. */
export const MULTICALL_BATCH_BYTES = 32_768;
