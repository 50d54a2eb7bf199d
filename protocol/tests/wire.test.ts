import { describe, expect, it } from "vitest";
import { concatBytes } from "../hex.ts";
import { EXTENDED_HANDSHAKE_ID, WireReader, encodeExtended, encodeHandshake, encodeInterested, encodePiece, encodeRequest, encodeUnchoke, type WireMessage } from "../wire/messages.ts";

const infoHash = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
const peerId = new TextEncoder().encode("-qB4650-abcdefghijkl");
const block = Uint8Array.from({ length: 16_384 }, (_, i) => (i * 7) & 0xff);
const stream = concatBytes(
  encodeHandshake(infoHash, peerId),
  encodeExtended(EXTENDED_HANDSHAKE_ID, new TextEncoder().encode("d1:md11:vidya_proofi1eee")),
  encodeUnchoke(),
  encodeInterested(),
  encodeRequest(3, 16_384, 16_384),
  encodePiece(3, 16_384, block),
  encodePiece(4, 0, block.subarray(0, 1_000)),
  new Uint8Array(4), // keep-alive
);

function readAll(chunks: Uint8Array[]): { peerId: Uint8Array; messages: WireMessage[] } {
  const r = new WireReader();
  const messages: WireMessage[] = [];
  let hs;
  for (const c of chunks) {
    r.push(c);
    hs ??= r.takeHandshake();
    if (!hs) continue;
    for (let m = r.takeMessage(); m; m = r.takeMessage()) messages.push(m);
  }
  return { peerId: hs!.peerId, messages };
}

describe("the peer-wire reader", () => {
  const whole = readAll([stream.slice()]);

  it("decodes a handshake and every message of a stream", () => {
    expect(whole.peerId).toEqual(peerId);
    expect(whole.messages.map((m) => m.type)).toEqual(["extended", "unchoke", "interested", "request", "piece", "piece", "keepalive"]);
    expect(whole.messages[4]).toEqual({ type: "piece", piece: 3, begin: 16_384, block });
    expect(whole.messages[5]).toMatchObject({ type: "piece", piece: 4, begin: 0, block: block.subarray(0, 1_000) });
  });

  it("decodes the same messages however the bytes are split into chunks", () => {
    const oneByOne = readAll(Array.from(stream, (b) => Uint8Array.of(b)));
    expect(oneByOne).toEqual(whole);
    for (const seed of [1, 2, 3, 4, 5]) {
      const chunks: Uint8Array[] = [];
      let x = seed;
      for (let o = 0; o < stream.length; ) {
        x = (x * 1_103_515_245 + 12_345) & 0x7fffffff;
        const n = 1 + (x % 20_000);
        chunks.push(stream.slice(o, o + n));
        o += n;
      }
      expect(readAll(chunks), `split ${seed}`).toEqual(whole);
    }
  });

  it("hands out blocks of its own: a chunk reused after reading does not change them", () => {
    const chunk = stream.slice();
    const r = new WireReader();
    r.push(chunk);
    r.takeHandshake();
    const pieces: Uint8Array[] = [];
    for (let m = r.takeMessage(); m; m = r.takeMessage()) if (m.type === "piece") pieces.push(m.block);
    chunk.fill(0);
    expect(pieces[0]).toEqual(block);
  });

  it("refuses a message longer than any a challenge needs", () => {
    const r = new WireReader();
    r.push(concatBytes(encodeHandshake(infoHash, peerId), Uint8Array.of(0x7f, 0, 0, 0)));
    r.takeHandshake();
    expect(() => r.takeMessage()).toThrow(/byte message/);
  });
});
