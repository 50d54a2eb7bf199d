// Published epoch files in R2 (issue 13 part 2; PLATFORM.md "R2"): an epoch's inputs are one
// object named by their hash, the inputsHash committed on-chain (keccak256 of the canonical
// JSON's bytes), so anyone can fetch and check them. D1 caps a value at 2 MB: 2,400 transcripts
// already made 5 MB of inputs (test/worker/epoch-scale.test.ts). Epochs closed before R2 keep
// theirs in the epochs row; R2-published rows store "" there.

import type { Hex } from "viem";
import { inputsHash } from "../../protocol/epoch/inputs.ts";
import type { Env } from "../env.ts";
import { HttpError } from "../errors.ts";

/** The object key of an epoch file: content-addressed by its keccak256 hash. */
export const inputsKey = (hash: string): string => `inputs/${hash.toLowerCase()}.json`;

/** Puts the inputs under their hash. Idempotent: the same bytes under the same name. */
export async function publishInputs(env: Env, hash: Hex, json: string): Promise<void> {
  await env.EPOCH_FILES.put(inputsKey(hash), json, { httpMetadata: { contentType: "application/json" }, customMetadata: { inputsHash: hash } });
}

/** The canonical JSON of an epoch's inputs: the row's own (before R2), else the R2 object. */
export async function inputsJson(env: Env, row: { epoch: number; inputs: string; inputsHash: string }): Promise<string> {
  if (row.inputs) return row.inputs;
  const obj = await env.EPOCH_FILES.get(inputsKey(row.inputsHash));
  if (!obj) throw new HttpError(503, "inputs_missing", `the published inputs of epoch ${row.epoch} (${row.inputsHash}) are not in the files bucket`);
  return obj.text();
}

/** Whether the published inputs are there and hash to the committed inputsHash. */
export async function inputsIntact(env: Env, row: { epoch: number; inputs: string; inputsHash: string }): Promise<boolean> {
  try {
    return inputsHash(JSON.parse(await inputsJson(env, row))) === row.inputsHash;
  } catch {
    return false;
  }
}
