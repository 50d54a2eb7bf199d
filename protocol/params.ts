// One place for every constant that more than one part must agree on (STYLE.md: one fact,
// one place). Solidity tests read these through protocol/vectors/params.json.

/** Storage-tree block size: BEP 52's 16 KiB leaf, also the BitTorrent request size. */
export const BLOCK_SIZE = 16 * 1024;

/**
 * Largest piece length a torrent may have: 256 MiB, the largest power of two libtorrent
 * accepts (its file_storage max_piece_size is 2^29 − 16 KiB). BEP 52 sets the floor (16 KiB,
 * a power of two) but no ceiling; real torrents stay far below this.
 */
export const MAX_PIECE_LENGTH = 2 ** 28;
/** Largest payload (the sum of a torrent's files, pad files included): libtorrent's max_file_offset, 2^48 − 1. */
export const MAX_TORRENT_LENGTH = 2 ** 48 - 1;

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
/** An epoch open this long past its length, or a close unfinished this long, is overdue (site, node status, /metrics); shorter epochs (development) use their length. */
export const EPOCH_OVERDUE_GRACE_SECONDS = 600;
export const DISPUTE_DELAY_SECONDS = 6 * 3_600;
export const UNBONDING_DELAY_SECONDS = 7 * 24 * 3_600;

/**
 * Chained blocks per challenge (protocol/challenge/chain.ts), fetched one after another, and a
 * cap for the whole exchange. 16 blocks: a node keeping 90% of a torrent is caught by one
 * challenge with probability 1 - 0.9^16 = 81% (docs/challenges.md has the table); 256 KiB of
 * blocks per challenge. Measured (test/adversarial/relay-latency.test.ts, loopback with a
 * delaying proxy): an honest node behind a 150 ms round trip answers the whole chain in about
 * 17 × 150 ms ≈ 2.6 s, well inside the cap.
 */
export const CHALLENGE_BLOCKS = 16;
export const CHALLENGE_DEADLINE_MS = 10_000;
/**
 * The chained blocks must arrive within CHALLENGE_BLOCKS × (round trip + slack), the round trip
 * as the handshake measured it, capped. The cap admits honest nodes on a 150 ms link (a round
 * trip across the world); the slack covers a random 16 KiB read from a slow disk (a spinning
 * disk's seek, ~10-20 ms) and scheduling. A relay pays its source's round trip on top of its
 * own for every block: a source 100 ms away overruns 60 ms of slack on every block. What stays
 * possible (docs/challenges.md): a relay that inflates its handshake to look far away gains up
 * to the cap per block.
 */
export const CHALLENGE_RTT_CAP_MS = 200;
export const CHALLENGE_BLOCK_SLACK_MS = 60;

/** Name of our BEP 10 extension that answers merkle paths for blocks already sent. */
export const PROOF_EXTENSION = "vidya_proof";
/**
 * The BEP 10 extension by which a node names its node address in its extended handshake (key
 * `vidya_node`, 20 raw bytes): a downloader signs upload receipts for the nodes it received from.
 */
export const NODE_EXTENSION = "vidya_node";
/** The BEP 10 extension by which a downloader hands its signed receipt to the node it names, which may submit it too. */
export const RECEIPT_EXTENSION = "vidya_receipt";

/** Announce timing (TRACKER-NOTES: interval with jitter, min interval enforced). */
export const ANNOUNCE_INTERVAL_SECONDS = 1_800;
export const ANNOUNCE_MIN_INTERVAL_SECONDS = 300;
export const DEFAULT_NUMWANT = 50;
export const MAX_NUMWANT = 200;

/**
 * The WebSocket tracker's limits per client connection (worker/ws/routes.ts), token buckets.
 * An honest WebTorrent page announces each torrent every 2 minutes with at most 5 offers
 * (bittorrent-tracker's websocket-tracker.js) and answers the offers it gets, in a burst when
 * it starts many torrents at once: these leave it ample room, while a flood is refused before
 * it reaches a swarm or the accounting, and a connection that keeps sending refused messages
 * runs out of strikes and is closed (1008, policy violation).
 */
export const WS_MESSAGE_BURST = 60;
export const WS_MESSAGES_PER_SECOND = 2;
/** Offers and answers relayed to other peers (each one reaches another member's socket). */
export const WS_RELAY_BURST = 120;
export const WS_RELAYS_PER_SECOND = 5;
/** Refused messages a connection may send before it is closed; one strike comes back every WS_STRIKE_REFILL_SECONDS. */
export const WS_STRIKES = 20;
export const WS_STRIKE_REFILL_SECONDS = 30;
/** Largest offer or answer relayed, as JSON: a real SDP with its ICE candidates is a few KiB. */
export const WS_MAX_SDP_BYTES = 16 * 1024;

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
 * Held-back earnings by node age (DESIGN.md "Stake without buying the token" and "Penalties";
 * contracts/src/HeldEarnings.sol, protocol/economics/holdback.ts). Each claim holds back a share
 * of its amount that vests linearly; until it vests it is the node's slashable bond, taken before
 * any sponsor's. The share and the vesting period follow the node's age, counted on-chain from its
 * first claim: a new node holds back HOLDBACK_NEW_BPS over HOLDBACK_NEW_VESTING_SECONDS, both
 * falling linearly to HOLDBACK_BPS over HOLDBACK_VESTING_SECONDS at HOLDBACK_AGE_RAMP_SECONDS.
 * New keys are the cheapest identities (a Sybil's, a relay's), so they carry the largest bond and
 * wait longest for it; an established node keeps most of its income flowing. Storj holds back 75%
 * of a node's first three months and less each quarter after; Filecoin vests 75% of block rewards
 * over 180 days. At a steady income claimed each epoch the held amount settles at income × share ×
 * (vesting period + one epoch) ÷ 2 (new amounts merge into a linear schedule, so half the period
 * remains on average): 33.8 days of income for a new node, 7.5 days for an aged one
 * (economics-identity.test.ts). A small node (~0.7 VIDYA a day) holds up to ~24 VIDYA while new
 * and ~5 once aged; the bond covers a full fraud slash (FRAUD_SLASH, 50 VIDYA) for a new node
 * earning about 1.5 VIDYA a day and an aged one earning about 6.7: beyond the bond a slash takes
 * any sponsor's stake.
 */
export const HOLDBACK_BPS = 5_000n;
export const HOLDBACK_VESTING_SECONDS = 30 * 24 * 3_600;
export const HOLDBACK_NEW_BPS = 7_500n;
export const HOLDBACK_NEW_VESTING_SECONDS = 90 * 24 * 3_600;
export const HOLDBACK_AGE_RAMP_SECONDS = 180 * 24 * 3_600;

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
 * distinct nodes (on distinct /24 or /48 subnets) report the same root from the piece-checked
 * payload. v2 and hybrid torrents commit to their roots in the info dict (BEP 52).
 */
export const ROOT_CONFIRMATIONS = 2;

/**
 * A node's tracker key (not a member passkey) covers its hosted subset and what it reported
 * fetching to host (FetchSubset) in the last FETCH_ACCESS_SECONDS, at most MAX_FETCHING
 * torrents at a time: a fresh node key cannot open the whole index (DESIGN.md "Identities").
 */
export const FETCH_ACCESS_SECONDS = 24 * 3_600;
export const MAX_FETCHING = 64;

/**
 * Consequences (DESIGN.md "Unavailable is not fraud"). A missed challenge loses the epoch's
 * hosting reward for that replica; a replica that misses in consecutive epochs pays a fault fee
 * from its node's bond sized by that replica's expected reward for the epoch (what it would
 * have earned had it proved, protocol/epoch/replica-faults.ts): FAULT_FEE_EPOCHS_BASE epochs of
 * it for the second epoch in a row, doubling each epoch, at most FAULT_FEE_EPOCHS_CAP epochs
 * (Filecoin's fault fee is per sector, ~3.5 days of its reward per faulty day). So an outage
 * costs a 5 GB node and a 5 TB node the same multiple of their income. A signed answer that
 * fails verification against a confirmed root is fraud: FRAUD_SLASH for the epoch. Nodes of one
 * /24 (IPv4) or /48 (IPv6) subnet that fault in the same epoch pay their penalties times
 * 1 + CORRELATION_STEP_BPS × (faulty nodes − 1), at most CORRELATION_CAP_BPS. Amounts are what
 * the leaves commit to; the contract takes at most the node's bond.
 */
export const FAULT_FEE_EPOCHS_BASE = 2n;
export const FAULT_FEE_EPOCHS_CAP = 24n;
// The node-wide fees of epochs settled before per-replica fees (protocol/epoch/evaluate.ts
// `faultFee`, which `vidya verify` re-runs for them): FAULT_FEE_BASE for the second faulty epoch
// in a row, doubling, at most FAULT_FEE_CAP, whatever the node's size.
export const FAULT_FEE_BASE = ONE_TOKEN / 20n;
export const FAULT_FEE_CAP = 16n * FAULT_FEE_BASE;
export const FRAUD_SLASH = 50n * ONE_TOKEN;
/**
 * A fraud slash by evidence (contracts/src/FraudEvidence.sol, `vidya slash <evidence.json>`): a
 * node's signed answer with a wrong block hash takes FRAUD_SLASH from its bond, of which the
 * submitter gets FRAUD_REWARD_BPS and the rest is burned. Enough to pay an auditor's gas and time
 * (5 VIDYA of a full slash); small enough that a node reporting itself still loses 90%.
 */
export const FRAUD_REWARD_BPS = 1_000n;
export const CORRELATION_STEP_BPS = 5_000n;
export const CORRELATION_CAP_BPS = 30_000n;

// ---------------------------------------------------------------------------------------------
// The economics engine (protocol/economics/; DESIGN.md "The mechanism"). Amounts in wei-like
// units, multipliers in basis points (10,000 = 1×). docs/economics/report.md shows what these
// numbers do over months of simulated epochs.

/** Basis points: 10,000 = 100% = 1×. */
export const BPS = 10_000n;

/** Rewards and prices are quoted per decimal gigabyte, the unit of the storage cap (5 GB = 5 × 10⁹ bytes). */
export const BYTES_PER_GB = 1_000_000_000n;

/**
 * Saturation (DESIGN.md flow 5): forecast download demand ÷ forecast upload capacity over the
 * next SURGE_HORIZON_SECONDS, per torrent, from the swarm's deltas over windows of
 * SURGE_WINDOW_SECONDS (protocol/economics/saturation.ts). Rates are exponentially weighted
 * moving averages with weight FORECAST_ALPHA_BPS on the newest window: 2,063 bps is a half-life
 * of three windows, the 15-minute horizon itself. A seeder is assumed to upload at least
 * SEEDER_RATE_FLOOR (bytes/s) until the swarm shows it faster; a leecher's backlog counts at most
 * LEECHER_RATE_CAP (bytes/s) over the horizon. Saturation is capped at SATURATION_MAX_BPS (100×).
 */
export const SURGE_WINDOW_SECONDS = 300;
export const SURGE_HORIZON_SECONDS = 900;
export const FORECAST_ALPHA_BPS = 2_063n;
export const SEEDER_RATE_FLOOR = 1_000_000n;
export const LEECHER_RATE_CAP = 12_500_000n;
export const SATURATION_MAX_BPS = 1_000_000n;

/**
 * Surge (protocol/economics/surge.ts): each window the multiplier moves toward
 * SATURATION_TARGET_BPS by at most 1/SURGE_STEP_DENOMINATOR of itself (EIP-1559's base fee
 * moves at most 1/8 a block), within [SURGE_FLOOR_BPS, SURGE_CAP_BPS]. At the target, demand
 * uses 80% of the capacity: headroom for the forecast's error.
 */
export const SATURATION_TARGET_BPS = 8_000n;
export const SURGE_STEP_DENOMINATOR = 8n;
export const SURGE_FLOOR_BPS = 5_000n;
export const SURGE_CAP_BPS = 40_000n;

/**
 * Access routes (protocol/economics/access.ts), both from the proposal. `fixed-gate` (default):
 * ACCESS_STAKE to join, downloads at DOWNLOAD_PRICE_PER_GB × surge. `dynamic-gate`: the stake
 * to join is ACCESS_STAKE × a gate multiplier that moves once an epoch toward the network's
 * saturation target (same 1/8 step, within [GATE_FLOOR_BPS, GATE_CAP_BPS]), downloads at
 * DOWNLOAD_PRICE_PER_GB flat.
 */
export const DOWNLOAD_PRICE_PER_GB = ONE_TOKEN / 10n;
export const GATE_FLOOR_BPS = 2_500n;
export const GATE_CAP_BPS = 100_000n;

/**
 * The join fee (DESIGN.md "Fees to stakers come from joiners and downloaders"): a member who
 * joins by stake also pays JOIN_FEE_BPS of the gate stake in force (10 VIDYA at the neutral
 * gate) into the fee pool (Staking.payJoinFee), streamed to stakers over FEE_STREAM_SECONDS with
 * the download fees. It moves with the dynamic gate; an invite admits without it.
 */
export const JOIN_FEE_BPS = 1_000n;

/**
 * Freemium (protocol/economics/allotment.ts): FREE_ALLOTMENT_BYTES of downloads in any
 * FREE_ALLOTMENT_DAYS (rolling, counted per UTC day). Past it a member with a deposit pays; one
 * without is slowed: SLOW_NUMWANT peers at most, announces every SLOW_INTERVAL_SECONDS.
 */
export const FREE_ALLOTMENT_BYTES = 10n * BYTES_PER_GB;
export const FREE_ALLOTMENT_DAYS = 30;
export const SLOW_NUMWANT = 5;
export const SLOW_INTERVAL_SECONDS = 3_600;
export const SLOW_MIN_INTERVAL_SECONDS = 1_800;

/**
 * Hosting rewards (protocol/economics/hosting-rewards.ts): a counted replica weighs
 * length × scarcity × demand × geo × vetting. Scarcity = SCARCITY_TARGET_REPLICAS ÷ the
 * torrent's vetted replicas (Σ of their vetting ramps), at most SCARCITY_MAX_BPS and with no
 * floor: a torrent's total weight never grows past what SCARCITY_TARGET_REPLICAS replicas are
 * paid, so extra replicas (Sybil ones included) split it and add nothing. Demand = the
 * torrent's surge multiplier within [1×, DEMAND_WEIGHT_CAP_BPS]: in-demand means demand above
 * capacity, not many downloads. Geo: +GEO_BOOST_BPS for a replica more than GEO_DISTANCE_KM
 * from every other counted seed of the torrent, or among its first 1/GEO_FIRST_SEEDERS_DIVISOR
 * of seeders (by how long each has proved it); scarcity counts boosted replicas at 1.15, so a
 * boost moves share within its torrent and never grows the torrent's total. At most one replica per torrent per /24 (IPv4)
 * or /48 (IPv6) counts.
 */
export const SCARCITY_TARGET_REPLICAS = 3n;
export const SCARCITY_MAX_BPS = 30_000n;
export const DEMAND_WEIGHT_CAP_BPS = 20_000n;
export const GEO_BOOST_BPS = 1_500n;
export const GEO_DISTANCE_KM = 100;
export const GEO_FIRST_SEEDERS_DIVISOR = 3;

/**
 * Vetting (DESIGN.md "Identities cost something"; hosting-rewards.ts `vettingBps`): a node's
 * replicas weigh VETTING_START_BPS of their weight until it has passed any challenge, rising
 * linearly to full weight at VETTING_AUDITS passed challenges (Storj vets a new node over about
 * 100 audits). The count is carried from epoch to epoch in the published settlement state, so
 * a fresh identity costs the rewards it forgoes while it is vetted.
 */
export const VETTING_AUDITS = 100;
export const VETTING_START_BPS = 1_000n;

/**
 * Suspension per replica (protocol/economics/settle.ts), with a grace period: a replica (node,
 * torrent) whose misses run into REPLICA_SUSPENSION_STREAK consecutive epochs is suspended: it
 * earns no hosting reward and no bounty share in the next epoch it is challenged, even if it
 * passes (that clean epoch reinstates it). The node's other replicas are not touched: a node
 * with 1,000 torrents that misses 0.2% of its challenges at random is not suspended. Filecoin's
 * faulty sectors likewise earn nothing while they pay fault fees, sector by sector.
 */
export const REPLICA_SUSPENSION_STREAK = 3;

/**
 * Suspension of a whole node (protocol/epoch/replica-faults.ts `nodeStreaks`): a node in which
 * at least NODE_FAULT_RATE_BPS of its challenged replicas newly miss (having passed the epoch
 * before) in SUSPENSION_STREAK epochs running earns nothing (no hosting reward, no bounty share)
 * in the second and later such epochs. A relay fetching challenged blocks from the swarm misses
 * a fresh share of them every epoch (the simulation's: 15%) and loses most of its income; an
 * honest node missing 0.2% of its 1,000 replicas stays far below the rate, and a replica that
 * keeps failing is new only once: it is suspended alone (REPLICA_SUSPENSION_STREAK).
 */
export const NODE_FAULT_RATE_BPS = 500n;
export const SUSPENSION_STREAK = 2;

/**
 * Upload rewards (protocol/economics/upload-rewards.ts): the upload pool is shared by paid
 * uploaded bytes × the torrent's upload multiplier (its surge), each swarm's credited upload
 * capped by what its paying downloaders downloaded, and each uploader's reward capped at
 * UPLOAD_PRICE_SHARE_BPS of what its credited bytes were paid: below the price, so trading with
 * yourself loses at least a fifth of what you pay, more than a staker's share of the fees it
 * pays could return. What the upload pool does not pay goes to the hosting pool of the epoch.
 */
export const UPLOAD_PRICE_SHARE_BPS = 8_000n;

/**
 * Bounties (protocol/economics/bounties.ts): each epoch BOUNTY_DRAW_BPS of what is left of a
 * torrent's bounty is paid, in equal parts, to its counted proven replicas (none proven: nothing
 * drawn, the bounty waits for hosts). 60 bps an hourly epoch pays half a bounty in about 4.8 days;
 * an epoch draws at least BOUNTY_MIN_DRAW (or what is left), so a bounty ends instead of
 * dwindling forever.
 */
export const BOUNTY_DRAW_BPS = 60n;
export const BOUNTY_MIN_DRAW = ONE_TOKEN;

// ---------------------------------------------------------------------------------------------
// Bounded counters (DESIGN.md "No client-reported number moves money unless payment or proof
// backs it"; protocol/accounting/bounds.ts). A client's `uploaded`/`downloaded`/`left` are its
// own claims; the tracker credits only what the torrent and the session make physically possible.

/**
 * The fastest a session is credited, either direction: 1 Gbit/s (125 MB/s). The top tier of
 * home fibre and the usual seedbox port; one torrent in one client rarely sustains more, and a
 * real 10 Gbit/s seedbox loses only ratio above it (tokens follow payment, not this counter).
 * A lie above it gains at most this rate × the time between announces.
 */
export const MAX_SESSION_BYTES_PER_SECOND = 125_000_000;
/**
 * Slack added to the elapsed time of a delta: a client reads its counters before the request
 * leaves, and the request can be delayed, retried or reordered; 30 s covers a slow network
 * round trip and a retry without letting a burst claim minutes of transfer.
 */
export const COUNTER_BURST_SECONDS = 30;
/**
 * A session downloads at most the torrent's length plus this re-request slack: pieces that fail
 * their hash are fetched again and end-game mode requests the last blocks from several peers at
 * once. 10% of the length, and at least DOWNLOAD_SLACK_MIN_BYTES (one 16 MiB piece of a small
 * torrent failing twice).
 */
export const DOWNLOAD_SLACK_BPS = 1_000;
export const DOWNLOAD_SLACK_MIN_BYTES = 32 * 1024 * 1024;
/**
 * A leecher counts toward a swarm's demand (surge, and through it hosting weights) only while it
 * is receiving bytes: a credited `downloaded` increase within this long. Twice the announce
 * interval: a downloading client announces at least once in it.
 */
export const RECEIVING_WINDOW_SECONDS = 2 * ANNOUNCE_INTERVAL_SECONDS;

// Upload receipts (DESIGN.md "Upload rewards"; worker/receipts/routes.ts).
/**
 * Receipt rows one member may hold in one epoch (one per uploader, torrent and session): a
 * download session names a handful of nodes, so 1,000 covers hundreds of downloads an epoch
 * while keeping the table and the published inputs bounded. Money is bounded anyway: a member's
 * receipts never credit more than it paid for.
 */
export const MAX_RECEIPTS_PER_MEMBER_EPOCH = 1_000;
/** How often a downloader signs and submits its receipts while downloading (bytes received since the last). */
export const RECEIPT_INTERVAL_BYTES = 64 * 1024 * 1024;
/** How often a downloader (`vidya get`, a node fetching to host) checks whether a receipt grew by RECEIPT_INTERVAL_BYTES. */
export const RECEIPT_FLUSH_MS = 5_000;

// The token's market (DESIGN.md "The token's market is Uniswap"; contracts/uniswap.ts).
/** The VIDYA/WETH pool's fee tier: 0.3%, in Uniswap v3's hundredths of a basis point; its tick spacing is 60. */
export const POOL_FEE = 3_000;
export const POOL_TICK_SPACING = 60;
/** The price a new local pool opens at: 0.0001 ETH a VIDYA, so the access stake costs 0.01 ETH. */
export const INITIAL_PRICE_WEI_PER_VIDYA = 10n ** 14n;
/** VIDYA the local network's treasury puts in the pool, beside the ETH worth as much at the opening price. */
export const LOCAL_POOL_VIDYA = 1_000_000n * ONE_TOKEN;
/**
 * Observations the pool keeps (Uniswap v3's oracle ring): one per block with a trade, so 100 cover
 * the TWAP window on a chain with a trade a block every 18 s or slower. Raising it costs ~20k gas a slot, once.
 */
export const POOL_OBSERVATION_CARDINALITY = 100;
/** The time-weighted average price's window: 30 minutes, long enough that moving it costs a manipulator many blocks. */
export const TWAP_WINDOW_SECONDS = 1_800;
/** Default slippage bound of a swap (`--slippage`): 0.5%, Uniswap's interface's default. */
export const DEFAULT_SLIPPAGE_BPS = 50;
/** A swap left pending longer than this reverts ("Transaction too old") rather than executing at a stale price. */
export const SWAP_DEADLINE_SECONDS = 20 * 60;
/**
 * Gas sent with a Uniswap call, in percent of its estimate: the pool writes an oracle observation
 * only in the first trade of a new block second, so an estimate taken in the block of the last
 * observation is short by that write when the call is mined a second later (reverts out of gas).
 */
export const UNISWAP_GAS_HEADROOM_PERCENT = 130n;
// Reachability (issue 15 part 1): port mapping at home and the edge's dial-back check.
/**
 * Lifetime asked of a NAT-PMP or UPnP-IGD port mapping: RFC 6886's recommended two hours. The
 * node renews at half the lifetime the gateway granted (RFC 6886 section 3.3) and deletes the
 * mapping on a clean stop.
 */
export const NAT_MAPPING_LIFETIME_SECONDS = 7_200;
/**
 * One reachability check (`vidya node check`, POST /api/nodes/check) per node this often: each
 * makes the edge open a connection (Workers allow six at a time), so a node cannot make the edge
 * dial in a loop.
 */
export const NODE_CHECK_INTERVAL_SECONDS = 20;

/**
 * The epoch close's page sizes (worker/epoch/): torrents a page of the paged settlement
 * (EPOCH_SETTLE_PAGE_TORRENTS overrides it), members a ledger read (each member's rows whole:
 * its allotment runs across its torrents), challenges a read of the published inputs (about
 * 1.2 KB each). Each bounds what one step holds; bench/close.ts runs the same sizes.
 */
export const SETTLE_PAGE_TORRENTS = 1_000;
export const LEDGER_PAGE_MEMBERS = 500;
export const CHALLENGE_PAGE_ROWS = 4_000;
/**
 * Page results (of the three sweeps) one invocation of a paged close computes before it stops,
 * its pages stored, for the next tick: a Worker has 30 s of CPU an invocation.
 */
export const SETTLE_PAGES_PER_TICK = 60;
