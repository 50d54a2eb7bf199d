// The index's categories: one list, read by uploads (which must name one), the API's filter
// and the site's forms. A community changes it here.

export const CATEGORIES = ["video", "audio", "software", "games", "books", "data", "other"] as const;
export type Category = (typeof CATEGORIES)[number];

export function isCategory(v: unknown): v is Category {
  return typeof v === "string" && (CATEGORIES as readonly string[]).includes(v);
}
