// A WebTorrent tracker client for the worker tests: a WebSocket upgraded through the worker's
// front door, its received messages queued, read in order or by predicate, and how it closed.

export type Json = Record<string, unknown>;

/** A client socket with its received messages queued, and how it was closed. */
export class Client {
  readonly ws: WebSocket;
  private readonly inbox: Json[] = [];
  private waiters: (() => void)[] = [];
  closedWith: { code: number; reason: string } | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.accept();
    ws.addEventListener("message", (e) => {
      this.inbox.push(JSON.parse(e.data as string) as Json);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", (e) => {
        this.closedWith = { code: e.code, reason: e.reason };
        resolve(this.closedWith);
      }),
    );
  }

  send(m: Json): void {
    this.ws.send(JSON.stringify(m));
  }

  async next(pred: (m: Json) => boolean = () => true, ms = 5_000): Promise<Json> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching message; queued: ${JSON.stringify(this.inbox).slice(0, 2_000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async quiet(pred: (m: Json) => boolean, ms = 300): Promise<boolean> {
    return this.next(pred, ms).then(
      () => false,
      () => true,
    );
  }

  /** Every queued message matching `pred`, removed from the queue. */
  drain(pred: (m: Json) => boolean): Json[] {
    const out = this.inbox.filter(pred);
    for (const m of out) this.inbox.splice(this.inbox.indexOf(m), 1);
    return out;
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // Closed by the server.
    }
  }
}

export const isAnnounceReply = (m: Json) => m.action === "announce" && "complete" in m;
export const isOffer = (m: Json) => m.action === "announce" && "offer" in m;
export const isAnswer = (m: Json) => m.action === "announce" && "answer" in m;
