import { distance } from "fastest-levenshtein";

/** Farthest a typo may be (in edits, case ignored) from a known name to be suggested. */
export const SUGGESTION_MAX_EDITS = 3;

/**
 * The known name closest to `name` ("did you mean …?"), or undefined when none is within
 * `SUGGESTION_MAX_EDITS` edits. The one suggestion rule for stack config keys, policy names and
 * policy config properties alike.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = SUGGESTION_MAX_EDITS + 1;
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
