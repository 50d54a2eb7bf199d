// Run inside a home namespace by nat.test.ts: maps a port with the node's own code
// (node/nat/port-mapping.ts) for a short lifetime, keeps it for a while (the renewals show in
// the log), then removes it. Prints one JSON line per event on stdout.
// Usage: node map-port.ts PORT LIFETIME_SECONDS HOLD_MS [OCCUPIER_PORT]
// With OCCUPIER_PORT, the router's outside PORT is first mapped (UPnP) to that other local
// port, as another machine's mapping would hold it.

import { mapPort } from "../../../node/nat/port-mapping.ts";
import { describeIgd, ssdpSearch, upnpMapTcp, upnpUnmapTcp } from "../../../node/nat/upnp.ts";

const [port, lifetime, hold, occupier] = process.argv.slice(2).map(Number);
const say = (event: string, extra: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...extra })}\n`);
const igd = occupier ? await describeIgd((await ssdpSearch())[0]!) : undefined;
if (igd) {
  await upnpMapTcp(igd, occupier!, port!, 60, "another machine");
  say("occupied", { port });
}
const m = await mapPort({ port: port!, lifetime: lifetime!, log: (line) => say("log", { line }) });
say("mapped", { facts: m.facts });
await new Promise((r) => setTimeout(r, hold!));
await m.stop();
say("stopped");
if (igd) await upnpUnmapTcp(igd, port!);
