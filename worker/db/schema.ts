// D1 schema (drizzle). migrations/ is generated from this file by `npm run db:generate`.
// Times are unix milliseconds. Token amounts exceed SQLite's 64-bit integers, so they are
// decimal strings; byte counts fit in integers.

import { sqliteTable, text, integer, primaryKey, index, customType } from "drizzle-orm/sqlite-core";

/** Raw bytes as a BLOB without Node's Buffer (drizzle's blob "buffer" mode needs nodejs_compat). */
const bytes = customType<{ data: Uint8Array; driverData: ArrayBuffer | Uint8Array | number[] }>({
  dataType: () => "blob",
  toDriver: (v) => v,
  fromDriver: (v) => (Array.isArray(v) ? Uint8Array.from(v) : v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)),
});

/** Everyone who may announce: members admitted by stake or invite, and registered nodes. */
export const members = sqliteTable("members", {
  account: text("account").primaryKey(), // lowercase 0x address
  passkey: text("passkey").notNull().unique(),
  /** How the account was admitted: "stake", "invite" or "node". */
  admission: text("admission").notNull(),
  /** The invite code used, when admitted by invite. */
  invitedBy: text("invited_by"),
  createdAt: integer("created_at").notNull(),
});

export const invites = sqliteTable("invites", {
  code: text("code").primaryKey(),
  createdAt: integer("created_at").notNull(),
  usedBy: text("used_by"),
  usedAt: integer("used_at"),
});

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
  createdAt: integer("created_at").notNull(),
});

export const nodes = sqliteTable("nodes", {
  address: text("address").primaryKey(), // lowercase 0x address; also its members.account
  /** What the edge saw of the node's connection, never what the node claims. */
  host: text("host").notNull(),
  port: integer("port").notNull(),
  registeredAt: integer("registered_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

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
 * Credited totals per (member, info hash, peer id): one record per client session key,
 * whatever the number of endpoints (TRACKER-NOTES "Accounting"). Flushed in batches by the
 * swarm shards.
 */
export const accounting = sqliteTable(
  "accounting",
  {
    member: text("member").notNull(),
    infoHash: text("info_hash").notNull(),
    peerId: text("peer_id").notNull(), // 40 hex
    uploaded: integer("uploaded").notNull().default(0),
    downloaded: integer("downloaded").notNull().default(0),
    seedSeconds: integer("seed_seconds").notNull().default(0),
    announces: integer("announces").notNull().default(0),
    lastAnnounceAt: integer("last_announce_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.member, t.infoHash, t.peerId] }), index("accounting_info_hash").on(t.infoHash)],
);

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
  },
  (t) => [index("challenges_epoch").on(t.epoch, t.node)],
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
  /** keccak256 of the epoch's challenge seed, published when it opened. */
  seedCommitment: text("seed_commitment"),
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
