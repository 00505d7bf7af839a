import { describe, it, expect } from 'vitest';
import { RateWindows } from '../../src/server/limits.js';

describe('rate windows', () => {
  it('counts per key in a window that opens at the first request; over the limit, says how long until it ends', () => {
    let now = 1_000_000;
    const w = new RateWindows(2, 10_000, 100, () => now);
    expect([w.take('a'), w.take('a')]).toEqual([0, 0]);
    expect(w.take('b')).toBe(0); // another key has a window of its own
    now += 2_500;
    expect(w.take('a')).toBe(8); // 7.5 s left, rounded up
    now += 7_400;
    expect(w.take('a')).toBe(1); // 0.1 s left: at least 1
    now += 100; // the window has ended: a new one opens
    expect([w.take('a'), w.take('a'), w.take('a')]).toEqual([0, 0, 10]);
  });

  it('holds at most maxKeys: ended windows go first, then the oldest live one', () => {
    let now = 0;
    const w = new RateWindows(1, 1_000, 3, () => now);
    w.take('old');
    now = 500;
    w.take('x');
    w.take('y');
    now = 1_200; // 'old' has ended, 'x' and 'y' have not
    w.take('z');
    expect(w.size).toBe(3);
    expect(w.take('x')).toBe(1); // still counted: x was not dropped
    w.take('q'); // full of live windows: the oldest (x, opened at 500) goes
    expect(w.size).toBe(3);
    expect(w.take('y')).toBe(1);
    expect(w.take('x')).toBe(0); // a fresh window
  });
});
