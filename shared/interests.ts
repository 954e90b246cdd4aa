import { LIMITS } from './limits';

/**
 * Canonical form of a list of interest tags: trimmed, lower-case, inner
 * whitespace collapsed, cut to the length bound, empty and duplicate tags
 * dropped, at most LIMITS.interests kept (first ones win).
 */
export function normaliseInterests(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (const tag of raw) {
    const clean = tag.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ').slice(0, LIMITS.interestLength);
    if (clean && !out.includes(clean)) out.push(clean);
    if (out.length === LIMITS.interests) break;
  }
  return out;
}
