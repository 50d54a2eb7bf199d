// Drivers for real BitTorrent clients from Debian's packages (Transmission 3, aria2 1.36,
// qBittorrent-nox 4.5 on libtorrent 2.0, rTorrent 0.9.8), each hermetic (STYLE.md): its own config and state
// folder, listening on 127.0.0.1 only where the client allows it, no DHT, PEX, LSD, UPnP or
// NAT-PMP, no uTP; our tracker is its only source of peers. Each runs in the test's
// ProcessGroup, which kills its whole process group at the end.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { randomBytes } from "node:crypto";
import { connect as netConnect } from "node:net";
import { ProcessGroup, freePort, waitFor, type Managed } from "../../../scripts/network/processes.ts";

/** What every driver reports about one torrent. */
export interface ClientTorrent {
  /** 0..1 of the payload verified on disk. */
  progress: number;
  /** The client's own session counters, as it reports them to trackers. */
  uploaded: number;
  downloaded: number;
}

async function rpcJson(url: string, init: RequestInit, what: string): Promise<unknown> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

const base64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** HOME and XDG folders inside the client's own folder, so nothing is read from or left in the user's. */
function homeIn(dir: string): NodeJS.ProcessEnv {
  return { HOME: dir, XDG_CONFIG_HOME: join(dir, ".config"), XDG_DATA_HOME: join(dir, ".local", "share"), XDG_CACHE_HOME: join(dir, ".cache") };
}

/** The Debian commands these drivers run; `.ci/run` installs them. */
export const CLIENT_COMMANDS = ["transmission-daemon", "aria2c", "qbittorrent-nox", "rtorrent"] as const;

/** Those of CLIENT_COMMANDS that are not on PATH. */
export function missingClients(): string[] {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  return CLIENT_COMMANDS.filter((c) => !dirs.some((d) => existsSync(join(d, c))));
}

// ---------------------------------------------------------------------------------------------
// Transmission: transmission-daemon in the foreground, driven through its JSON-RPC.
// Two habits of Transmission 3 matter on a loopback-only network. It refuses to dial peers on
// 127.0.0.0/8 (its "martian address" filter) but accepts their incoming connections, so it
// downloads from peers that connect to it, which any peer does once the tracker lists it. And it
// knows peers by IP address alone: once a seed on 127.0.0.1 has been seen, a seeding
// Transmission turns away every other 127.0.0.1 peer as "another seed"; re-adding the torrent
// (remove, add) gives it a fresh peer list.

export interface TransmissionTracker {
  announce: string;
  scrape: string;
  lastAnnounceSucceeded: boolean;
  lastAnnounceResult: string;
  hasAnnounced: boolean;
}

export class Transmission {
  readonly name = "transmission";
  readonly process: Managed;
  readonly peerPort: number;
  private readonly rpcUrl: string;
  private sessionId = "";

  private constructor(process: Managed, rpcPort: number, peerPort: number) {
    this.process = process;
    this.rpcUrl = `http://127.0.0.1:${rpcPort}/transmission/rpc`;
    this.peerPort = peerPort;
  }

  /** `bindAddress`: where it listens and announces from (default 127.0.0.1; bench/node.ts gives it a non-loopback one). */
  static async start(group: ProcessGroup, dir: string, bindAddress = "127.0.0.1"): Promise<Transmission> {
    const config = join(dir, "config");
    mkdirSync(config, { recursive: true });
    const [rpcPort, peerPort] = [await freePort(), await freePort()];
    const settings = {
      "dht-enabled": false,
      "pex-enabled": false,
      "lpd-enabled": false,
      "utp-enabled": false,
      "port-forwarding-enabled": false,
      "blocklist-enabled": false,
      "bind-address-ipv4": bindAddress,
      "bind-address-ipv6": "::1",
      "peer-port": peerPort,
      "peer-port-random-on-start": false,
      "rpc-enabled": true,
      "rpc-bind-address": "127.0.0.1",
      "rpc-port": rpcPort,
      "rpc-authentication-required": false,
      "rpc-whitelist-enabled": true,
      "rpc-whitelist": "127.0.0.1",
      "rpc-host-whitelist-enabled": false,
      "download-dir": join(dir, "downloads"),
      "incomplete-dir-enabled": false,
      "watch-dir-enabled": false,
      "rename-partial-files": false,
      "start-added-torrents": true,
      "ratio-limit-enabled": false,
      "idle-seeding-limit-enabled": false,
      "download-queue-enabled": false,
      "seed-queue-enabled": false,
      "queue-stalled-enabled": false,
      "speed-limit-down-enabled": false,
      "speed-limit-up-enabled": false,
      "alt-speed-enabled": false,
      "script-torrent-done-enabled": false,
      "message-level": 2,
    };
    writeFileSync(join(config, "settings.json"), JSON.stringify(settings, null, 2));
    const proc = group.start("transmission", "transmission-daemon", ["--foreground", "--config-dir", config], { env: homeIn(dir) });
    const t = new Transmission(proc, rpcPort, peerPort);
    await waitFor("transmission-daemon's RPC", async () => {
      if (proc.child.exitCode !== null) throw new Error(`transmission-daemon exited; see ${proc.logPath}`);
      return (await t.rpc("session-get", {})) ? true : undefined;
    }, 30_000, 200);
    return t;
  }

  /** One JSON-RPC call; Transmission answers 409 with the session id to use (its CSRF guard). */
  async rpc<T = Record<string, unknown>>(method: string, args: Record<string, unknown>): Promise<T> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await fetch(this.rpcUrl, { method: "POST", headers: { "X-Transmission-Session-Id": this.sessionId }, body: JSON.stringify({ method, arguments: args }) });
      if (res.status === 409) {
        this.sessionId = res.headers.get("X-Transmission-Session-Id") ?? "";
        continue;
      }
      const body = (await res.json()) as { result: string; arguments: T };
      if (body.result !== "success") throw new Error(`transmission ${method}: ${body.result}`);
      return body.arguments;
    }
    throw new Error(`transmission ${method}: no session id`);
  }

  /** Adds a .torrent and starts it; returns Transmission's id for it. */
  async add(torrent: Uint8Array, downloadDir: string): Promise<number> {
    const r = await this.rpc<{ "torrent-added"?: { id: number }; "torrent-duplicate"?: { id: number } }>("torrent-add", { metainfo: base64(torrent), "download-dir": downloadDir, paused: false });
    const added = r["torrent-added"] ?? r["torrent-duplicate"];
    if (!added) throw new Error("transmission did not add the torrent");
    return added.id;
  }

  private async get(id: number, fields: string[]): Promise<Record<string, unknown>> {
    const r = await this.rpc<{ torrents: Record<string, unknown>[] }>("torrent-get", { ids: [id], fields });
    const t = r.torrents[0];
    if (!t) throw new Error(`transmission has no torrent ${id}`);
    return t;
  }

  async torrent(id: number): Promise<ClientTorrent & { error: string }> {
    const t = await this.get(id, ["percentDone", "uploadedEver", "downloadedEver", "error", "errorString"]);
    return { progress: t.percentDone as number, uploaded: t.uploadedEver as number, downloaded: t.downloadedEver as number, error: t.error ? String(t.errorString) : "" };
  }

  async tracker(id: number): Promise<TransmissionTracker> {
    const t = await this.get(id, ["trackerStats"]);
    const [s] = t.trackerStats as TransmissionTracker[];
    if (!s) throw new Error("transmission lists no tracker");
    return s;
  }

  /** Forgets the torrent (data kept): Transmission announces `stopped` and drops what it knew of its peers. */
  async remove(id: number): Promise<void> {
    await this.rpc("torrent-remove", { ids: [id], "delete-local-data": false });
  }

  /** Stops the torrent: Transmission announces `stopped` with its session counters. */
  async stop(id: number): Promise<void> {
    await this.rpc("torrent-stop", { ids: [id] });
  }
}

// ---------------------------------------------------------------------------------------------
// aria2: aria2c with its JSON-RPC on a loopback port, seeding until removed.

export class Aria2 {
  readonly name = "aria2";
  readonly process: Managed;
  readonly peerPort: number;
  private readonly rpcUrl: string;
  private readonly secret: string;
  private id = 0;

  private constructor(process: Managed, rpcPort: number, peerPort: number, secret: string) {
    this.process = process;
    this.rpcUrl = `http://127.0.0.1:${rpcPort}/jsonrpc`;
    this.peerPort = peerPort;
    this.secret = secret;
  }

  static async start(group: ProcessGroup, dir: string): Promise<Aria2> {
    mkdirSync(dir, { recursive: true });
    const [rpcPort, peerPort] = [await freePort(), await freePort()];
    const secret = randomBytes(16).toString("hex");
    const args = [
      "--no-conf=true",
      "--enable-rpc=true", `--rpc-listen-port=${rpcPort}`, "--rpc-listen-all=false", `--rpc-secret=${secret}`,
      `--dir=${join(dir, "downloads")}`,
      `--listen-port=${peerPort}`,
      "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
      "--disable-ipv6=true",
      // Seed until the test removes the download: ratio 0.0 means no ratio limit.
      "--seed-ratio=0.0",
      "--follow-torrent=false", "--bt-save-metadata=false", "--check-integrity=true",
      "--file-allocation=none", "--auto-file-renaming=false", "--allow-overwrite=true",
      "--summary-interval=0", "--console-log-level=notice",
      `--log=${join(dir, "aria2.log")}`, "--log-level=info",
      // A safety net besides the process group: aria2 exits with the test process.
      `--stop-with-process=${process.pid}`,
    ];
    const proc = group.start("aria2", "aria2c", args, { env: homeIn(dir) });
    const a = new Aria2(proc, rpcPort, peerPort, secret);
    await waitFor("aria2's RPC", async () => {
      if (proc.child.exitCode !== null) throw new Error(`aria2c exited; see ${proc.logPath}`);
      return (await a.call("aria2.getVersion")) ? true : undefined;
    }, 30_000, 200);
    return a;
  }

  async call<T = unknown>(method: string, ...params: unknown[]): Promise<T> {
    const body = { jsonrpc: "2.0", id: String(++this.id), method, params: [`token:${this.secret}`, ...params] };
    const r = (await rpcJson(this.rpcUrl, { method: "POST", body: JSON.stringify(body) }, `aria2 ${method}`)) as { result?: T; error?: { message: string } };
    if (r.error) throw new Error(`aria2 ${method}: ${r.error.message}`);
    return r.result as T;
  }

  /** Adds a .torrent; returns aria2's gid for it. */
  async add(torrent: Uint8Array): Promise<string> {
    return this.call<string>("aria2.addTorrent", base64(torrent), []);
  }

  async torrent(gid: string): Promise<ClientTorrent & { status: string; error: string; connections: number }> {
    const s = await this.call<Record<string, string>>("aria2.tellStatus", gid, ["status", "totalLength", "completedLength", "uploadLength", "errorMessage", "connections"]);
    const total = Number(s.totalLength);
    return {
      status: s.status!,
      progress: total > 0 ? Number(s.completedLength) / total : 0,
      uploaded: Number(s.uploadLength),
      // aria2 reports the bytes it fetched this session to trackers; completedLength is verified bytes.
      downloaded: Number(s.completedLength),
      error: s.errorMessage ?? "",
      connections: Number(s.connections),
    };
  }

  /** Graceful shutdown: aria2 announces `stopped` for every torrent before it exits. */
  async shutdown(): Promise<void> {
    await this.call("aria2.shutdown");
    await Promise.race([this.process.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
}

// ---------------------------------------------------------------------------------------------
// qBittorrent-nox: a profile folder with its config written beforehand, driven through the
// WebUI API on a loopback port without login (LocalHostAuth=false).

export interface QbTracker {
  url: string;
  /** 0 disabled, 1 not contacted, 2 working, 3 updating, 4 not working. */
  status: number;
  msg: string;
}

/** Settings that keep qBittorrent to our tracker, as the WebUI API names them (checked after start). */
export const QB_HERMETIC = {
  dht: false,
  pex: false,
  lsd: false,
  upnp: false,
  bittorrent_protocol: 1, // TCP only
  anonymous_mode: false,
  resolve_peer_countries: false,
  current_interface_address: "127.0.0.1",
  // libtorrent's SSRF mitigation refuses a tracker on 127.0.0.1 unless its path is exactly
  // /announce; ours carries the passkey (/<passkey>/announce). It guards loopback only, so a
  // tracker on a real address is unaffected: the tests turn it off, members never need to.
  ssrf_mitigation: false,
} as const;

export class QBittorrent {
  readonly name = "qbittorrent";
  readonly process: Managed;
  readonly peerPort: number;
  private readonly api: string;

  private constructor(process: Managed, webPort: number, peerPort: number) {
    this.process = process;
    this.api = `http://127.0.0.1:${webPort}/api/v2`;
    this.peerPort = peerPort;
  }

  static async start(group: ProcessGroup, dir: string): Promise<QBittorrent> {
    const profile = join(dir, "profile");
    const configDir = join(profile, "qBittorrent", "config");
    mkdirSync(configDir, { recursive: true });
    const [webPort, peerPort] = [await freePort(), await freePort()];
    // qBittorrent 4.5 has no --confirm-legal-notice: the notice is accepted in the config file.
    const conf = [
      "[LegalNotice]",
      "Accepted=true",
      "",
      "[BitTorrent]",
      "Session\\DHTEnabled=false",
      "Session\\PeXEnabled=false",
      "Session\\LSDEnabled=false",
      "Session\\BTProtocol=TCP",
      `Session\\Port=${peerPort}`,
      "Session\\InterfaceAddress=127.0.0.1",
      "Session\\SSRFMitigation=false",
      "Session\\AnonymousModeEnabled=false",
      "Session\\MultiConnectionsPerIp=true",
      "Session\\QueueingSystemEnabled=false",
      `Session\\DefaultSavePath=${join(dir, "downloads")}`,
      "Session\\TempPathEnabled=false",
      "",
      "[Network]",
      "PortForwardingEnabled=false",
      "",
      "[Preferences]",
      "Connection\\ResolvePeerCountries=false",
      "General\\Locale=en",
      "WebUI\\Address=127.0.0.1",
      `WebUI\\Port=${webPort}`,
      "WebUI\\LocalHostAuth=false",
      "WebUI\\CSRFProtection=false",
      "WebUI\\HostHeaderValidation=false",
      "WebUI\\UseUPnP=false",
      "",
    ].join("\n");
    writeFileSync(join(configDir, "qBittorrent.conf"), conf);
    const proc = group.start("qbittorrent", "qbittorrent-nox", [`--profile=${profile}`, `--webui-port=${webPort}`], { env: homeIn(dir) });
    const q = new QBittorrent(proc, webPort, peerPort);
    await waitFor("qBittorrent's WebUI", async () => {
      if (proc.child.exitCode !== null) throw new Error(`qbittorrent-nox exited; see ${proc.logPath}`);
      return (await fetch(`${q.api}/app/version`)).ok ? true : undefined;
    }, 30_000, 200);
    return q;
  }

  private async post(path: string, form: Record<string, string> | FormData): Promise<string> {
    const body = form instanceof FormData ? form : new URLSearchParams(form);
    const res = await fetch(`${this.api}${path}`, { method: "POST", body });
    const text = await res.text();
    if (!res.ok) throw new Error(`qBittorrent ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text;
  }

  private async get<T>(path: string): Promise<T> {
    return (await rpcJson(`${this.api}${path}`, {}, `qBittorrent ${path}`)) as T;
  }

  async preferences(): Promise<Record<string, unknown>> {
    return this.get("/app/preferences");
  }

  async add(torrent: Uint8Array, savePath: string): Promise<void> {
    const form = new FormData();
    form.set("torrents", new Blob([Uint8Array.from(torrent)], { type: "application/x-bittorrent" }), "t.torrent");
    form.set("savepath", savePath);
    form.set("paused", "false");
    const r = await this.post("/torrents/add", form);
    if (r.trim() !== "Ok.") throw new Error(`qBittorrent did not add the torrent: ${r}`);
  }

  async torrent(infoHash: string): Promise<(ClientTorrent & { state: string }) | undefined> {
    const [t] = await this.get<{ progress: number; uploaded: number; downloaded: number; state: string }[]>(`/torrents/info?hashes=${infoHash}`);
    return t && { progress: t.progress, uploaded: t.uploaded, downloaded: t.downloaded, state: t.state };
  }

  /** The torrent's HTTP trackers (the DHT, PeX and LSD pseudo-entries left out). */
  async trackers(infoHash: string): Promise<QbTracker[]> {
    const all = await this.get<QbTracker[]>(`/torrents/trackers?hash=${infoHash}`);
    return all.filter((t) => /^https?:/.test(t.url));
  }

  /** Removes the torrent (files kept): libtorrent announces `stopped`. */
  async remove(infoHash: string): Promise<void> {
    await this.post("/torrents/delete", { hashes: infoHash, deleteFiles: "false" });
  }

  async shutdown(): Promise<void> {
    await this.post("/app/shutdown", {}).catch(() => {});
    await Promise.race([this.process.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
}

// ---------------------------------------------------------------------------------------------
// rTorrent: rtorrent 0.9.8 (libtorrent 0.13.8, peer ids `-lt0D80-`) as a daemon
// (`system.daemon.set`, no terminal), configured by its own rc file (`-n` skips ~/.rtorrent.rc)
// and driven through XML-RPC over SCGI on a Unix socket in its folder: the interface its
// web front ends (ruTorrent, Flood) use.

/** An XML-RPC value as rTorrent answers: integers, strings, arrays. */
export type XmlRpcValue = number | string | XmlRpcValue[] | { [name: string]: XmlRpcValue };

const xmlEscape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const xmlUnescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

function xmlRpcParam(v: string | number): string {
  return typeof v === "number" ? `<param><value><i8>${v}</i8></value></param>` : `<param><value><string>${xmlEscape(v)}</string></value></param>`;
}

/** Parses the <value> at `at`; returns it and where it ends. Only what rTorrent sends. */
function parseXmlRpcValue(xml: string, at: number): [XmlRpcValue, number] {
  const open = xml.indexOf("<value>", at);
  if (open < 0) throw new Error("XML-RPC: no value");
  let i = open + 7;
  const tag = /^\s*<([a-z0-9]+)\s*(\/)?>/.exec(xml.slice(i));
  if (!tag) {
    // A bare <value>text</value> is a string.
    const end = xml.indexOf("</value>", i);
    return [xmlUnescape(xml.slice(i, end)), end + 8];
  }
  i += tag[0].length;
  const name = tag[1]!;
  if (tag[2]) return [name === "string" ? "" : 0, xml.indexOf("</value>", i) + 8];
  if (name === "array") {
    const items: XmlRpcValue[] = [];
    const end = () => xml.indexOf("</data>", i);
    for (;;) {
      const nextValue = xml.indexOf("<value>", i);
      if (nextValue < 0 || nextValue > end()) break;
      const [v, j] = parseXmlRpcValue(xml, i);
      items.push(v);
      i = j;
    }
    return [items, xml.indexOf("</value>", xml.indexOf("</array>", i)) + 8];
  }
  if (name === "struct") {
    const out: Record<string, XmlRpcValue> = {};
    for (;;) {
      const m = xml.indexOf("<member>", i);
      const close = xml.indexOf("</struct>", i);
      if (m < 0 || m > close) break;
      const n = /<name>([^<]*)<\/name>/.exec(xml.slice(m))!;
      const [v, j] = parseXmlRpcValue(xml, m + n.index + n[0].length);
      out[xmlUnescape(n[1]!)] = v;
      i = xml.indexOf("</member>", j) + 9;
    }
    return [out, xml.indexOf("</value>", xml.indexOf("</struct>", i)) + 8];
  }
  const close = xml.indexOf(`</${name}>`, i);
  const text = xml.slice(i, close);
  const v = name === "string" ? xmlUnescape(text) : Number(text);
  return [v, xml.indexOf("</value>", close) + 8];
}

export class RTorrent {
  readonly name = "rtorrent";
  readonly process: Managed;
  readonly peerPort: number;
  private readonly socket: string;
  private readonly dir: string;

  private constructor(process: Managed, socket: string, peerPort: number, dir: string) {
    this.process = process;
    this.socket = socket;
    this.peerPort = peerPort;
    this.dir = dir;
  }

  static async start(group: ProcessGroup, dir: string): Promise<RTorrent> {
    for (const d of ["session", "downloads", "torrents"]) mkdirSync(join(dir, d), { recursive: true });
    const peerPort = await freePort();
    const socket = join(dir, "rpc.socket");
    const rc = [
      `session.path.set = ${join(dir, "session")}`,
      `directory.default.set = ${join(dir, "downloads")}`,
      `network.port_range.set = ${peerPort}-${peerPort}`,
      "network.port_random.set = no",
      "network.bind_address.set = 127.0.0.1",
      // Our tracker is its only source of peers: no DHT, no peer exchange, no UDP trackers.
      "dht.mode.set = disable",
      "protocol.pex.set = no",
      "trackers.use_udp.set = no",
      "protocol.encryption.set = allow_incoming,try_outgoing,enable_retry",
      "pieces.hash.on_completion.set = yes",
      `network.scgi.open_local = ${socket}`,
      "system.daemon.set = true",
      `log.open_file = "main", ${join(dir, "rtorrent.log")}`,
      `log.add_output = "info", "main"`,
      `log.add_output = "tracker_debug", "main"`,
      "",
    ].join("\n");
    const rcPath = join(dir, "rtorrent.rc");
    writeFileSync(rcPath, rc);
    const proc = group.start("rtorrent", "rtorrent", ["-n", "-o", `import=${rcPath}`], { env: homeIn(dir), cwd: dir });
    const r = new RTorrent(proc, socket, peerPort, dir);
    await waitFor("rTorrent's XML-RPC socket", async () => {
      if (proc.child.exitCode !== null) throw new Error(`rtorrent exited; see ${proc.logPath} and ${join(dir, "rtorrent.log")}`);
      if (!existsSync(socket)) return undefined;
      return (await r.call("system.client_version").catch(() => undefined)) ? true : undefined;
    }, 30_000, 200);
    return r;
  }

  /** One XML-RPC call over SCGI (netstring headers, then the body; the answer is CGI-style). */
  call(method: string, ...params: (string | number)[]): Promise<XmlRpcValue> {
    const body = `<?xml version="1.0"?><methodCall><methodName>${method}</methodName><params>${params.map(xmlRpcParam).join("")}</params></methodCall>`;
    const fields = [["CONTENT_LENGTH", String(Buffer.byteLength(body))], ["SCGI", "1"], ["REQUEST_METHOD", "POST"], ["REQUEST_URI", "/RPC2"]];
    const headers = fields.map(([k, v]) => `${k}\0${v}\0`).join("");
    return new Promise((resolve, reject) => {
      const s = netConnect(this.socket);
      const chunks: Buffer[] = [];
      s.on("data", (d: Buffer) => chunks.push(d));
      s.on("error", reject);
      s.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const xml = text.slice(text.indexOf("<?xml"));
        const fault = /<fault>[\s\S]*<name>faultString<\/name>\s*<value>(?:<string>)?([^<]*)/.exec(xml);
        if (fault) return reject(new Error(`rtorrent ${method}: ${xmlUnescape(fault[1]!)}`));
        try {
          resolve(parseXmlRpcValue(xml, xml.indexOf("<params>"))[0]);
        } catch (e) {
          reject(new Error(`rtorrent ${method}: cannot read the answer (${(e as Error).message}): ${text.slice(0, 300)}`));
        }
      });
      s.write(`${Buffer.byteLength(headers)}:${headers},${body}`);
    });
  }

  /** Loads a .torrent and starts it, its payload under `downloadDir/<name>` as with the other clients; returns rTorrent's hash (upper-case hex). */
  async add(torrent: Uint8Array, infoHash: string, downloadDir: string): Promise<string> {
    const path = join(this.dir, "torrents", `${infoHash}.torrent`);
    writeFileSync(path, torrent);
    mkdirSync(downloadDir, { recursive: true });
    await this.call("load.start_verbose", "", path, `d.directory.set=${downloadDir}`);
    const hash = infoHash.toUpperCase();
    await waitFor("rTorrent to load the torrent", async () => ((await this.call("download_list")) as string[]).includes(hash) || undefined, 10_000, 100);
    return hash;
  }

  async torrent(hash: string): Promise<ClientTorrent & { complete: boolean; message: string }> {
    const [done, size, up, down, complete, message] = await Promise.all([
      this.call("d.completed_bytes", hash),
      this.call("d.size_bytes", hash),
      this.call("d.up.total", hash),
      this.call("d.down.total", hash),
      this.call("d.complete", hash),
      this.call("d.message", hash),
    ]);
    return { progress: (size as number) > 0 ? (done as number) / (size as number) : 0, uploaded: up as number, downloaded: down as number, complete: complete === 1, message: String(message) };
  }

  /** The torrent's trackers: URL and how many announces succeeded and failed. */
  async trackers(hash: string): Promise<{ url: string; success: number; failed: number }[]> {
    const rows = (await this.call("t.multicall", hash, "", "t.url=", "t.success_counter=", "t.failed_counter=")) as [string, number, number][];
    return rows.map(([url, success, failed]) => ({ url, success, failed }));
  }

  /**
   * Announces now (what "update tracker" does in its front ends). rTorrent holds an event it
   * queued, `completed` included, until `min interval` has passed since its last announce.
   */
  async announce(hash: string): Promise<void> {
    await this.call("d.tracker_announce", hash);
  }

  /** Stops and closes the torrent: rTorrent announces `stopped` with its session counters. */
  async stop(hash: string): Promise<void> {
    await this.call("d.stop", hash);
    await this.call("d.close", hash);
  }

  async shutdown(): Promise<void> {
    await this.call("system.shutdown.normal").catch(() => {});
    await Promise.race([this.process.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
}
