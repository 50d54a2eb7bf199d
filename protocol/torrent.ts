// Reading .torrent files (BEP 3 metainfo, BEP 27 private flag). The info hash is SHA-1 of
// the info dictionary's bytes exactly as they appear in the file, never of a re-encoding.

import { sha1 } from "@noble/hashes/legacy.js";
import { BencodeError, asBytes, asDict, asInt, asList, decodeWithSpans, encode, decode, type BDict, type BInput } from "./bencode.ts";
import { toHex, utf8Decode } from "./hex.ts";

export interface TorrentFile {
  path: string;
  length: number;
}

export interface TorrentMeta {
  infoHash: string;
  name: string;
  length: number;
  pieceLength: number;
  pieceCount: number;
  files: TorrentFile[];
  private: boolean;
}

export function parseTorrent(bytes: Uint8Array): TorrentMeta {
  const { value, spans } = decodeWithSpans(bytes);
  const root = asDict(value, "torrent");
  const info = asDict(root.info, "info");
  const span = spans.info;
  if (!span) throw new BencodeError("torrent has no info dictionary");
  const infoHash = toHex(sha1(bytes.subarray(span[0], span[1])));
  const name = utf8Decode(asBytes(info.name, "info.name"));
  if (!name || name.includes("/") || name === "." || name === "..") throw new BencodeError("info.name is not a safe name");
  const pieceLength = asInt(info["piece length"], "info.piece length");
  if (pieceLength <= 0 || pieceLength % (16 * 1024) !== 0) throw new BencodeError("piece length must be a positive multiple of 16 KiB");
  const pieces = asBytes(info.pieces, "info.pieces");
  if (pieces.length % 20 !== 0) throw new BencodeError("info.pieces is not a list of SHA-1 hashes");
  let files: TorrentFile[];
  if (info.files !== undefined) {
    files = asList(info.files, "info.files").map((f, i) => {
      const fd = asDict(f, `info.files[${i}]`);
      const parts = asList(fd.path, `info.files[${i}].path`).map((p) => utf8Decode(asBytes(p, "path element")));
      if (parts.length === 0 || parts.some((p) => !p || p === "." || p === ".." || p.includes("/"))) throw new BencodeError(`info.files[${i}].path is not a safe path`);
      return { path: parts.join("/"), length: asInt(fd.length, `info.files[${i}].length`) };
    });
  } else files = [{ path: "", length: asInt(info.length, "info.length") }];
  if (files.some((f) => f.length < 0)) throw new BencodeError("negative file length");
  const length = files.reduce((s, f) => s + f.length, 0);
  if (length <= 0) throw new BencodeError("torrent payload is empty");
  const pieceCount = pieces.length / 20;
  if (pieceCount !== Math.ceil(length / pieceLength)) throw new BencodeError("piece count does not match the payload length");
  return { infoHash, name, length, pieceLength, pieceCount, files, private: info.private === 1 };
}

/** The same torrent with its announce URL set (the info dict, hence the info hash, unchanged). */
export function withAnnounce(bytes: Uint8Array, announce: string): Uint8Array {
  const root = asDict(decode(bytes), "torrent") as BDict;
  const { "announce-list": _list, ...rest } = root;
  return encode({ ...(rest as Record<string, BInput>), announce });
}
