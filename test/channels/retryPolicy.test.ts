import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.js';
import { backoffMs, CircuitBreaker } from '../../src/channels/retryPolicy.js';

describe('backoff with jitter', () => {
  const policy = { baseMs: 1000, maxMs: 60_000, maxAttempts: 10 };
  it('doubles from the base, stays within [ceiling/2, ceiling], and is capped', () => {
    const rng = mulberry32(7);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      for (let i = 0; i < 200; i++) {
        const w = backoffMs(policy, attempt, () => rng.next());
        expect(w).toBeGreaterThanOrEqual(ceiling / 2);
        expect(w).toBeLessThanOrEqual(ceiling);
      }
    }
    expect(backoffMs(policy, 1, () => 0)).toBe(500);
    expect(backoffMs(policy, 3, () => 0.999999)).toBe(4000);
  });
  it('spreads retries: 1,000 customers retrying at attempt 5 do not all come back in the same second', () => {
    const rng = mulberry32(1);
    const seconds = new Set(Array.from({ length: 1000 }, () => Math.floor(backoffMs(policy, 5, () => rng.next()) / 1000)));
    expect(seconds.size).toBeGreaterThanOrEqual(8);
  });
});

describe('circuit breaker', () => {
  it('opens after n failures in a row, lets one probe through after the cool-down, closes on its success', () => {
    const b = new CircuitBreaker({ failures: 3, openMs: 1000 });
    expect(b.allowance(0, 10)).toBe(10);
    b.failure(0);
    b.failure(1);
    b.success();
    b.failure(2);
    b.failure(3);
    expect(b.state(3)).toBe('closed');
    b.failure(4);
    expect(b.state(4)).toBe('open');
    expect(b.allowance(500, 10)).toBe(0);
    expect(b.state(1004)).toBe('half_open');
    expect(b.allowance(1004, 10)).toBe(1);
    expect(b.allowance(1005, 10)).toBe(0); // one probe at a time
    b.failure(1010); // the probe failed: open for a full period again
    expect(b.state(2009)).toBe('open');
    expect(b.allowance(2010, 10)).toBe(1);
    b.success();
    expect(b.state(2011)).toBe('closed');
    expect(b.allowance(2011, 10)).toBe(10);
  });
});
