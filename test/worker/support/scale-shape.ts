// The scale epoch's shape and its mapping from numbers to addresses and info hashes: one place
// for the scale test, its generator (scale-epoch.ts, the same mapping in SQL) and bench:close,
// which remakes the same epoch in Node. Pure: no worker code, so Node programs import it.

export interface ScaleShape {
  nodes: number;
  /** Torrents each node hosts (and each member transfers on). */
  torrents: number;
  /** Challenge rounds per node. */
  rounds: number;
  /** Torrents in the index. */
  pool: number;
}

/** Challenge rounds per node per epoch (wrangler.jsonc CHALLENGE_ROUNDS). */
export const SCALE_ROUNDS = 6;

/** `nodes` nodes hosting `torrents` torrents each, each torrent hosted by about 10 of them. */
export function scaleShape(nodes: number, torrents: number): ScaleShape {
  return { nodes, torrents, rounds: SCALE_ROUNDS, pool: Math.max(torrents, Math.ceil((nodes * torrents) / 10)) };
}

const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");
export const NODE_BASE = 0xe000000;
export const MEMBER_BASE = 0xf000000;
export const TORRENT_BASE = 0xd000000;
export const nodeOf = (i: number) => `0x${hex(NODE_BASE + i, 40)}`;
export const memberOf = (i: number) => `0x${hex(MEMBER_BASE + i, 40)}`;
/** Fixed width: info-hash order is index order. */
export const torrentOf = (i: number) => hex(TORRENT_BASE + i, 40);
/** The torrent of node n's round r. */
export const torrentIndexOf = (s: ScaleShape, n: number, r: number) => (n * s.torrents + (r % s.torrents)) % s.pool;
