import { readFileSync } from 'node:fs';

const dir = new URL('../../fixtures/stats/', import.meta.url);

/** A JSON fixture from test/fixtures/stats (see test/fixtures/README.md). */
export function statsFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as T;
}

/** |a - b| / |b| (absolute when b is 0). */
export function relErr(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

/** Largest absolute difference between two equally long number lists. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}
