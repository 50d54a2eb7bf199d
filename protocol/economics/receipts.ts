// Upload receipts as an epoch publishes them (beside the transcripts in its inputs) and what the
// settlement reads of them. The edge keeps, per (downloader, uploader, torrent, session), the
// highest cumulative signed for the epoch; `base` is the highest one of earlier epochs, so a
// session that spans a close is paid each of its bytes once.

import type { Hex } from "viem";
import type { ReceiptBytes } from "./upload-rewards.ts";
import { receiptFromJson, verifyReceipt, type UploadReceipt } from "../reports/eip712.ts";

type Num = string | number | bigint;

export interface PublishedReceipt {
  infoHash: string;
  uploader: string;
  downloader: string;
  cumulative: Num;
  /** The session's highest cumulative in earlier epochs (0 for a new session). */
  base: Num;
  session: string;
  epoch: Num;
  signature: string;
}

/** Bytes each receipt credits this epoch: cumulative − base (never negative), torrents as bare lowercase hex. */
export function receiptBytes(receipts: readonly PublishedReceipt[]): ReceiptBytes[] {
  return receipts.map((r) => {
    const bytes = BigInt(r.cumulative) - BigInt(r.base);
    return { infoHash: r.infoHash.toLowerCase().replace(/^0x/, ""), uploader: r.uploader.toLowerCase(), downloader: r.downloader.toLowerCase(), bytes: bytes > 0n ? bytes : 0n };
  });
}

/** The published receipts whose signature is not the downloader's over their fields, or not for `epoch`. */
export async function unsignedReceipts(receipts: readonly PublishedReceipt[], chainId: number, epoch: number): Promise<string[]> {
  const bad: string[] = [];
  for (const r of receipts) {
    let receipt: UploadReceipt | undefined;
    try {
      receipt = receiptFromJson(r);
    } catch {
      receipt = undefined;
    }
    const ok = receipt !== undefined && receipt.epoch === BigInt(epoch) && (await verifyReceipt(chainId, receipt, r.signature as Hex));
    if (!ok) bad.push(`${r.downloader}:${r.uploader}:${r.infoHash}:${r.session}`);
  }
  return bad;
}
