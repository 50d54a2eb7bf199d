// A TCP proxy that adds a fixed one-way delay in each direction, for measuring challenges over
// a slow link on loopback: between the challenger and a node (an honest node far away), or
// between a relay and its source (a source one internet round trip away). Bytes keep their
// order; each chunk is forwarded `oneWayMs` after it arrived, so the round trip grows by 2 × oneWayMs.

import { createServer, connect, type Socket } from "node:net";

export interface DelayProxy {
  port: number;
  close(): Promise<void>;
}

export async function startDelayProxy(o: { target: { host: string; port: number }; oneWayMs: number }): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const pipe = (from: Socket, to: Socket) => {
    from.on("data", (chunk: Buffer) => setTimeout(() => to.destroyed || to.write(chunk), o.oneWayMs));
    from.on("close", () => setTimeout(() => to.destroy(), o.oneWayMs));
    from.on("error", () => {});
  };
  const server = createServer((down) => {
    const up = connect(o.target.port, o.target.host);
    for (const s of [down, up]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    pipe(down, up);
    pipe(up, down);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (!addr || typeof addr === "string") throw new Error("proxy has no port");
  return {
    port: addr.port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
