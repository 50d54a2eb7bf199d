// UPnP-IGD client: SSDP discovery (an M-SEARCH to 239.255.255.250:1900), the device
// description's WANIPConnection (or WANPPPConnection) control URL, then SOAP actions on it:
// GetExternalIPAddress, AddPortMapping, DeletePortMapping (UPnP IGD v1 and v2).

import { createSocket } from "node:dgram";
import { request as httpRequest } from "node:http";

const SSDP_ADDRESS = "239.255.255.250";
const SSDP_PORT = 1900;
const SEARCH_TARGETS = ["urn:schemas-upnp-org:device:InternetGatewayDevice:1", "urn:schemas-upnp-org:device:InternetGatewayDevice:2", "urn:schemas-upnp-org:service:WANIPConnection:1"];
const SERVICES = /urn:schemas-upnp-org:service:WAN(IP|PPP)Connection:[12]/;

export class UpnpError extends Error {
  override name = "UpnpError";
  /** The UPnP error code of a SOAP fault (718 conflict, 725 only permanent leases…); 0 otherwise. */
  readonly code: number;
  constructor(message: string, code = 0) {
    super(message);
    this.code = code;
  }
}

export interface Igd {
  /** The description's URL (from SSDP's LOCATION). */
  location: string;
  controlUrl: string;
  serviceType: string;
  /** This machine's address toward the gateway: the NewInternalClient of a mapping. */
  localAddress: string;
}

/** Device description URLs that answered an M-SEARCH within `timeoutMs`, first answer first. */
export async function ssdpSearch(timeoutMs = 2_000): Promise<string[]> {
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  const found: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      socket.on("error", reject);
      socket.on("message", (msg) => {
        const location = /^location:\s*(\S+)/im.exec(msg.toString("latin1"))?.[1];
        if (location && !found.includes(location)) found.push(location);
      });
      socket.bind(0, () => {
        for (const st of SEARCH_TARGETS) {
          const m = `M-SEARCH * HTTP/1.1\r\nHOST: ${SSDP_ADDRESS}:${SSDP_PORT}\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ${st}\r\n\r\n`;
          socket.send(m, SSDP_PORT, SSDP_ADDRESS, () => {});
        }
        setTimeout(resolve, timeoutMs);
      });
    });
  } finally {
    socket.close();
  }
  return found;
}

/** One HTTP exchange with the gateway; the local address of the connection comes back too. */
function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, timeoutMs = 5_000): Promise<{ status: number; text: string; localAddress: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET", headers: init.headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), localAddress: req.socket?.localAddress ?? "" }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new UpnpError(`no answer from ${url} within ${timeoutMs} ms`)));
    req.on("error", (e) => reject(e instanceof UpnpError ? e : new UpnpError(`${url}: ${e.message}`)));
    req.end(init.body);
  });
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<(?:[\\w-]+:)?${name}>([^<]*)</(?:[\\w-]+:)?${name}>`, "i").exec(xml)?.[1]?.trim();
}

/** The gateway's connection service from its description at `location`. */
export async function describeIgd(location: string): Promise<Igd> {
  const res = await http(location);
  if (res.status !== 200) throw new UpnpError(`${location} answered HTTP ${res.status}`);
  for (const block of res.text.split(/<service>/i).slice(1)) {
    const serviceType = tag(block, "serviceType");
    const control = tag(block, "controlURL");
    if (!serviceType || !control || !SERVICES.test(serviceType)) continue;
    const base = tag(res.text, "URLBase") || location;
    return { location, controlUrl: new URL(control, base).toString(), serviceType, localAddress: res.localAddress.replace(/^::ffff:/, "") };
  }
  throw new UpnpError(`${location} describes no WANIPConnection or WANPPPConnection service`);
}

async function soap(igd: Igd, action: string, args: Record<string, string | number>): Promise<string> {
  const body =
    `<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>` +
    `<u:${action} xmlns:u="${igd.serviceType}">${Object.entries(args).map(([k, v]) => `<${k}>${v}</${k}>`).join("")}</u:${action}></s:Body></s:Envelope>\r\n`;
  const res = await http(igd.controlUrl, { method: "POST", headers: { "content-type": 'text/xml; charset="utf-8"', soapaction: `"${igd.serviceType}#${action}"`, "content-length": String(Buffer.byteLength(body)) }, body });
  if (res.status !== 200) {
    const code = Number(tag(res.text, "errorCode") ?? 0);
    throw new UpnpError(`${action} refused: ${tag(res.text, "errorDescription") ?? `HTTP ${res.status}`}${code ? ` (UPnP error ${code})` : ""}`, code);
  }
  return res.text;
}

export async function upnpExternalAddress(igd: Igd): Promise<string> {
  const ip = tag(await soap(igd, "GetExternalIPAddress", {}), "NewExternalIPAddress");
  if (!ip) throw new UpnpError("the gateway gave no external address");
  return ip;
}

/** Adds a TCP mapping; `lifetime` 0 asks for a permanent one (for gateways that only keep those, error 725). */
export async function upnpMapTcp(igd: Igd, internalPort: number, externalPort: number, lifetime: number, description: string): Promise<void> {
  await soap(igd, "AddPortMapping", {
    NewRemoteHost: "",
    NewExternalPort: externalPort,
    NewProtocol: "TCP",
    NewInternalPort: internalPort,
    NewInternalClient: igd.localAddress,
    NewEnabled: 1,
    NewPortMappingDescription: description,
    NewLeaseDuration: lifetime,
  });
}

export async function upnpUnmapTcp(igd: Igd, externalPort: number): Promise<void> {
  await soap(igd, "DeletePortMapping", { NewRemoteHost: "", NewExternalPort: externalPort, NewProtocol: "TCP" });
}

/** Where the gateway forwards an outside TCP port now; undefined when it has no such mapping (714 NoSuchEntryInArray). */
export async function upnpMappingEntry(igd: Igd, externalPort: number): Promise<{ internalClient: string; internalPort: number } | undefined> {
  let xml: string;
  try {
    xml = await soap(igd, "GetSpecificPortMappingEntry", { NewRemoteHost: "", NewExternalPort: externalPort, NewProtocol: "TCP" });
  } catch (e) {
    if (e instanceof UpnpError && e.code === 714) return undefined;
    throw e;
  }
  return { internalClient: tag(xml, "NewInternalClient") ?? "", internalPort: Number(tag(xml, "NewInternalPort") ?? 0) };
}
