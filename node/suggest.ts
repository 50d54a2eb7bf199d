// "Did you mean": the known word nearest to a typo, by edit distance (Levenshtein, with
// adjacent swaps counted as one edit), or a word the typo starts, when it is close enough.

export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The nearest of `known` to `typed` within a third of its length (at least 1, at most 3 edits); undefined if none. */
export function nearest(typed: string, known: readonly string[]): string | undefined {
  const t = typed.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(t.length / 3)));
  let best: { word: string; d: number } | undefined;
  for (const word of known) {
    // A word the typo begins ranks before an equally close edit: `node stat` → status.
    const d = word.startsWith(t) && t.length >= 2 ? 0.5 : editDistance(t, word);
    if (d <= limit && (!best || d < best.d)) best = { word, d };
  }
  return best?.word;
}
