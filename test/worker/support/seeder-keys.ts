// Node keys the test seeders hold (test/worker/support/seeder.ts): a node registered by the
// worker tests on a seeder's port takes one, so the seeder can sign its challenge answers with
// the registered key, as a real node does (DESIGN.md "Challenges a relay cannot pass cheaply").
// Deterministic, so workerd (registering) and Node (seeding) agree without talking.

import { keccak256, stringToHex, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

export const SEEDER_KEYS = 256;

export function seederKey(i: number): Hex {
  return keccak256(stringToHex(`vidya test seeder node key ${i % SEEDER_KEYS}`));
}

let next = Math.floor(Math.random() * SEEDER_KEYS);
/** The next key of the ring: distinct for the first SEEDER_KEYS registrations of a test file. */
export function nextSeederAccount(): PrivateKeyAccount {
  return privateKeyToAccount(seederKey(next++));
}

/** Every key of the ring by address (lowercase): what a seeder signs with. */
export function seederKeyring(): Map<string, PrivateKeyAccount> {
  const ring = new Map<string, PrivateKeyAccount>();
  for (let i = 0; i < SEEDER_KEYS; i++) {
    const a = privateKeyToAccount(seederKey(i));
    ring.set(a.address.toLowerCase(), a);
  }
  return ring;
}
