/** The documented rules, as pure functions: how much a reporter counts, and which category a ban is told under. */
import { describe, expect, it } from 'vitest';
import { banReason, reporterWeight } from '../../server/services/safety';

describe('reporterWeight', () => {
  it('counts one until at least 3 decided reports are mostly dismissed, then half', () => {
    expect(reporterWeight({ upheld: 0, dismissed: 0, open: 9 })).toBe(1);
    expect(reporterWeight({ upheld: 0, dismissed: 2, open: 0 })).toBe(1); // too few decided to judge
    expect(reporterWeight({ upheld: 1, dismissed: 1, open: 0 })).toBe(1);
    expect(reporterWeight({ upheld: 2, dismissed: 2, open: 0 })).toBe(1); // half is not "mostly"
    expect(reporterWeight({ upheld: 1, dismissed: 2, open: 0 })).toBe(0.5);
    expect(reporterWeight({ upheld: 0, dismissed: 3, open: 5 })).toBe(0.5);
  });
});

describe('banReason', () => {
  it('is the most frequent reason, the more severe on a tie', () => {
    expect(banReason([{ reason: 'spam' }, { reason: 'spam' }, { reason: 'nudity' }])).toBe('spam');
    expect(banReason([{ reason: 'spam' }, { reason: 'nudity' }])).toBe('nudity');
    expect(banReason([{ reason: 'harassment' }, { reason: 'underage' }, { reason: 'other' }])).toBe('underage');
  });
});
