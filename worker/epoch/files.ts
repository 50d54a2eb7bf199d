// Published epoch files in R2 (issue 13 part 2; PLATFORM.md "R2"): an epoch's inputs are one
// object named by their hash, the inputsHash committed on-chain (keccak256 of the canonical
// JSON's bytes), so anyone can fetch and check them. D1 caps a value at 2 MB: 2,400 transcripts
// already made 5 MB of inputs (test/worker/epoch-scale.test.ts). Epochs closed before R2 keep
// theirs in the epochs row; R2-published rows store "" there.

import type { Hex } from "viem";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import { eq } from "drizzle-orm";
import { canonicalPartsAsync, hashAndSizeAsync, hashOfChunks } from "../../protocol/epoch/stream.ts";
import type { Env } from "../env.ts";
import { schema, type Db } from "../db/client.ts";
import { HttpError } from "../errors.ts";

/** The object key of an epoch file: content-addressed by its keccak256 hash. */
export const inputsKey = (hash: string): string => `inputs/${hash.toLowerCase()}.json`;

/** Parts of a multipart upload: R2 wants 5 MiB at least, all of one size but the last. The least, as two are held at a time. */
const INPUTS_PART_BYTES = 5 * 1024 * 1024;

/**
 * Publishes an epoch's inputs under their hash without holding their text: hashed in a streamed
 * pass (the name must be known first), then put in parts through R2's multipart upload (one put
 * when they fit one part). The bytes and the hash are canonicalJson's (protocol/epoch/stream.ts),
 * so what is committed is unchanged; a StreamedArray in `inputs` (the close's challenges, read from
 * D1 a page at a time) is read once per pass. Idempotent: the same bytes under the same name.
 * Inputs of at most `splitBytes` are hashed and written at once. Larger ones take two
 * invocations: this one hashes them and records the hash with `key` (what they are made of) on
 * the close's freeze row, then stops with close_in_progress; the next, given the same key, writes
 * them under that hash without hashing them again. A recorded hash of other inputs (another key)
 * is never used; bytes that did not hash to it would fail the writer's check (writer.ts).
 */
export async function publishInputsInTicks(env: Env, d: Db, epoch: number, key: string, inputs: unknown, splitBytes: number, size?: { bytes: number }): Promise<Hex> {
  const f = schema.epochCloseFreeze;
  const recorded = await d.select({ key: f.inputsKey, hash: f.inputsHash }).from(f).where(eq(f.epoch, epoch)).get();
  // Recorded inputs are past the split size: in parts (one, if a test's split is under a part).
  if (recorded?.key === key && recorded.hash) {
    await writeInputs(env, recorded.hash as Hex, inputs, true, size);
    return recorded.hash as Hex;
  }
  const { hash, bytes } = await hashAndSizeAsync(inputs);
  if (bytes <= splitBytes) {
    await writeInputs(env, hash, inputs, bytes > INPUTS_PART_BYTES, size);
    return hash;
  }
  await d.update(f).set({ inputsKey: key, inputsHash: hash }).where(eq(f.epoch, epoch));
  throw new HttpError(503, "close_in_progress", `epoch ${epoch}: its ${Math.round(bytes / 2 ** 20)} MiB of inputs are hashed (${hash}); the next tick writes them`);
}

/**
 * Writes inputs already hashed under their hash: one put when they fit a part, else R2's
 * multipart upload, holding only the part being uploaded and the one being filled.
 */
async function writeInputs(env: Env, hash: Hex, inputs: unknown, multipart: boolean, size?: { bytes: number }): Promise<void> {
  const options = { httpMetadata: { contentType: "application/json" }, customMetadata: { inputsHash: hash } };
  const parts = canonicalPartsAsync(inputs, INPUTS_PART_BYTES);
  if (size) size.bytes = 0;
  if (!multipart) {
    let body: Uint8Array | string = "";
    for await (const part of parts) body = part;
    if (size) size.bytes = body.length;
    await env.EPOCH_FILES.put(inputsKey(hash), body, options);
    return;
  }
  const upload = await env.EPOCH_FILES.createMultipartUpload(inputsKey(hash), options);
  try {
    const done: R2UploadedPart[] = [];
    for await (const part of parts) {
      done.push(await upload.uploadPart(done.length + 1, part));
      if (size) size.bytes += part.length;
    }
    await upload.complete(done);
  } catch (e) {
    await upload.abort().catch(() => {});
    throw e;
  }
}

/** The canonical JSON of an epoch's inputs: the row's own (before R2), else the R2 object. */
export async function inputsJson(env: Env, row: { epoch: number; inputs: string; inputsHash: string }): Promise<string> {
  if (row.inputs) return row.inputs;
  const obj = await env.EPOCH_FILES.get(inputsKey(row.inputsHash));
  if (!obj) throw new HttpError(503, "inputs_missing", `the published inputs of epoch ${row.epoch} (${row.inputsHash}) are not in the files bucket`);
  return obj.text();
}

/** Whether the published inputs are there and hash to the committed inputsHash (an R2 file read in chunks, never whole). */
export async function inputsIntact(env: Env, row: { epoch: number; inputs: string; inputsHash: string }): Promise<boolean> {
  try {
    if (row.inputs) return inputsHash(JSON.parse(row.inputs)) === row.inputsHash;
    const obj = await env.EPOCH_FILES.get(inputsKey(row.inputsHash));
    return obj !== null && (await hashOfChunks(chunksOf(obj.body))) === row.inputsHash.toLowerCase();
  } catch {
    return false;
  }
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}
