// The node's port on the home router (issue 15 part 1): NAT-PMP first (one UDP exchange with
// the default gateway), then UPnP-IGD (SSDP discovery, SOAP). The mapping is renewed at half
// the lifetime the gateway granted (RFC 6886 section 3.3; UPnP leases alike) and deleted on a
// clean stop. What was learnt (method, outside address and port, or why none) feeds
// `vidya node check` (protocol/net/reachability.ts).

import { randomInt } from "node:crypto";
import { NAT_MAPPING_LIFETIME_SECONDS } from "../../protocol/params.ts";
import type { MappingFacts } from "../../protocol/net/reachability.ts";
import { defaultGateway } from "./gateway.ts";
import { PmpError, pmpExternalAddress, pmpMapTcp } from "./pmp.ts";
import { describeIgd, ssdpSearch, upnpExternalAddress, upnpMapTcp, upnpMappingEntry, upnpUnmapTcp, UpnpError, type Igd } from "./upnp.ts";

export interface PortMapping {
  readonly facts: MappingFacts;
  /** Deletes the mapping at the gateway (a clean stop); never throws. */
  stop(): Promise<void>;
}

export interface MapOptions {
  /** The port the node listens on: asked as both the internal and the external port. */
  port: number;
  log?: (line: string) => void;
  /** The gateway to ask over NAT-PMP; default: the system's default gateway. */
  gateway?: string;
  lifetime?: number;
  /** How long UPnP's SSDP discovery listens (ms). */
  searchMs?: number;
}

const DESCRIPTION = "vidya node";

/** Tries NAT-PMP, then UPnP-IGD; resolves with what it got (facts.method "none" and the reasons when neither worked). */
export async function mapPort(o: MapOptions): Promise<PortMapping> {
  const log = o.log ?? (() => {});
  const lifetime = o.lifetime ?? NAT_MAPPING_LIFETIME_SECONDS;
  const errors: string[] = [];
  let externalHost: string | null = null;
  let noPublicAddress = false;
  const pmpFailed = (e: Error) => {
    errors.push(`NAT-PMP at ${gateway}: ${e.message}`);
    if (e instanceof PmpError && e.code === 3) noPublicAddress = true;
  };

  const gateway = o.gateway ?? (await defaultGateway());
  if (gateway) {
    try {
      // The outside address first: a refused mapping still tells where the router sits (CGNAT).
      externalHost = await pmpExternalAddress(gateway).catch((e: Error) => {
        pmpFailed(e);
        return null;
      });
      if (externalHost !== null) {
        const m = await pmpMapTcp(gateway, o.port, o.port, lifetime);
        const facts: MappingFacts = { method: "nat-pmp", externalHost, externalPort: m.externalPort, internalPort: m.internalPort };
        log(`NAT-PMP: ${gateway} maps ${externalHost}:${m.externalPort} to port ${o.port} for ${m.lifetime} s`);
        return renewing(facts, m.lifetime, log, {
          renew: async () => (await pmpMapTcp(gateway, o.port, m.externalPort, lifetime)).lifetime,
          remove: async () => void (await pmpMapTcp(gateway, o.port, 0, 0)),
        });
      }
    } catch (e) {
      pmpFailed(e as Error);
    }
  } else errors.push("NAT-PMP: no default gateway");

  let igd: Igd | undefined;
  try {
    const locations = await ssdpSearch(o.searchMs ?? 2_000);
    if (locations.length === 0) throw new UpnpError("no UPnP gateway answered the search");
    igd = await describeIgd(locations[0]!);
    externalHost = await upnpExternalAddress(igd).catch(() => externalHost);
    let granted = lifetime;
    const add = async (external: number) => {
      try {
        await upnpMapTcp(found, o.port, external, lifetime, DESCRIPTION);
      } catch (e) {
        // 725 OnlyPermanentLeasesSupported (IGD v1 routers): a permanent mapping, deleted on stop.
        if (!(e instanceof UpnpError) || e.code !== 725) throw e;
        await upnpMapTcp(found, o.port, external, 0, DESCRIPTION);
        granted = 0;
      }
    };
    const found = igd;
    let externalPort = o.port;
    for (let attempt = 0; ; attempt++) {
      try {
        await add(externalPort);
        // A mapping this machine left with another internal port (an earlier run) may be kept
        // as it was by a gateway that only renews it: check where it points.
        const entry = await upnpMappingEntry(found, externalPort).catch(() => undefined);
        if (entry && entry.internalPort !== o.port && entry.internalClient === found.localAddress) {
          log(`UPnP: outside port ${externalPort} still pointed at port ${entry.internalPort} (an old mapping); replacing it`);
          await upnpUnmapTcp(found, externalPort);
          await add(externalPort);
        } else if (entry && (entry.internalPort !== o.port || entry.internalClient !== found.localAddress)) throw new UpnpError(`outside port ${externalPort} points at ${entry.internalClient}:${entry.internalPort}`, 718);
        break;
      } catch (e) {
        // 718 ConflictInMappingEntry: another machine (another node at home) holds that outside
        // port; NAT-PMP gateways pick a free one themselves, UPnP leaves it to us.
        if (!(e instanceof UpnpError) || e.code !== 718 || attempt >= 3) throw e;
        log(`UPnP: outside port ${externalPort} is taken on the router; trying another`);
        externalPort = randomInt(20_000, 65_000);
      }
    }
    const facts: MappingFacts = { method: "upnp", externalHost, externalPort, internalPort: o.port };
    log(`UPnP: ${new URL(igd.location).host} maps ${externalHost ?? "?"}:${externalPort} to ${igd.localAddress}:${o.port}${granted ? ` for ${granted} s` : " (permanent lease)"}`);
    return renewing(facts, granted, log, {
      renew: async () => (await upnpMapTcp(found, o.port, externalPort, lifetime, DESCRIPTION), lifetime),
      remove: () => upnpUnmapTcp(found, externalPort),
    });
  } catch (e) {
    errors.push(`UPnP${igd ? ` at ${new URL(igd.location).host}` : ""}: ${(e as Error).message}`);
  }
  const error = errors.join("; ");
  log(`no port mapping: ${error}`);
  return { facts: { method: "none", externalHost, error, ...(noPublicAddress ? { noPublicAddress } : {}) }, stop: async () => {} };
}

/** Renews at half the granted lifetime (none for a permanent lease) and removes on stop. */
function renewing(facts: MappingFacts, granted: number, log: (line: string) => void, ops: { renew(): Promise<number>; remove(): Promise<void> }): PortMapping {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (seconds: number) => {
    if (seconds <= 0 || stopped) return;
    timer = setTimeout(() => {
      ops.renew().then(
        (next) => {
          log(`port mapping renewed for ${next} s`);
          schedule(next);
        },
        (e: Error) => {
          // A gateway that restarted or went away: try again soon rather than at the next half-life.
          log(`warning: could not renew the port mapping (${e.message}); retrying in 60 s`);
          schedule(Math.min(120, seconds));
        },
      );
    }, (seconds * 1000) / 2);
    timer.unref();
  };
  schedule(granted);
  return {
    facts,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      try {
        await ops.remove();
        log("port mapping removed");
      } catch (e) {
        log(`warning: could not remove the port mapping: ${(e as Error).message}`);
      }
    },
  };
}
