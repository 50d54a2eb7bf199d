// Just the surface of the untyped BitTorrent packages that node/ uses.

declare module "webtorrent" {
  import type { EventEmitter } from "node:events";

  export interface Wire extends EventEmitter {
    peerId: string;
    remoteAddress?: string;
    peerExtendedMapping: Record<string, number>;
    use(ext: ExtensionConstructor): void;
    extended(ext: string | number, payload: Uint8Array | object): void;
    destroy(): void;
  }
  export interface ExtensionConstructor {
    new (wire: Wire): Extension;
    prototype: { name: string };
  }
  export interface Extension {
    onHandshake?(infoHash: string, peerId: string, extensions: Record<string, boolean>): void;
    onExtendedHandshake?(handshake: Record<string, unknown>): void;
    onMessage?(buf: Uint8Array): void;
  }
  export interface TorrentFile {
    name: string;
    path: string;
    length: number;
  }
  export interface Torrent extends EventEmitter {
    infoHash: string;
    name: string;
    length: number;
    path: string;
    files: TorrentFile[];
    ready: boolean;
    done: boolean;
    progress: number;
    /** Verified bytes (pieces already on disk included). */
    downloaded: number;
    /** Bytes received from peers. */
    received: number;
    uploaded: number;
    destroyed?: boolean;
    /** Added with skipVerify: webtorrent marked every piece verified without hashing one. */
    skipVerify: boolean;
    downloadSpeed: number;
    numPeers: number;
    wires: Wire[];
    destroy(opts?: object, cb?: (err?: Error) => void): void;
    addPeer(peer: string): boolean;
  }
  export interface AddOptions {
    path?: string;
    announce?: string[];
    private?: boolean;
    storeCacheSlots?: number;
    skipVerify?: boolean;
  }
  export interface Options {
    dht?: boolean | object;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    webSeeds?: boolean;
    utp?: boolean;
    tracker?: boolean | object;
    torrentPort?: number;
    peerId?: string | Uint8Array;
    secure?: number;
  }
  export default class WebTorrent extends EventEmitter {
    constructor(opts?: Options);
    torrentPort: number;
    listening: boolean;
    peerId: string;
    torrents: Torrent[];
    add(torrent: Uint8Array | string, opts?: AddOptions, onTorrent?: (t: Torrent) => void): Torrent;
    seed(input: unknown, opts?: object, onTorrent?: (t: Torrent) => void): Torrent;
    get(infoHash: string): Promise<Torrent | null>;
    address(): { address: string; family: string; port: number } | null;
    destroy(cb?: (err?: Error) => void): void;
    /** Bytes per second; -1 lifts the limit. */
    throttleUpload(rate: number): void;
    throttleDownload(rate: number): void;
  }
}

declare module "create-torrent" {
  export default function createTorrent(input: unknown, opts: Record<string, unknown>, cb: (err: Error | null, torrent: Buffer) => void): void;
}

declare module "parse-torrent" {
  // Loose on purpose: used only by tests as an independent reference parser.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export default function parseTorrent(input: unknown): Promise<any>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  export function toTorrentFile(parsed: any): Uint8Array;
}
