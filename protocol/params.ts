// One place for every constant that more than one part must agree on (STYLE.md: one fact,
// one place). Solidity tests read these through protocol/vectors/params.json.

/** Storage-tree block size: BEP 52's 16 KiB leaf, also the BitTorrent request size. */
export const BLOCK_SIZE = 16 * 1024;

/** $VIDYA has 18 decimals like ether; amounts are integers in the smallest unit. */
export const TOKEN_DECIMALS = 18;
export const ONE_TOKEN = 10n ** 18n;

/** Minted once at deployment to the genesis holder (treasury, faucet in dev). */
export const GENESIS_SUPPLY = 100_000_000n * ONE_TOKEN;

/**
 * Constant inflation: a fixed budget per epoch. 5% a year of the genesis supply over
 * hourly epochs (8,760 a year) is about 570.78 VIDYA an epoch.
 */
export const EPOCHS_PER_YEAR = 8_760n;
export const ANNUAL_INFLATION_BPS = 500n;
export const EMISSION_PER_EPOCH = (GENESIS_SUPPLY * ANNUAL_INFLATION_BPS) / 10_000n / EPOCHS_PER_YEAR;

/** Share of each epoch's emission paid for hosting; the rest is the upload pool. */
export const HOSTING_POOL_BPS = 7_000n;
export const HOSTING_POOL = (EMISSION_PER_EPOCH * HOSTING_POOL_BPS) / 10_000n;
export const UPLOAD_POOL = EMISSION_PER_EPOCH - HOSTING_POOL;

/** Access stake a member must hold in the staking contract to be admitted without an invite. */
export const ACCESS_STAKE = 100n * ONE_TOKEN;

/** Production epoch length and dispute window; dev overrides both with short values. */
export const EPOCH_SECONDS = 3_600;
export const DISPUTE_DELAY_SECONDS = 6 * 3_600;
export const UNBONDING_DELAY_SECONDS = 7 * 24 * 3_600;

/** Blocks fetched per challenge and the deadline for the whole exchange (design: a few seconds). */
export const CHALLENGE_BLOCKS = 3;
export const CHALLENGE_DEADLINE_MS = 5_000;

/** Name of our BEP 10 extension that answers merkle paths for blocks already sent. */
export const PROOF_EXTENSION = "vidya_proof";

/** Announce timing (TRACKER-NOTES: interval with jitter, min interval enforced). */
export const ANNOUNCE_INTERVAL_SECONDS = 1_800;
export const ANNOUNCE_MIN_INTERVAL_SECONDS = 300;
export const DEFAULT_NUMWANT = 50;
export const MAX_NUMWANT = 200;

/** Default disk a node offers (the design's 5 GB). */
export const DEFAULT_STORAGE_CAP_BYTES = 5 * 1000 ** 3;
