// NAT-PMP client (RFC 6886): a 2- or 12-byte UDP request to the gateway's port 5351, a
// 12- or 16-byte answer. PCP (RFC 6887) servers answer version-0 requests as NAT-PMP does.

import { createSocket } from "node:dgram";

export const PMP_PORT = 5351;
const RESULTS: Record<number, string> = {
  1: "unsupported version",
  2: "not authorized (NAT-PMP is disabled on the gateway)",
  3: "network failure (the gateway has no outside address)",
  4: "out of resources (no ports left)",
  5: "unsupported opcode",
};

export class PmpError extends Error {
  override name = "PmpError";
  /** The gateway's result code; 0 when it never answered. */
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.code = code;
  }
}

export interface PmpMapping {
  internalPort: number;
  externalPort: number;
  /** Seconds the gateway granted; 0 for a deletion. */
  lifetime: number;
}

/**
 * One request with RFC 6886's retransmissions (250 ms, doubling), `tries` of them: a home
 * gateway answers in milliseconds, so four tries (under 4 s) tell "no NAT-PMP here".
 */
async function request(gateway: string, packet: Uint8Array, opcode: number, tries: number): Promise<Buffer> {
  const socket = createSocket("udp4");
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      let wait = 250;
      let left = tries;
      const send = () => {
        if (left-- <= 0) return reject(new PmpError(`no NAT-PMP answer from ${gateway}`, 0));
        socket.send(packet, PMP_PORT, gateway, (e) => e && reject(new PmpError(`cannot send to ${gateway}: ${e.message}`, 0)));
        timer = setTimeout(send, wait);
        wait *= 2;
      };
      socket.on("error", (e) => reject(new PmpError(`NAT-PMP socket: ${e.message}`, 0)));
      socket.on("message", (msg, from) => {
        // Only the gateway's answer to this opcode counts (RFC 6886 section 3.1).
        if (from.address !== gateway || msg.length < 8 || msg[0] !== 0 || msg[1] !== 128 + opcode) return;
        const result = msg.readUInt16BE(2);
        if (result !== 0) reject(new PmpError(`the gateway refused: ${RESULTS[result] ?? `result ${result}`}`, result));
        else resolve(msg);
      });
      socket.bind(0, send);
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/** The gateway's outside IPv4 address (opcode 0). */
export async function pmpExternalAddress(gateway: string, tries = 4): Promise<string> {
  const msg = await request(gateway, new Uint8Array([0, 0]), 0, tries);
  if (msg.length < 12) throw new PmpError("short NAT-PMP answer", 0);
  return `${msg[8]}.${msg[9]}.${msg[10]}.${msg[11]}`;
}

/**
 * Maps (or with lifetime 0 deletes) a TCP port: the gateway may grant another external port
 * or a shorter lifetime than asked, so the answer is what counts.
 */
export async function pmpMapTcp(gateway: string, internalPort: number, externalPort: number, lifetime: number, tries = 4): Promise<PmpMapping> {
  const packet = Buffer.alloc(12);
  packet[1] = 2; // opcode 2: map TCP
  packet.writeUInt16BE(internalPort, 4);
  packet.writeUInt16BE(externalPort, 6);
  packet.writeUInt32BE(lifetime, 8);
  const msg = await request(gateway, packet, 2, tries);
  if (msg.length < 16) throw new PmpError("short NAT-PMP answer", 0);
  return { internalPort: msg.readUInt16BE(8), externalPort: msg.readUInt16BE(10), lifetime: msg.readUInt32BE(12) };
}
