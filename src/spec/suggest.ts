/** "Did you mean" suggestions for names a person mistyped. */
import { distance } from 'fastest-levenshtein';

/** Lower case without separators: `Conv2D`, `conv_2d` and `conv-2d` all become `conv2d`. */
const normalise = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');

/**
 * The candidate closest to `input`, when it is close enough to be a likely typo: equal after
 * normalising case and separators, or within an edit distance that grows with the length.
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const wanted = normalise(input);
  if (wanted === '') return undefined;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const c = normalise(candidate);
    if (c === wanted) return candidate;
    let score = distance(wanted, c);
    // A prefix ("conv" for "conv2d", "cross" for "crossStitch") is a strong hint too.
    if (wanted.length >= 3 && c.startsWith(wanted)) score = Math.min(score, 1.5);
    if (score < bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
  return best !== undefined && bestScore <= limit + 0.5 ? best : undefined;
}

/** `did you mean x?` or undefined. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const hit = closest(input, candidates);
  return hit === undefined ? undefined : `did you mean ${hit}?`;
}
