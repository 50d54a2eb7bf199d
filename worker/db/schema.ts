// D1 schema (drizzle). migrations/ is generated from this file by `npm run db:generate`.
// Times are unix milliseconds. Token amounts exceed SQLite's 64-bit integers, so they are
// decimal strings; byte counts fit in integers.

import { sqliteTable, text, integer, real, primaryKey, index, uniqueIndex, customType } from "drizzle-orm/sqlite-core";

/** Raw bytes as a BLOB without Node's Buffer (drizzle's blob "buffer" mode needs nodejs_compat). */
const bytes = customType<{ data: Uint8Array; driverData: ArrayBuffer | Uint8Array | number[] }>({
  dataType: () => "blob",
  toDriver: (v) => v,
  fromDriver: (v) => (Array.isArray(v) ? Uint8Array.from(v) : v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)),
});

/** Members, admitted by stake or invite (nodes are not members: their tracker key is on `nodes`). */
export const members = sqliteTable("members", {
  account: text("account").primaryKey(), // lowercase 0x address
  passkey: text("passkey").notNull().unique(),
  /** How the account was admitted: "stake" or "invite" (migration 0005 removed the old "node" rows). */
  admission: text("admission").notNull(),
  /** The invite code used, when admitted by invite. */
  invitedBy: text("invited_by"),
  /** The member whose invite admitted this one (the invite tree); null for admin invites, stake and nodes. */
  inviter: text("inviter"),
  /** Invites this member may create (worker/members/invites.ts); admins set it. */
  inviteQuota: integer("invite_quota").notNull().default(2),
  /** Slowed (DESIGN.md "Access and downloads"): fewer peers and a longer interval, with a warning. */
  slowed: integer("slowed", { mode: "boolean" }).notNull().default(false),
  /** Last passkey reset; the old passkey stops working at once (worker/members/passkey-reset.ts). */
  passkeyResetAt: integer("passkey_reset_at"),
  /** May moderate members' uploads and set credit flags on the site (admins grant it). */
  curator: integer("curator", { mode: "boolean" }).notNull().default(false),
  createdAt: integer("created_at").notNull(),
});

export const invites = sqliteTable(
  "invites",
  {
    code: text("code").primaryKey(),
    /** The member who made it; null when an admin did. */
    createdBy: text("created_by"),
    createdAt: integer("created_at").notNull(),
    usedBy: text("used_by"),
    usedAt: integer("used_at"),
  },
  (t) => [index("invites_created_by").on(t.createdBy)],
);

export const torrents = sqliteTable("torrents", {
  infoHash: text("info_hash").primaryKey(), // 40 lowercase hex
  name: text("name").notNull(),
  length: integer("length").notNull(),
  pieceLength: integer("piece_length").notNull(),
  /** JSON: [{ path, length }] in info-dict order. */
  files: text("files").notNull(),
  /** 64 lowercase hex: root of the storage tree over the payload (DESIGN.md); "" for v2 and hybrid torrents. */
  storageRoot: text("storage_root").notNull(),
  /** "v1", "v2" or "hybrid" (BEP 52). */
  version: text("version").notNull().default("v1"),
  /** JSON: [{ path, length, piecesRoot?, offset }] of a v2 or hybrid file tree; [] for v1. */
  v2Files: text("v2_files").notNull().default("[]"),
  /** published | confirmed | contested (protocol/epoch/evaluate.ts RootStatus). */
  rootStatus: text("root_status").notNull().default("published"),
  rootConfirmedAt: integer("root_confirmed_at"),
  /** The .torrent as uploaded; served back with each member's announce URL. */
  metainfo: bytes("metainfo").notNull(),
  /** Moderation: "approved" (announces accepted), "pending" (a member's upload awaiting a curator), "rejected", "removed" (taken out of the index by an admin). */
  status: text("status").notNull().default("approved"),
  /** The member who uploaded it; null for an admin upload. */
  uploadedBy: text("uploaded_by"),
  moderatedAt: integer("moderated_at"),
  /** Credit flags applied when deltas are credited (worker/swarm/credit.ts): downloads not counted… */
  freeleech: integer("freeleech", { mode: "boolean" }).notNull().default(false),
  /** …neither uploads nor downloads counted… */
  neutral: integer("neutral", { mode: "boolean" }).notNull().default(false),
  /** …uploads counted twice. */
  doubleUpload: integer("double_upload", { mode: "boolean" }).notNull().default(false),
  /** One of worker/torrents/categories.ts CATEGORIES, chosen by the uploader. */
  category: text("category").notNull().default("other"),
  /** The uploader's words about it (plain text, shown escaped). */
  description: text("description").notNull().default(""),
  createdAt: integer("created_at").notNull(),
});

/**
 * Each swarm's size as its shard last flushed it (only when it changed): the index's seeders
 * and leechers, and the hot list (torrents needing seeders).
 */
export const swarms = sqliteTable(
  "swarms",
  {
    infoHash: text("info_hash").primaryKey(),
    seeders: integer("seeders").notNull(),
    leechers: integer("leechers").notNull(),
    /** BEP 21 partial seeds, counted among the leechers. */
    partialSeeds: integer("partial_seeds").notNull().default(0),
    snatches: integer("snatches").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
    /** The surge controller's state after the shard's last window (protocol/economics/saturation.ts, surge.ts), basis points. */
    saturationBps: integer("saturation_bps").notNull().default(0),
    surgeBps: integer("surge_bps").notNull().default(10_000),
  },
  (t) => [index("swarms_seeders").on(t.seeders)],
);

export const nodes = sqliteTable(
  "nodes",
  {
    address: text("address").primaryKey(), // lowercase 0x address
    /**
     * The node's tracker key (32 hex, like a passkey but never a member's): announces and
     * .torrent downloads with it cover only the node's hosted and fetching torrents
     * (worker/nodes/access.ts); it opens no site, invites, uploads or stats.
     */
    passkey: text("passkey"),
    /** What the edge saw of the node's connection, never what the node claims. */
    host: text("host").notNull(),
    port: integer("port").notNull(),
    /** Where the edge saw the node's registration (request.cf latitude, longitude, colo); null when the edge did not say (locally). */
    lat: real("lat"),
    lon: real("lon"),
    colo: text("colo"),
    registeredAt: integer("registered_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** When an admin suspended the node (POST /admin/nodes/:address/suspend): no rounds, offers or hosting rewards while set. */
    suspendedAt: integer("suspended_at"),
    suspendedReason: text("suspended_reason"),
    /** The node's last reachability check (POST /api/nodes/check): when, the dial's verdict ("pass", "open", "refused"…) and why. */
    checkedAt: integer("checked_at"),
    checkVerdict: text("check_verdict"),
    checkReason: text("check_reason"),
  },
  (t) => [uniqueIndex("nodes_passkey").on(t.passkey), index("nodes_endpoint").on(t.host, t.port)],
);

/** What a node reported fetching to host (FetchSubset), replaced as a whole by each report. */
export const fetching = sqliteTable(
  "fetching",
  {
    node: text("node").notNull(),
    infoHash: text("info_hash").notNull(),
    reportedAt: integer("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.node, t.infoHash] })],
);

/** A node's hosted subset, replaced as a whole by each signed HostedSubset report. */
export const hosted = sqliteTable(
  "hosted",
  {
    node: text("node").notNull(),
    infoHash: text("info_hash").notNull(),
    addedAt: integer("added_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.node, t.infoHash] })],
);

/** Last accepted nonce per signer and report type; a report's nonce must be strictly greater. */
export const reportNonces = sqliteTable(
  "report_nonces",
  {
    signer: text("signer").notNull(),
    type: text("type").notNull(),
    /** uint64 as 20 zero-padded decimal digits, so text order is numeric order. */
    nonce: text("nonce").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.signer, t.type] })],
);

/**
 * Lifetime totals per (member, info hash, peer id): one record per client session key,
 * whatever the number of endpoints (TRACKER-NOTES "Accounting"). `uploaded`/`downloaded` are
 * ACTUAL bytes (the client's deltas); `credited*` are after the torrent's flags (freeleech,
 * neutral, double upload) and the newcomer rule. Flushed in batches by the swarm shards.
 * A session that ends is folded into its member's row of the torrent with peer_id ''
 * (worker/swarm/flush.ts ENDED_SESSIONS), so peer-id churn cannot grow the table.
 */
export const accounting = sqliteTable(
  "accounting",
  {
    member: text("member").notNull(),
    infoHash: text("info_hash").notNull(),
    peerId: text("peer_id").notNull(), // 40 hex
    uploaded: integer("uploaded").notNull().default(0),
    downloaded: integer("downloaded").notNull().default(0),
    creditedUploaded: integer("credited_uploaded").notNull().default(0),
    creditedDownloaded: integer("credited_downloaded").notNull().default(0),
    seedSeconds: integer("seed_seconds").notNull().default(0),
    announces: integer("announces").notNull().default(0),
    lastAnnounceAt: integer("last_announce_at").notNull(),
    /** When this session finished the download (a snatch), if it did. */
    completedAt: integer("completed_at"),
  },
  (t) => [primaryKey({ columns: [t.member, t.infoHash, t.peerId] }), index("accounting_info_hash").on(t.infoHash)],
);

/**
 * The epoch ledger (docs/interfaces.md "Accounting ledger"): per epoch, per (member, info
 * hash), actual and credited bytes. Rows are stamped with the epoch open when the shard's
 * batch reached D1 (worker/swarm/flush.ts), so a closed or sealed epoch's rows never change.
 */
export const ledger = sqliteTable(
  "ledger",
  {
    epoch: integer("epoch").notNull(),
    member: text("member").notNull(),
    infoHash: text("info_hash").notNull(),
    uploaded: integer("uploaded").notNull().default(0),
    downloaded: integer("downloaded").notNull().default(0),
    creditedUploaded: integer("credited_uploaded").notNull().default(0),
    creditedDownloaded: integer("credited_downloaded").notNull().default(0),
    seedSeconds: integer("seed_seconds").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.member, t.infoHash] })],
);

/** Per epoch, per torrent: the swarm's totals (what its members reported), for pricing and the upload cap. */
export const swarmLedger = sqliteTable(
  "swarm_ledger",
  {
    epoch: integer("epoch").notNull(),
    infoHash: text("info_hash").notNull(),
    uploaded: integer("uploaded").notNull().default(0),
    downloaded: integer("downloaded").notNull().default(0),
    creditedUploaded: integer("credited_uploaded").notNull().default(0),
    creditedDownloaded: integer("credited_downloaded").notNull().default(0),
    announces: integer("announces").notNull().default(0),
    snatches: integer("snatches").notNull().default(0),
    /** The swarm's size at the epoch's last flush. */
    seeders: integer("seeders").notNull().default(0),
    leechers: integer("leechers").notNull().default(0),
    /** Σ surge (basis points) over the epoch's surge windows, and their count: the epoch's surge is the mean (surge.ts epochSurgeBps). */
    surgeSum: integer("surge_sum").notNull().default(0),
    surgeWindows: integer("surge_windows").notNull().default(0),
    /** Σ over the epoch's surge windows of the 15-minute demand and capacity forecasts, bytes: the dynamic gate's measure (protocol/economics/gate.ts). */
    demandSum: integer("demand_sum").notNull().default(0),
    capacitySum: integer("capacity_sum").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.infoHash] })],
);

/**
 * Epochs whose ledger is sealed: once an epoch is sealed (at the start of its close), new
 * batches are stamped with the next one, so the close reads a ledger that no longer moves.
 */
export const ledgerSeals = sqliteTable("ledger_seals", {
  epoch: integer("epoch").primaryKey(),
  sealedAt: integer("sealed_at").notNull(),
});

/** Batches applied per shard: a batch replayed after a crash fails on this key and is not applied twice. */
export const flushes = sqliteTable(
  "flushes",
  {
    shard: integer("shard").notNull(),
    seq: integer("seq").notNull(),
    flushedAt: integer("flushed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.shard, t.seq] })],
);

/**
 * Admins' changes to the client allow-list (worker/announce/clients.ts holds the defaults):
 * a peer-id prefix allowed or refused, with a warning shown to its users when set.
 */
export const clientRules = sqliteTable("client_rules", {
  prefix: text("prefix").primaryKey(),
  name: text("name").notNull(),
  allowed: integer("allowed", { mode: "boolean" }).notNull(),
  warning: text("warning"),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Challenge transcripts (protocol/challenge/transcript.ts): the published inputs of each
 * epoch's rewards and penalties, signed by the edge's transcript key.
 */
export const challenges = sqliteTable(
  "challenges",
  {
    /** transcriptId(epoch, node, round, infoHash), 0x hex: a challenge is recorded once. */
    id: text("id").primaryKey(),
    epoch: integer("epoch").notNull(),
    node: text("node").notNull(),
    infoHash: text("info_hash").notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    /** The node's round in the epoch's schedule (protocol/challenge/schedule.ts). */
    round: integer("round").notNull().default(0),
    blockNumber: integer("block_number"),
    blockHash: text("block_hash").notNull().default("0x0000000000000000000000000000000000000000000000000000000000000000"),
    hostedHash: text("hosted_hash").notNull().default(""),
    /** v2 file index, null for the v1 whole-payload tree. */
    file: integer("file"),
    /** Root the blocks were checked against, and the bytes and piece-space offset of its tree. */
    root: text("root").notNull().default(""),
    treeLength: integer("tree_length").notNull().default(0),
    offset: integer("offset").notNull().default(0),
    /** JSON: block indices challenged. */
    blocks: text("blocks").notNull(),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** pass | fail | timeout | refused (protocol/challenge/client.ts). */
    verdict: text("verdict").notNull(),
    reason: text("reason").notNull(),
    /** JSON: SHA-256 of each block as received, hex. */
    blockHashes: text("block_hashes").notNull(),
    proofHash: text("proof_hash"),
    /** Tries made, this one included; earlier ones are in `tries` (JSON). */
    attempts: integer("attempts").notNull(),
    tries: text("tries").notNull().default("[]"),
    signer: text("signer"),
    signature: text("signature"),
    /** The edge's challenge nonce and the node's signed answer (protocol/reports/eip712.ts ChallengeAnswer). */
    nonce: text("nonce").notNull().default("0x0000000000000000000000000000000000000000000000000000000000000000"),
    answeredAt: integer("answered_at"),
    nodeSignature: text("node_signature"),
  },
  // By torrent too: the paged close reads an epoch's challenges a range of info hashes at a time (worker/epoch/pages.ts).
  // In (started, id) order too: the close streams an epoch's challenges into its published inputs page by page (worker/epoch/frozen.ts).
  (t) => [index("challenges_epoch").on(t.epoch, t.node), index("challenges_epoch_torrent").on(t.epoch, t.infoHash), index("challenges_epoch_started").on(t.epoch, t.startedAt, t.id)],
);

/**
 * The seed of each epoch's challenge schedule: committed (keccak256) when the epoch opens,
 * revealed in its published inputs when it closes. `seed` is never served while the epoch
 * is open.
 */
export const epochSeeds = sqliteTable("epoch_seeds", {
  epoch: integer("epoch").primaryKey(),
  seed: text("seed").notNull(),
  commitment: text("commitment").notNull(),
  openedAt: integer("opened_at").notNull(),
  /** The schedule's parameters, fixed at opening: JSON ScheduleParams without openedAt. */
  schedule: text("schedule").notNull(),
});

/** Storage roots nodes computed and reported (StorageRoots reports): the confirmations of v1 roots. */
export const rootReports = sqliteTable(
  "root_reports",
  {
    infoHash: text("info_hash").notNull(),
    node: text("node").notNull(),
    root: text("root").notNull(),
    /** Subnet of the node's endpoint when it reported: confirmations count distinct subnets. */
    subnet: text("subnet").notNull(),
    reportedAt: integer("reported_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.infoHash, t.node] })],
);

/** Cumulative slashed amount per node and epoch: the leaves of the epoch's slashed tree. */
export const slashed = sqliteTable(
  "slashed",
  {
    epoch: integer("epoch").notNull(),
    account: text("account").notNull(),
    cumulative: text("cumulative").notNull(),
    /** Slashed in this epoch alone. */
    slashed: text("slashed").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.account] }), index("slashed_account").on(t.account)],
);

/** Each node's fault streak after an epoch, and the epoch's penalty breakdown (JSON NodePenalty). */
export const faults = sqliteTable(
  "faults",
  {
    epoch: integer("epoch").notNull(),
    node: text("node").notNull(),
    streak: integer("streak").notNull(),
    /** JSON NodePenalty of this epoch, null when the streak was only carried. */
    penalty: text("penalty"),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.node] })],
);

/** Signed disputes of transcripts, recorded for the guardian, who resolves them on-chain. */
export const disputes = sqliteTable(
  "disputes",
  {
    id: text("id").primaryKey(),
    epoch: integer("epoch").notNull(),
    node: text("node").notNull(),
    transcriptId: text("transcript_id").notNull(),
    reason: text("reason").notNull(),
    nonce: text("nonce").notNull(),
    expiry: text("expiry").notNull(),
    signature: text("signature").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [index("disputes_epoch").on(t.epoch)],
);

export const epochs = sqliteTable("epochs", {
  epoch: integer("epoch").primaryKey(),
  root: text("root").notNull(),
  inputsHash: text("inputs_hash").notNull(),
  /** Canonical JSON of the inputs, exactly the bytes that inputsHash commits to. */
  inputs: text("inputs").notNull(),
  totalEarned: text("total_earned").notNull(),
  leafCount: integer("leaf_count").notNull(),
  /** The postRoot transaction; null when the worker runs without a chain (tests). */
  txHash: text("tx_hash"),
  closedAt: integer("closed_at").notNull(),
  /** Root of the slashed tree (zero bytes32 when nobody is slashed) and its total. */
  slashedRoot: text("slashed_root").notNull().default("0x0000000000000000000000000000000000000000000000000000000000000000"),
  totalSlashed: text("total_slashed").notNull().default("0"),
  /** Root of the spent tree (zero bytes32 when nobody spent) and its total: what Escrow.settle pays the fee pool. */
  spentRoot: text("spent_root").notNull().default("0x0000000000000000000000000000000000000000000000000000000000000000"),
  totalSpent: text("total_spent").notNull().default("0"),
  /** keccak256 of the epoch's challenge seed, published when it opened. */
  seedCommitment: text("seed_commitment"),
  /** Where the close stands (worker/epoch/writer.ts): settled, published, sent, mined, final or halted. */
  state: text("state").notNull().default("final"),
  /** Block that mined the post (its receipt's). */
  minedBlock: integer("mined_block"),
  /** Why the writer stopped (state "halted"): an operator decides (docs/runbook.md). */
  haltReason: text("halt_reason"),
  /** The bounty draws posted beside the roots: JSON [{ infoHash (0x, 20 bytes), amount }], amounts decimal. */
  bountyDraws: text("bounty_draws").notNull().default("[]"),
  /** The network's saturation over the epoch and the gate multiplier its close set for the next (protocol/economics/gate.ts), basis points. */
  saturationBps: integer("saturation_bps").notNull().default(0),
  gateBps: integer("gate_bps").notNull().default(10_000),
});

/**
 * The paged close's scratch (worker/epoch/pages.ts): each page's result of each sweep (A tally,
 * B weights, C settlement, paged-json.ts), in parts under D1's 2 MB a value, so a close that dies
 * between pages resumes at the page it was on. `fingerprint` names the inputs they came from:
 * rows of other inputs are never read. Deleted once the settlement is assembled.
 */
export const epochSettlePages = sqliteTable(
  "epoch_settle_pages",
  {
    epoch: integer("epoch").notNull(),
    sweep: text("sweep").notNull(),
    page: integer("page").notNull(),
    part: integer("part").notNull(),
    fingerprint: text("fingerprint").notNull(),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.sweep, t.page, t.part] })],
);

/**
 * The challenges a close reads, frozen when it starts (worker/epoch/frozen.ts): the epoch's rows
 * up to `challengeCutoff` (the table's rowid then), `challenges` of them. Deleted once settled.
 */
export const epochCloseFreeze = sqliteTable("epoch_close_freeze", {
  epoch: integer("epoch").primaryKey(),
  challengeCutoff: integer("challenge_cutoff").notNull(),
  challenges: integer("challenges").notNull(),
  frozenAt: integer("frozen_at").notNull(),
  /** Large inputs hashed in one tick, written in the next (worker/epoch/files.ts publishInputsInTicks): what they were made of, and their hash. */
  inputsKey: text("inputs_key"),
  inputsHash: text("inputs_hash"),
  // The SQL column chain_reads (0026) is left unused: the chain reads moved to epoch_close_reads (0027).
});

/**
 * The chain reads a close settles with (deposits, bounties), made in its first invocation and
 * kept for its next ones (worker/epoch/frozen.ts frozenRead): each read a JSON array of
 * [key, decimal] entries cut between entries into parts under D1's 2 MB a value, all written in
 * one batch. Deleted with the freeze.
 */
export const epochCloseReads = sqliteTable(
  "epoch_close_reads",
  {
    epoch: integer("epoch").notNull(),
    name: text("name").notNull(),
    part: integer("part").notNull(),
    data: text("data").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.name, t.part] })],
);

/** Every postRoot transaction signed for an epoch, recorded before it is broadcast; replacements share the nonce. */
export const epochPosts = sqliteTable(
  "epoch_posts",
  {
    epoch: integer("epoch").notNull(),
    attempt: integer("attempt").notNull(),
    nonce: integer("nonce").notNull(),
    txHash: text("tx_hash").notNull(),
    /** The signed transaction, broadcast again byte for byte if the node lost it. */
    rawTx: text("raw_tx").notNull(),
    maxFeePerGas: text("max_fee_per_gas").notNull(),
    maxPriorityFeePerGas: text("max_priority_fee_per_gas").notNull(),
    sentAt: integer("sent_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.attempt] })],
);

/** Failures of the epoch writer by code: monotonic counts for /metrics, the last message (URLs stripped). */
export const closeErrors = sqliteTable("close_errors", {
  code: text("code").primaryKey(),
  count: integer("count").notNull(),
  epoch: integer("epoch"),
  message: text("message").notNull(),
  at: integer("at").notNull(),
});

/** Every leaf of every epoch's reward tree: cumulative earned per account. */
export const leaves = sqliteTable(
  "leaves",
  {
    epoch: integer("epoch").notNull(),
    account: text("account").notNull(),
    cumulative: text("cumulative").notNull(),
    /** Earned in this epoch alone (cumulative minus the previous epoch's). */
    earned: text("earned").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.account] }), index("leaves_account").on(t.account)],
);

/**
 * Sign-In with Ethereum (EIP-4361) nonces for the members' site: issued by the worker, each
 * accepted once and only before it expires, so a signed message cannot be replayed.
 */
export const siweNonces = sqliteTable("siwe_nonces", {
  nonce: text("nonce").primaryKey(),
  issuedAt: integer("issued_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

/**
 * Site sessions after a sign-in. Only the SHA-256 of the cookie's secret is stored, so a
 * leaked table opens no session.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    idHash: text("id_hash").primaryKey(),
    account: text("account").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("sessions_account").on(t.account)],
);

/** Cumulative spending per member and epoch: the leaves of the epoch's spent tree (Escrow.settle). */
export const spent = sqliteTable(
  "spent",
  {
    epoch: integer("epoch").notNull(),
    account: text("account").notNull(),
    cumulative: text("cumulative").notNull(),
    /** Spent in this epoch alone. */
    spent: text("spent").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.account] }), index("spent_account").on(t.account)],
);

/** Replicas proven in an epoch and the first epoch of their unbroken run (settle.ts Seniority), carried into the next close. */
export const seniority = sqliteTable(
  "seniority",
  {
    epoch: integer("epoch").notNull(),
    infoHash: text("info_hash").notNull(),
    node: text("node").notNull(),
    since: integer("since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.infoHash, t.node] })],
);

/** Each replica's fault streak after an epoch (protocol/epoch/replica-faults.ts), carried into the next close; positive only. */
export const replicaFaults = sqliteTable(
  "replica_faults",
  {
    epoch: integer("epoch").notNull(),
    node: text("node").notNull(),
    infoHash: text("info_hash").notNull(),
    streak: integer("streak").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.node, t.infoHash] })],
);

/** Each node's passed audits after an epoch (protocol/epoch/vetting.ts: its vetting ramp), carried into the next close. */
export const vetting = sqliteTable(
  "vetting",
  {
    epoch: integer("epoch").notNull(),
    node: text("node").notNull(),
    audits: integer("audits").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.node] })],
);

/**
 * Free-allotment bytes used per member and UTC day (protocol/economics/allotment.ts), written
 * at each epoch close from the ledger; days older than FREE_ALLOTMENT_DAYS are deleted then.
 */
export const allotments = sqliteTable(
  "allotments",
  {
    member: text("member").notNull(),
    day: integer("day").notNull(),
    bytes: integer("bytes").notNull(),
  },
  (t) => [primaryKey({ columns: [t.member, t.day] })],
);

/**
 * Upload receipts (protocol/reports/eip712.ts UploadReceipt, POST /api/receipts): per epoch, the
 * highest cumulative a downloader signed per (uploader, torrent, session), with its signature.
 * `base` is the session's highest cumulative of earlier epochs: the epoch credits cumulative − base.
 */
export const receipts = sqliteTable(
  "receipts",
  {
    epoch: integer("epoch").notNull(),
    downloader: text("downloader").notNull(),
    uploader: text("uploader").notNull(),
    /** Bare lowercase hex, as in the ledger. */
    infoHash: text("info_hash").notNull(),
    session: text("session").notNull(),
    cumulative: integer("cumulative").notNull(),
    base: integer("base").notNull(),
    signature: text("signature").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.downloader, t.uploader, t.infoHash, t.session] }), index("receipts_session").on(t.downloader, t.uploader, t.infoHash, t.session)],
);

/**
 * Escrow settlements sent by the poster key (worker/chain/escrow.ts), recorded like the epoch's
 * posts: signed and stored BEFORE broadcast, followed until mined, replaced on the same nonce
 * when stuck, so a dropped one never leaves a gap in the key's nonces, and never sent twice.
 */
export const escrowSettlements = sqliteTable(
  "escrow_settlements",
  {
    /** The final epoch whose spent leaf is settled. */
    epoch: integer("epoch").notNull(),
    account: text("account").notNull(),
    attempt: integer("attempt").notNull(),
    cumulative: text("cumulative").notNull(),
    nonce: integer("nonce").notNull(),
    txHash: text("tx_hash").notNull(),
    rawTx: text("raw_tx").notNull(),
    maxFeePerGas: text("max_fee_per_gas").notNull(),
    sentAt: integer("sent_at").notNull(),
    /** sent (pending), mined, reverted, or dropped (its nonce taken by another transaction). */
    state: text("state").notNull(),
  },
  (t) => [primaryKey({ columns: [t.epoch, t.account, t.attempt] }), index("escrow_settlements_state").on(t.state)],
);
