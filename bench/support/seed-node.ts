// The node side of bench/proofs.ts, in its own process (its own event loop, as a node runs):
// writes a random payload, makes a private .torrent of it, builds its storage tree from the
// files as node/seed/host.ts does, and seeds it with webtorrent and the vidya_proof extension.
// Prints one JSON line { port, node, infoHash, root, length, pieceLength } when ready; exits on SIGTERM.
//
//   node bench/support/seed-node.ts <dir> <payload bytes>

import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import createTorrent from "create-torrent";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { toHex } from "../../protocol/hex.ts";
import { parseTorrent } from "../../protocol/torrent.ts";
import { storageTreeFromFiles } from "../../node/storage/payload.ts";
import { createClient, destroyClient, seedTorrent } from "../../node/seed/client.ts";

const [dir, bytesArg] = process.argv.slice(2);
if (!dir || !bytesArg) throw new Error("usage: seed-node.ts <dir> <payload bytes>");
const name = "bench-payload.bin";
// Written a MiB at a time: a node does not hold its payload in memory, nor should this one.
const fd = openSync(join(dir, name), "w");
const chunk = new Uint8Array(1 << 20);
for (let left = Number(bytesArg); left > 0; left -= chunk.length) {
  for (let o = 0; o < chunk.length; o += 65_536) crypto.getRandomValues(chunk.subarray(o, o + 65_536));
  writeSync(fd, chunk, 0, Math.min(left, chunk.length));
}
closeSync(fd);
const torrentFile: Uint8Array = await new Promise((resolve, reject) =>
  createTorrent(join(dir, name), { private: true, pieceLength: 256 * 1024, announceList: [["http://127.0.0.1:9/announce"]] }, (err: Error | null, t: Buffer) => (err ? reject(err) : resolve(new Uint8Array(t)))),
);
const meta = parseTorrent(torrentFile);
const tree = await storageTreeFromFiles([join(dir, name)]);
const client = await createClient({ port: 0 });
// A node key of its own: every answer is signed, as a registered node's are.
const signer = privateKeyToAccount(generatePrivateKey());
const torrent = await seedTorrent(client, torrentFile, { path: dir, lookup: (ih) => (ih === meta.infoHash ? tree : undefined), signer });
if (!torrent.done) throw new Error("webtorrent did not verify the payload");
process.stdout.write(JSON.stringify({ port: client.torrentPort, node: signer.address, infoHash: meta.infoHash, root: toHex(tree.root), length: meta.length, pieceLength: meta.pieceLength }) + "\n");
process.once("SIGTERM", () => void destroyClient(client).then(() => process.exit(0)));
