// The EIP-712 digest of a ChallengeAnswer (eip712.ts answerTypes), encoded straight into bytes:
// the node signs one and the edge checks one per challenge, and viem's generic encoder (hex
// strings, type validation) took ~0.6 ms of each (bench/proofs.ts). Canonical input only (lower-
// case hex of exact length, integers in range); anything else goes through viem, which decides
// exactly as before (tests compare both on random answers).

import { keccak_256 } from "@noble/hashes/sha3.js";
import { hashTypedData, type Hex } from "viem";
import { toHex } from "../hex.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const ANSWER_TYPE_HASH = keccak_256(
  utf8("ChallengeAnswer(address node,bytes20 infoHash,uint64 epoch,uint32 round,bytes32 beacon,bytes32 nonce,bytes32 root,uint32[] blocks,bytes32[] blockHashes,uint64 answeredAt)"),
);
const DOMAIN_TYPE_HASH = keccak_256(utf8("EIP712Domain(string name,string version,uint256 chainId)"));

const HEX20 = /^(0x)?[0-9a-f]{40}$/;
const HEX32 = /^(0x)?[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const UINT32 = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
const UINT64 = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** Writes hex (with or without 0x) into `out` at `at`. */
function putHex(out: Uint8Array, at: number, hex: string): void {
  const s = hex.charCodeAt(1) === 120 /* x */ ? 2 : 0;
  for (let i = s, o = at; i < hex.length; i += 2, o++) out[o] = parseInt(hex.slice(i, i + 2), 16);
}

/** A uint up to 2^53 right-aligned in the 32-byte word at `at`. */
function putUint(out: Uint8Array, at: number, n: number): void {
  let v = n;
  for (let o = at + 31; v > 0; o--) {
    out[o] = v % 256;
    v = Math.floor(v / 256);
  }
}

export interface AnswerFields {
  node: string;
  infoHash: string;
  epoch: number;
  round: number;
  beacon: string;
  nonce: string;
  root: string;
  blocks: number[];
  blockHashes: string[];
  answeredAt: number;
}

const domainSeparators = new Map<string, Uint8Array>();
function domainSeparator(chainId: number, name: string, version: string): Uint8Array {
  const key = `${chainId}:${name}:${version}`;
  let d = domainSeparators.get(key);
  if (!d) {
    const w = new Uint8Array(128);
    w.set(DOMAIN_TYPE_HASH, 0);
    w.set(keccak_256(utf8(name)), 32);
    w.set(keccak_256(utf8(version)), 64);
    putUint(w, 96, chainId);
    d = keccak_256(w);
    domainSeparators.set(key, d);
  }
  return d;
}

function canonical(a: AnswerFields, chainId: number): boolean {
  return (
    ADDRESS.test(a.node) && HEX20.test(a.infoHash) && UINT64(a.epoch) && UINT32(a.round) && HEX32.test(a.beacon) && HEX32.test(a.nonce) && HEX32.test(a.root) &&
    a.blocks.every(UINT32) && a.blockHashes.every((h) => HEX32.test(h)) && UINT64(a.answeredAt) && UINT64(chainId)
  );
}

/**
 * The digest a node signs for `a` under the Vidya domain (`name`, `version`, `chainId`);
 * `viemTypedData` builds the same request for viem when `a` is not canonical.
 */
export function challengeAnswerDigest(chainId: number, name: string, version: string, a: AnswerFields, viemTypedData: () => unknown): Hex {
  if (!canonical(a, chainId)) return hashTypedData(viemTypedData() as never);
  const blocks = new Uint8Array(32 * a.blocks.length);
  a.blocks.forEach((b, i) => putUint(blocks, 32 * i, b));
  const hashes = new Uint8Array(32 * a.blockHashes.length);
  a.blockHashes.forEach((h, i) => putHex(hashes, 32 * i, h));
  const s = new Uint8Array(11 * 32);
  s.set(ANSWER_TYPE_HASH, 0);
  putHex(s, 32 + 12, a.node);
  putHex(s, 64, a.infoHash); // bytesN are left-aligned
  putUint(s, 96, a.epoch);
  putUint(s, 128, a.round);
  putHex(s, 160, a.beacon);
  putHex(s, 192, a.nonce);
  putHex(s, 224, a.root);
  s.set(keccak_256(blocks), 256);
  s.set(keccak_256(hashes), 288);
  putUint(s, 320, a.answeredAt);
  const m = new Uint8Array(66);
  m[0] = 0x19;
  m[1] = 0x01;
  m.set(domainSeparator(chainId, name, version), 2);
  m.set(keccak_256(s), 34);
  return `0x${toHex(keccak_256(m))}`;
}
