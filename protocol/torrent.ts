// Reading .torrent files: BEP 3 metainfo, BEP 27 private flag, BEP 52 v2 and hybrid
// torrents. The info hash is SHA-1 of the info dictionary's bytes exactly as they appear in
// the file, never of a re-encoding; a v2-only torrent's is its SHA-256 truncated to 20 bytes,
// as BEP 52 has trackers and handshakes use it.

import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { BencodeError, asBytes, asDict, asInt, asList, decodeWithSpans, encode, decode, type BDict, type BInput } from "./bencode.ts";
import { binaryToBytes, bytesEqual, concatBytes, toHex, utf8Decode } from "./hex.ts";
import { BLOCK_SIZE, MAX_PIECE_LENGTH, MAX_TORRENT_LENGTH } from "./params.ts";
import { HASH_SIZE, buildStorageTree } from "./merkle/storage-tree.ts";
import { sha256Pair } from "./merkle/sha256-pair.ts";

export interface TorrentFile {
  path: string;
  length: number;
}

/**
 * A file of a v2 or hybrid torrent's `file tree` (BEP 52), in tree order. Its `piecesRoot`
 * (absent for an empty file) is the root of the file's own tree of 16 KiB blocks: the
 * commitment its challenges verify against. `offset` is where the file starts in the
 * torrent's piece space (every file starts on a piece boundary), which is where the
 * challenger requests its blocks on the wire.
 */
export interface TorrentFileV2 extends TorrentFile {
  piecesRoot?: string;
  offset: number;
}

export type MetaVersion = "v1" | "v2" | "hybrid";

export interface TorrentMeta {
  infoHash: string;
  name: string;
  /** Bytes of the payload as the v1 pieces cover it (pad files included); for v2-only, the files' sum. */
  length: number;
  pieceLength: number;
  pieceCount: number;
  files: TorrentFile[];
  private: boolean;
  version: MetaVersion;
  /** SHA-256 of the info dict (64 hex), for v2 and hybrid torrents. */
  infoHashV2?: string;
  /** The file tree of v2 and hybrid torrents. */
  v2Files?: TorrentFileV2[];
}

/**
 * A number in a torrent outside its bounds. Thrown as soon as the number is read, before any
 * work that would grow with it: refusing costs what the file's size costs, never what a number
 * inside it says (a piece length of 2^36 must not build a 2^22-leaf tree first).
 */
export class TorrentBoundError extends BencodeError {
  override name = "TorrentBoundError";
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * A piece length as BEP 3 and BEP 52 allow it, within MAX_PIECE_LENGTH: v2 and hybrid need a
 * power of two of at least 16 KiB (BEP 52); v1 a multiple of 16 KiB (the request size). The
 * range is checked first, so the power-of-two test never meets a number past 32 bits (where
 * JavaScript's `&` wraps: 2^32 + 16384 would pass).
 */
export function checkPieceLength(pieceLength: number, v2: boolean): void {
  if (!Number.isSafeInteger(pieceLength) || pieceLength < BLOCK_SIZE || pieceLength > MAX_PIECE_LENGTH)
    throw new TorrentBoundError("piece length", `piece length must be between ${BLOCK_SIZE} and ${MAX_PIECE_LENGTH} bytes`);
  if (v2 && (pieceLength & (pieceLength - 1)) !== 0) throw new TorrentBoundError("piece length", "a v2 piece length must be a power of two of at least 16 KiB");
  if (pieceLength % BLOCK_SIZE !== 0) throw new TorrentBoundError("piece length", "piece length must be a positive multiple of 16 KiB");
}

/** A file length, and the running total it adds to, within MAX_TORRENT_LENGTH (so every sum stays a safe integer). */
function addLength(total: number, length: number, what: string): number {
  if (length < 0) throw new BencodeError("negative file length");
  if (length > MAX_TORRENT_LENGTH || total + length > MAX_TORRENT_LENGTH) throw new TorrentBoundError("length", `${what}: the payload may be at most ${MAX_TORRENT_LENGTH} bytes`);
  return total + length;
}

/**
 * C0 and C1 controls and the Unicode bidirectional controls (LRM, RLM, ALM, embeddings,
 * overrides, isolates): in a name they hide or reorder what a member reads ("exe.mp4"
 * shown for "mp4.exe"), so names and paths carrying them are refused.
 */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function hasUnsafeChars(s: string): boolean {
  return UNSAFE_CHARS.test(s);
}

function safeName(s: string, what: string): string {
  if (hasUnsafeChars(s)) throw new BencodeError(`${what} contains a control or bidirectional-override character`);
  return s;
}

export function parseTorrent(bytes: Uint8Array): TorrentMeta {
  const { value, spans } = decodeWithSpans(bytes);
  const root = asDict(value, "torrent");
  const info = asDict(root.info, "info");
  const span = spans.info;
  if (!span) throw new BencodeError("torrent has no info dictionary");
  const infoBytes = bytes.subarray(span[0], span[1]);
  const name = safeName(utf8Decode(asBytes(info.name, "info.name")), "info.name");
  if (!name || name.includes("/") || name === "." || name === "..") throw new BencodeError("info.name is not a safe name");
  const isV2 = info["meta version"] !== undefined;
  if (isV2 && asInt(info["meta version"], "info.meta version") !== 2) throw new BencodeError("unsupported meta version");
  // Bounded before anything is built from it.
  const pieceLength = asInt(info["piece length"], "info.piece length");
  checkPieceLength(pieceLength, isV2);
  const isPrivate = info.private === 1;
  let v2: { infoHashV2: string; files: TorrentFileV2[] } | undefined;
  if (isV2) {
    v2 = parseFileTree(info, root, pieceLength);
    v2.infoHashV2 = toHex(sha256(infoBytes));
  }
  if (info.pieces === undefined) {
    // v2 only (BEP 52): the truncated SHA-256 info hash is the swarm's key.
    if (!v2) throw new BencodeError("info.pieces is not a list of SHA-1 hashes");
    const length = v2.files.reduce((s, f) => s + f.length, 0);
    const pieceCount = v2.files.reduce((s, f) => s + Math.ceil(f.length / pieceLength), 0);
    if (length <= 0) throw new BencodeError("torrent payload is empty");
    return {
      infoHash: v2.infoHashV2.slice(0, 40),
      name,
      length,
      pieceLength,
      pieceCount,
      files: v2.files.map((f) => ({ path: f.path, length: f.length })),
      private: isPrivate,
      version: "v2",
      infoHashV2: v2.infoHashV2,
      v2Files: v2.files,
    };
  }
  const infoHash = toHex(sha1(infoBytes));
  const pieces = asBytes(info.pieces, "info.pieces");
  if (pieces.length % 20 !== 0) throw new BencodeError("info.pieces is not a list of SHA-1 hashes");
  let files: TorrentFile[];
  if (info.files !== undefined) {
    files = asList(info.files, "info.files").map((f, i) => {
      const fd = asDict(f, `info.files[${i}]`);
      const parts = asList(fd.path, `info.files[${i}].path`).map((p) => safeName(utf8Decode(asBytes(p, "path element")), `info.files[${i}].path`));
      if (parts.length === 0 || parts.some((p) => !p || p === "." || p === ".." || p.includes("/"))) throw new BencodeError(`info.files[${i}].path is not a safe path`);
      return { path: parts.join("/"), length: asInt(fd.length, `info.files[${i}].length`) };
    });
  } else files = [{ path: "", length: asInt(info.length, "info.length") }];
  const length = files.reduce((s, f, i) => addLength(s, f.length, `info.files[${i}].length`), 0);
  if (length <= 0) throw new BencodeError("torrent payload is empty");
  const pieceCount = pieces.length / 20;
  if (pieceCount !== Math.ceil(length / pieceLength)) throw new BencodeError("piece count does not match the payload length");
  if (!v2) return { infoHash, name, length, pieceLength, pieceCount, files, private: isPrivate, version: "v1" };
  checkHybrid(info, files, v2.files, name);
  return { infoHash, name, length, pieceLength, pieceCount, files, private: isPrivate, version: "hybrid", infoHashV2: v2.infoHashV2, v2Files: v2.files };
}

const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * BEP 52's `file tree`: dictionaries keyed by UTF-8 path elements; the empty key holds a
 * file's `length` and `pieces root`. Files come in key order (keys are compared as bytes, so
 * they are sorted explicitly: JavaScript would put numeric-looking keys first). Each file
 * starts on a piece boundary; `piece layers` (outside the info dict) must hash up to each
 * larger-than-a-piece file's root.
 */
function parseFileTree(info: BDict, root: BDict, pieceLength: number): { infoHashV2: string; files: TorrentFileV2[] } {
  checkPieceLength(pieceLength, true);
  const files: TorrentFileV2[] = [];
  const layers: { piecesRoot: Uint8Array; length: number }[] = [];
  let offset = 0;
  const walk = (node: BDict, path: string[], depth: number) => {
    if (depth > 64) throw new BencodeError("file tree nested too deep");
    for (const key of Object.keys(node).sort(compareKeys)) {
      const child = asDict(node[key], `file tree entry ${[...path, key].join("/")}`);
      if (key === "") throw new BencodeError("file tree has a file entry where a directory is expected");
      const element = safeName(utf8Decode(binaryToBytes(key)), "file tree path");
      if (element === "." || element === ".." || element.includes("/")) throw new BencodeError("file tree path is not a safe path");
      if (child[""] !== undefined) {
        if (Object.keys(child).length !== 1) throw new BencodeError("a file tree entry is both a file and a directory");
        const f = asDict(child[""], "file tree file");
        const length = asInt(f.length, "file tree file length");
        // The piece-aligned offset bounds the plain sum too: both stay safe integers.
        addLength(offset, length, "file tree file length");
        const file: TorrentFileV2 = { path: [...path, element].join("/"), length, offset };
        if (length > 0) {
          const r = asBytes(f["pieces root"], "pieces root");
          if (r.length !== HASH_SIZE) throw new BencodeError("pieces root is not 32 bytes");
          file.piecesRoot = toHex(r);
          offset = addLength(offset, Math.ceil(length / pieceLength) * pieceLength, "file tree file length");
          if (length > pieceLength) layers.push({ piecesRoot: r, length });
        }
        files.push(file);
      } else walk(child, [...path, element], depth + 1);
    }
  };
  walk(asDict(info["file tree"], "info.file tree"), [], 0);
  if (files.length === 0) throw new BencodeError("file tree has no files");
  // Hashed only once every length is within bounds.
  for (const l of layers) checkPieceLayer(root, l.piecesRoot, l.length, pieceLength);
  return { infoHashV2: "", files };
}

/** The piece layer of a file, padded with the root of an all-zero piece, must give its root. */
function checkPieceLayer(root: BDict, piecesRoot: Uint8Array, length: number, pieceLength: number) {
  const layers = root["piece layers"] === undefined ? undefined : asDict(root["piece layers"], "piece layers");
  const layer = layers?.[String.fromCharCode(...piecesRoot)];
  if (layer === undefined) throw new BencodeError("piece layers has no entry for a file larger than a piece");
  const hashes = asBytes(layer, "piece layer");
  const pieces = Math.ceil(length / pieceLength);
  if (hashes.length !== pieces * HASH_SIZE) throw new BencodeError("piece layer has the wrong number of hashes");
  // A piece's subtree of zero leaves (log2 of its blocks hashes, never the subtree itself),
  // then the piece layer as the leaves of a smaller tree: work in proportion to the layer's bytes.
  const zeroPiece = zeroSubtreeRoot(pieceLength / BLOCK_SIZE);
  let level = hashes;
  let width = 1;
  while (width < pieces) width *= 2;
  const padded = new Uint8Array(width * HASH_SIZE);
  padded.set(level);
  for (let i = pieces; i < width; i++) padded.set(zeroPiece, i * HASH_SIZE);
  level = padded;
  while (level.length > HASH_SIZE) {
    const next = new Uint8Array(level.length / 2);
    for (let i = 0; i < next.length / HASH_SIZE; i++) next.set(sha256(level.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE)), i * HASH_SIZE);
    level = next;
  }
  if (!bytesEqual(level, piecesRoot)) throw new BencodeError("piece layer does not hash to the file's pieces root");
}

/** The root of a subtree of `leaves` zero hashes (`leaves` a power of two): one hash per level. */
export function zeroSubtreeRoot(leaves: number): Uint8Array {
  let h: Uint8Array = new Uint8Array(HASH_SIZE);
  for (let n = leaves; n > 1; n /= 2) h = sha256Pair(h, h);
  return h;
}

/**
 * A hybrid torrent describes one payload twice: its v1 files (with BEP 47 pad files, `attr`
 * containing "p") must be the v2 file tree's files in order, each at the same offset, so the
 * v1 piece space the wire uses is the v2 layout the per-file roots commit to.
 */
function checkHybrid(info: BDict, v1: TorrentFile[], v2: TorrentFileV2[], name: string) {
  const raw = info.files === undefined ? [] : asList(info.files, "info.files");
  const isPad = (i: number) => {
    const attr = raw[i] === undefined ? undefined : (raw[i] as BDict).attr;
    return attr instanceof Uint8Array && utf8Decode(attr).includes("p");
  };
  const real: TorrentFileV2[] = [];
  let offset = 0;
  v1.forEach((f, i) => {
    if (!isPad(i)) real.push({ path: info.files === undefined ? name : f.path, length: f.length, offset });
    offset += f.length;
  });
  const want = v2.filter((f) => f.length > 0);
  const got = real.filter((f) => f.length > 0);
  const same = want.length === got.length && want.every((f, i) => f.path === got[i]!.path && f.length === got[i]!.length && f.offset === got[i]!.offset);
  if (!same) throw new BencodeError("hybrid torrent: the v1 files and the v2 file tree describe different payloads");
}

/** Builds a BEP 52 piece layer for `data` (for tests and tools that make v2 torrents). */
export function pieceLayer(fileLeafHashes: Uint8Array[], pieceLength: number): Uint8Array {
  const per = pieceLength / BLOCK_SIZE;
  const out: Uint8Array[] = [];
  for (let i = 0; i < fileLeafHashes.length; i += per) {
    const leaves = new Uint8Array(per * HASH_SIZE);
    fileLeafHashes.slice(i, i + per).forEach((h, j) => leaves.set(h, j * HASH_SIZE));
    out.push(buildStorageTree(leaves, pieceLength).root);
  }
  return concatBytes(...out);
}

/** The same torrent with its announce URL set (the info dict, hence the info hash, unchanged). */
export function withAnnounce(bytes: Uint8Array, announce: string): Uint8Array {
  const root = asDict(decode(bytes), "torrent") as BDict;
  const { "announce-list": _list, ...rest } = root;
  return encode({ ...(rest as Record<string, BInput>), announce });
}

/**
 * Peer sources besides the tracker: web seeds (BEP 19 `url-list`, BEP 17 `httpseeds`) and DHT
 * nodes (BEP 5 `nodes`). A private torrent's only peer source is its tracker (BEP 27).
 */
export const PEER_SOURCE_KEYS = ["url-list", "httpseeds", "nodes"] as const;

/**
 * The same torrent without other peer sources. They sit outside the info dict, and the
 * decoder accepts only canonical bencode (sorted keys, canonical integers), so re-encoding
 * keeps the info dict's bytes, hence the info hash; unchanged bytes come back as they were.
 */
export function withoutPeerSources(bytes: Uint8Array): Uint8Array {
  const root = asDict(decode(bytes), "torrent") as BDict;
  if (!PEER_SOURCE_KEYS.some((k) => root[k] !== undefined)) return bytes;
  const rest: Record<string, BInput> = {};
  for (const [k, v] of Object.entries(root)) if (!(PEER_SOURCE_KEYS as readonly string[]).includes(k)) rest[k] = v as BInput;
  return encode(rest);
}
