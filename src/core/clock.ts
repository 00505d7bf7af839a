/** Time comes in as an argument: every component takes a Clock, never calls Date.now() itself. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to: for tests, replays and simulations. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: number | string) {
    this.t = typeof start === 'string' ? Date.parse(start) : start;
  }
  now(): number {
    return this.t;
  }
  set(t: number | string): void {
    this.t = typeof t === 'string' ? Date.parse(t) : t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const MS_PER_DAY = 86_400_000;

/** An epoch-milliseconds instant as ISO 8601 UTC, the one way times are written out. */
export const iso = (t: number): string => new Date(t).toISOString();
