import { afterAll, describe, expect, it } from "vitest";
import { createServer, connect, type Socket } from "node:net";
import { corkPerTick } from "./client.ts";

// webtorrent writes a piece's 13-byte header and its 16 KiB block separately; with Nagle off
// (the challenge latency needs it off) each write was its own segment and syscall.
describe("corkPerTick", () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  it("sends the writes of one tick in one writev, and later ticks' writes again (regression: a segment per piece header)", async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const client = connect((server.address() as { port: number }).port, "127.0.0.1");
    sockets.push(client);
    await new Promise<void>((r) => client.once("connect", r));
    client.setNoDelay(true);
    corkPerTick(client);
    const calls: number[] = [];
    const internal = client as unknown as { _writev: (chunks: unknown[], cb: () => void) => void; _write: (c: unknown, e: string, cb: () => void) => void };
    const writev = internal._writev.bind(client);
    const write = internal._write.bind(client);
    internal._writev = (chunks, cb) => (calls.push(chunks.length), writev(chunks, cb));
    internal._write = (c, e, cb) => (calls.push(1), write(c, e, cb));
    client.write(new Uint8Array(13));
    client.write(new Uint8Array(16_384));
    client.write(new Uint8Array(5));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([3]);
    client.write(new Uint8Array(13));
    client.write(new Uint8Array(16_384));
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([3, 2]);
  });
});
