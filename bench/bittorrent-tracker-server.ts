// bittorrent-tracker (webtorrent's, from npm) as the Node reference for bench/tracker.ts:
// HTTP only, on 127.0.0.1, accepting only the info hashes listed in a file (as our tracker
// accepts only registered torrents and Debian's opentracker only whitelisted ones).
//   node bench/bittorrent-tracker-server.ts <port> <info hash file>

import { readFileSync } from "node:fs";
import { Server } from "bittorrent-tracker";

const [portArg, file] = process.argv.slice(2);
if (!portArg || !file) throw new Error("usage: bittorrent-tracker-server.ts <port> <info hash file>");
const allowed = new Set(readFileSync(file, "utf8").split("\n").map((l) => l.trim().toLowerCase()).filter((l) => l.length === 40));

const server = new Server({
  http: true,
  udp: false,
  ws: false,
  stats: false,
  filter: (infoHash: string, _params: unknown, cb: (err: Error | null) => void) => cb(allowed.has(infoHash) ? null : new Error("torrent not registered")),
});
server.on("error", (e: Error) => console.error("bittorrent-tracker error", e.message));
server.on("warning", () => {});
server.listen(Number(portArg), "127.0.0.1", () => console.log(`bittorrent-tracker listening on 127.0.0.1:${portArg}`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
