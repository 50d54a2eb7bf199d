// Sign-In with Ethereum: the worker picks every field but the address (domain, URI, chain,
// nonce, expiry); the wallet signs the EIP-4361 text; the worker checks it and sets a cookie.

import { createSiweMessage } from "viem/siwe";
import { connect, provider } from "./wallet.ts";
import { describe, say, statusFor } from "./status.ts";

interface Challenge {
  domain: string;
  uri: string;
  chainId: number;
  nonce: string;
  statement: string;
  version: "1";
  issuedAt: string;
  expirationTime: string;
}

async function postJson<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

export async function signIn(button: HTMLButtonElement): Promise<void> {
  const status = statusFor("signin");
  button.disabled = true;
  try {
    say(status, "Asking your wallet for an account…");
    const address = await connect();
    const ch = await postJson<Challenge>("/auth/nonce");
    const message = createSiweMessage({
      address,
      domain: ch.domain,
      uri: ch.uri,
      chainId: ch.chainId,
      nonce: ch.nonce,
      statement: ch.statement,
      version: ch.version,
      issuedAt: new Date(ch.issuedAt),
      expirationTime: new Date(ch.expirationTime),
    });
    say(status, "Sign the message in your wallet…");
    const signature = await provider().request({ method: "personal_sign", params: [`0x${[...new TextEncoder().encode(message)].map((b) => b.toString(16).padStart(2, "0")).join("")}`, address] });
    const r = await postJson<{ account: string; member: boolean }>("/auth/verify", { message, signature });
    say(status, `Signed in as ${r.account}.`, "ok");
    // A member goes where they were going; anyone else to joining (keeping an invite link's code).
    const next = button.dataset.next ?? "/me";
    location.assign(r.member || next.startsWith("/join") ? next : "/join");
  } catch (e) {
    say(status, describe(e), "error");
    button.disabled = false;
  }
}
