// The part of bittorrent-tracker's untyped API that bench/bittorrent-tracker-server.ts uses.
declare module "bittorrent-tracker" {
  import type { EventEmitter } from "node:events";
  export interface ServerOptions {
    http?: boolean;
    udp?: boolean;
    ws?: boolean;
    stats?: boolean;
    interval?: number;
    filter?: (infoHash: string, params: unknown, cb: (err: Error | null) => void) => void;
  }
  export class Server extends EventEmitter {
    constructor(opts?: ServerOptions);
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(cb?: () => void): void;
  }
}
