// Status lines under the buttons: what is happening, in words, until it is done.

export function statusFor(name: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector<HTMLElement>(`[data-status="${name}"]`);
}

export function say(el: HTMLElement | null, text: string, kind: "busy" | "ok" | "error" = "busy"): void {
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind;
}

/** An error as a sentence: wallet rejections and reverts read as what they are. */
export function describe(e: unknown): string {
  if (e && typeof e === "object") {
    const err = e as { shortMessage?: string; message?: string; code?: number };
    if (err.code === 4001) return "You declined in the wallet.";
    if (err.shortMessage) return err.shortMessage;
    if (err.message) return err.message.split("\n")[0]!;
  }
  return String(e);
}
