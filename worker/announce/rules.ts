// The private tracker's rules in one place (issue 3; Gazelle/Ocelot and UNIT3D practice).
// Protocol timings shared with other parts (interval, min interval, numwant) are in
// protocol/params.ts; these are the tracker's own.

import { ANNOUNCE_INTERVAL_SECONDS, ANNOUNCE_MIN_INTERVAL_SECONDS } from "../../protocol/params.ts";

/**
 * `min interval` is enforced per endpoint with this much slack for clocks and timers: an
 * announce without an event from the same address and port sooner than min interval minus
 * the tolerance is answered without peers and with a warning, and its counters still count
 * (as UNIT3D-Announce does: delta accounting cannot credit a byte twice, so refusing the
 * credit would only lose bytes; the peer list is what costs, so that is what is withheld).
 */
export const MIN_INTERVAL_TOLERANCE_SECONDS = 30;
export const MIN_ANNOUNCE_GAP_MS = (ANNOUNCE_MIN_INTERVAL_SECONDS - MIN_INTERVAL_TOLERANCE_SECONDS) * 1_000;

/**
 * The duplicate-announce lock: a session's announce within this window of its last credited
 * one (a retry, the second family of a dual-stack client, another interface of a multi-homed
 * one, two requests in flight) is answered but not credited; its bytes count at the next one.
 */
export const DUPLICATE_WINDOW_MS = 1_000;

/**
 * Counters lower than the session's within this window of its last credit are a request that
 * was overtaken (reordered or retried), not a restarted client: ignored, never a new baseline.
 * Later, lower counters are a new client session (TRACKER-NOTES "Accounting"): credit zero.
 */
export const STALE_WINDOW_MS = 60_000;

/** Client sessions (peer ids) one member may have in one swarm (UNIT3D's `rate_limit`, 3). */
export const MAX_PEERS_PER_MEMBER_TORRENT = 3;

/** Members who joined less than this long ago are newcomers (the hot-list rule below). */
export const NEWCOMER_MS = 14 * 24 * 3_600_000;

/**
 * A swarm with fewer seeds than this needs seeders: it is on the hot list. When such a swarm
 * also has others waiting to download it, a newcomer's session that starts leeching it
 * downloads without charge (credited download zero): new members fetch what others are
 * waiting for and earn their first credit by seeding it to them.
 */
export const HOT_MAX_SEEDERS = 3;

/** A torrent waiting for a curator: clients retry soon (TRACKER-NOTES: short retry for states that clear). */
export const MODERATION_RETRY_SECONDS = 60;
/** Failures only a person can fix (unknown passkey, refused client, unregistered torrent). */
export const PERMANENT_RETRY_SECONDS = ANNOUNCE_INTERVAL_SECONDS;
/** Failures that clear by themselves (an internal error, no address). */
export const TRANSIENT_RETRY_SECONDS = ANNOUNCE_MIN_INTERVAL_SECONDS;

/** Slowed members (DESIGN.md "Access and downloads"): fewer peers, a longer interval. */
export const SLOWED_NUMWANT = 10;
export const SLOWED_INTERVAL_FACTOR = 2;

/** A session's seed time accrues only across gaps shorter than this (TRACKER-NOTES "Accounting"). */
export const SEED_GAP_CAP_MS = 2 * ANNOUNCE_INTERVAL_SECONDS * 1_000;

/** Torrent credit flags, as the worker passes them to the shard (schema.torrents). */
export const FREELEECH = 1;
export const NEUTRAL = 2;
export const DOUBLE_UPLOAD = 4;

/** Member flags, as the worker passes them to the shard. */
export const NEWCOMER = 1;

/** Warnings the shard raises; the worker words them. */
export const WARN_TOO_SOON = 1;
