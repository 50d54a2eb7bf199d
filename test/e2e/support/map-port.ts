// Run inside a home namespace by nat.test.ts: maps a port with the node's own code
// (node/nat/port-mapping.ts) for a short lifetime, keeps it for a while (the renewals show in
// the log), then removes it. Prints one JSON line per event on stdout.
// Usage: node map-port.ts PORT LIFETIME_SECONDS HOLD_MS

import { mapPort } from "../../../node/nat/port-mapping.ts";

const [port, lifetime, hold] = process.argv.slice(2).map(Number);
const say = (event: string, extra: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...extra })}\n`);
const m = await mapPort({ port: port!, lifetime: lifetime!, log: (line) => say("log", { line }) });
say("mapped", { facts: m.facts });
await new Promise((r) => setTimeout(r, hold!));
await m.stop();
say("stopped");
