/** A member's secret: 128 bits from the platform's CSPRNG, as 32 lowercase hex chars. */
export function newPasskey(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
