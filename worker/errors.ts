// Errors users can read (STYLE.md): the JSON API answers { error: { code, message } } with
// the status carried here; anything else becomes a bare 500 that hides internals.

export class HttpError extends Error {
  override name = "HttpError";
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503;
  readonly code: string;
  constructor(status: HttpError["status"], code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string, code = "bad_request") => new HttpError(400, code, message);
export const notFound = (message: string, code = "not_found") => new HttpError(404, code, message);
export const conflict = (message: string, code = "conflict") => new HttpError(409, code, message);

/**
 * An error's message fit for logs and answers: URLs removed (viem embeds the RPC URL, and a
 * provider's URL carries its API key), one line, bounded.
 */
export function safeMessage(e: unknown, max = 400): string {
  const raw = e instanceof Error ? e.message : typeof e === "string" ? e : "";
  const text = raw
    .replace(/\b(?:https?|wss?):\/\/[^\s"'<>)]+/gi, "<url>")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
