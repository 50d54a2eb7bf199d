// Signing in to the members' site from a test, as a browser's wallet would (EIP-4361).

import { expect } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage } from "viem/siwe";
import type { SiweChallenge } from "../../../worker/web/session.ts";
import { ORIGIN, call } from "./worker.ts";

export const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", headers: { "Content-Type": "application/json", Origin: ORIGIN, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });

export async function challenge(): Promise<SiweChallenge> {
  const res = await post("/auth/nonce");
  expect(res.status).toBe(200);
  return (await res.json()) as SiweChallenge;
}

export function messageFor(address: `0x${string}`, ch: SiweChallenge, over: Partial<Parameters<typeof createSiweMessage>[0]> = {}) {
  return createSiweMessage({
    address,
    domain: ch.domain,
    uri: ch.uri,
    chainId: ch.chainId,
    nonce: ch.nonce,
    statement: ch.statement,
    version: "1",
    issuedAt: new Date(ch.issuedAt),
    expirationTime: new Date(ch.expirationTime),
    ...over,
  });
}

export async function signIn(key = generatePrivateKey()) {
  const wallet = privateKeyToAccount(key);
  const message = messageFor(wallet.address, await challenge());
  const res = await post("/auth/verify", { message, signature: await wallet.signMessage({ message }) });
  return { wallet, message, res, cookie: (res.headers.get("Set-Cookie") ?? "").split(";")[0]! };
}

