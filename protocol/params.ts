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

/**
 * Lockups (contracts/src/Staking.sol): a stake locked for t seconds weighs
 * 1 + (LOCK_BOOST_CAP − 1) × √(t / MAX_LOCK_SECONDS) in the fee pool, a power law with
 * exponent ½, capped at LOCK_BOOST_CAP for a lock of MAX_LOCK_SECONDS. 18-decimal fixed point.
 */
export const WAD = 10n ** 18n;
export const MAX_LOCK_SECONDS = 2 * 365 * 24 * 3_600;
export const LOCK_BOOST_CAP = 3n * WAD;

/**
 * Held-back earnings (DESIGN.md "Stake without buying the token"; contracts/src/HeldEarnings.sol):
 * every claim pays HOLDBACK_BPS of its amount later, vesting linearly over HOLDBACK_VESTING_SECONDS;
 * until it vests the held amount is the node's slashable bond, taken before any sponsor's. At a
 * steady income the held amount settles near income × vesting period × HOLDBACK_BPS (new amounts
 * merge into the running schedule), so a node's bond grows with its share of the rewards.
 * Filecoin holds 75% of block rewards for 180 days; Storj 75% → 0% over a node's first nine
 * months. Half for 30 days keeps a small node's income flowing while covering a fraud slash
 * (FRAUD_SLASH) after a few weeks of hosting.
 */
export const HOLDBACK_BPS = 5_000n;
export const HOLDBACK_VESTING_SECONDS = 30 * 24 * 3_600;

/** Fees paid into the pool are streamed to stakers over this window (Synthetix StakingRewards). */
export const FEE_STREAM_SECONDS = 30 * 24 * 3_600;

/**
 * A member's deposit is withdrawable this long after asking: time for the epoch of their last
 * paid download to close (EPOCH_SECONDS), pass its dispute window (DISPUTE_DELAY_SECONDS) and
 * be settled by the edge, with a day to spare.
 */
export const ESCROW_WITHDRAWAL_DELAY_SECONDS = EPOCH_SECONDS + DISPUTE_DELAY_SECONDS + 24 * 3_600;

/**
 * Challenge schedule (DESIGN.md flow 4): every node gets this many rounds per epoch, one at a
 * random time in each equal slice of the epoch's first 90%. A round challenges a slice of the
 * node's hosted subset (every torrent once per epoch) plus one spot check anywhere in it.
 */
export const CHALLENGE_ROUNDS_PER_EPOCH = 6;
export const CHALLENGE_SPOT_CHECKS = 1;
/** Share of the epoch (basis points) over which rounds are spread, leaving time to close. */
export const CHALLENGE_SPAN_BPS = 9_000;
/**
 * A challenge that does not pass is tried again up to this many times, with the same blocks,
 * after a short doubling backoff (Storj re-verifies a failed audit before it counts).
 */
export const CHALLENGE_RETRIES = 2;
export const CHALLENGE_RETRY_BACKOFF_MS = 250;

/**
 * Storage roots of v1 torrents are supplied by the curator and confirmed when this many
 * distinct nodes (on distinct /24 or /64 subnets) report the same root from the piece-checked
 * payload. v2 and hybrid torrents commit to their roots in the info dict (BEP 52).
 */
export const ROOT_CONFIRMATIONS = 2;

/**
 * Consequences (DESIGN.md "Unavailable is not fraud"). A missed challenge loses the epoch's
 * hosting reward for the torrent; a node that misses in consecutive epochs pays a fault fee
 * from its bond, FAULT_FEE_BASE for the second epoch in a row, doubling each epoch, at most
 * FAULT_FEE_CAP. A signed answer that fails verification against a confirmed root is fraud:
 * FRAUD_SLASH for the epoch. Nodes of one /24 (IPv4) or /64 (IPv6) subnet that fault in the
 * same epoch pay their penalties times 1 + CORRELATION_STEP_BPS × (faulty nodes − 1), at most
 * CORRELATION_CAP_BPS. Amounts are what the leaves commit to; the contract takes at most
 * the node's bond.
 */
export const FAULT_FEE_BASE = 1n * ONE_TOKEN;
export const FAULT_FEE_CAP = 16n * ONE_TOKEN;
export const FRAUD_SLASH = 50n * ONE_TOKEN;
export const CORRELATION_STEP_BPS = 5_000n;
export const CORRELATION_CAP_BPS = 30_000n;
